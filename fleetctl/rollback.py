"""`fleetctl rollback STACK`: pin a release the stack ran before, from its own release history.

A rollback is a promotion of an older release: the same fields are written the same way, nothing is rebuilt.
"""

from __future__ import annotations

import argparse
from typing import Any

from fleet.outputs import ReleaseEntry, ServiceOutputs
from fleetctl.cli import CommandError, project_dir
from fleetctl.pinning import Pin, PinTarget, add_stack_file_arguments, deployed_services
from fleetctl.stack_outputs import add_outputs_arguments, read_outputs_of


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "rollback",
        help="pin the release a stack ran before the live one",
        description="Write into Pulumi.<stack>.yaml the previous release of each service (or the one with "
        "version --to), from the release history in the stack's outputs.",
    )
    parser.add_argument("stack", help="the stack to roll back, such as prod")
    parser.add_argument("--service", metavar="NAME", help="roll back only this service (default: every service)")
    parser.add_argument("--to", metavar="VERSION", help="the version to return to (default: the previous release)")
    add_outputs_arguments(parser)
    add_stack_file_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    target = PinTarget(project_dir(args), args.stack)
    target.refuse_builds(args.service)
    deployed = deployed_services(read_outputs_of(args.stack, args.from_outputs), args.stack)
    target.report.append(
        f"{target.path.name} ← {'version ' + args.to if args.to else 'previous release'} from its history"
    )
    for name in target.select(deployed, args.service, args.stack):
        where = f"{args.stack} outputs services.{name}.history"
        entry, index = _release_to_pin(deployed[name], args.to, where)
        target.pin(name, Pin.from_release(entry, f"{where}[{index}]"))
    target.save(dry_run=args.dry_run)
    return 0


def _release_to_pin(service: ServiceOutputs, version: str | None, where: str) -> tuple[ReleaseEntry, int]:
    """The history entry to return to, and its index: the one after the live release, or the newest of `version`."""
    history = service.history
    if not history:
        raise CommandError(f"{where} is missing or empty: no release to return to")
    if version is not None:
        for index, entry in enumerate(history):
            if entry.version == version:
                return entry, index
        available = ", ".join(str(entry.version) for entry in history)
        raise CommandError(f"{where} has no release of version {version}; versions available: {available}")
    live_id = service.release.release_id if service.release else None
    live_index = next((i for i, entry in enumerate(history) if entry.release_id == live_id), None)
    if live_index is None:
        raise CommandError(f"{where} does not hold the live release {live_id}: cannot tell which one came before it")
    if live_index + 1 >= len(history):
        raise CommandError(f"{where} has no release before the live one ({history[live_index].version})")
    return history[live_index + 1], live_index + 1
