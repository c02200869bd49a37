"""`fleetctl rollback STACK`: pin a release the stack ran before, from its own release history.

A rollback is a promotion of an older release: the same fields are written the same way, nothing is rebuilt.
"""

from __future__ import annotations

import argparse
from typing import Any

from fleet.outputs import ReleaseEntry, ServiceOutputs
from fleetctl.cli import project_dir
from fleetctl.errors import CommandError
from fleetctl.pinning import PinTarget, add_stack_file_arguments, pin_releases
from fleetctl.stack_outputs import add_outputs_arguments


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

    def release_of(name: str, service: ServiceOutputs) -> tuple[ReleaseEntry, str]:
        where = f"{args.stack} outputs services.{name}.history"
        entry, index = release_to_pin(service, args.to, where)
        return entry, f"{where}[{index}]"

    heading = f"{'version ' + args.to if args.to else 'previous release'} from its history"
    pin_releases(target, args.stack, args.from_outputs, args.service, heading, release_of, dry_run=args.dry_run)
    return 0


def release_to_pin(service: ServiceOutputs, version: str | None, where: str) -> tuple[ReleaseEntry, int]:
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
