"""`fleetctl rollback STACK`: pin a release the stack ran before, from its own release history.

A rollback is a promotion of an older release: the same fields are written the same way, nothing is rebuilt.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from fleet.outputs import ReleaseEntry, ServiceOutputs
from fleet.release import identify_on_disk
from fleetctl.cli import project_dir
from fleetctl.errors import CommandError
from fleetctl.pinning import PinTarget, add_stack_file_arguments, pin_releases
from fleetctl.stack_outputs import add_outputs_arguments
from fleetctl.warm import Window, shown


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


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Pin the release to return to; then say, per service, what the next `pulumi up` does with it. `now`: the
    clock, unless a test sets it."""
    target = PinTarget(project_dir(args), args.stack)
    target.refuse_builds(args.service)
    deployed: dict[str, ServiceOutputs] = {}

    def release_of(name: str, service: ServiceOutputs) -> tuple[ReleaseEntry, str]:
        where = f"{args.stack} outputs services.{name}.history"
        entry, index = release_to_pin(service, args.to, where)
        deployed[name] = service
        return entry, f"{where}[{index}]"

    heading = f"{'version ' + args.to if args.to else 'previous release'} from its history"
    names = pin_releases(target, args.stack, args.from_outputs, args.service, heading, release_of, dry_run=args.dry_run)
    assert target.config is not None  # validated by the save
    services = [service for service in target.config.services if service.name in names]
    identities = identify_on_disk(services, target.project_dir)
    for name in names:
        print(f"{name}: {_next_update(name, identities[name].release_id, deployed[name], now or datetime.now(UTC))}")
    return 0


def _next_update(name: str, release_id: str, service: ServiceOutputs, now: datetime) -> str:
    """What the next `pulumi up` does with the release the stack file now pins: a switch to the warm release
    while its window is open, else a full release (nothing when it is the live one)."""
    live = service.release.release_id if service.release else None
    if release_id == live:
        return f"release {release_id} is live: the next `pulumi up` releases nothing"
    full = f"the next `pulumi up` is a full release of {release_id} (new hosts boot, health-gated, then traffic moves)"
    warm = service.warm
    if warm is None:
        return f"{full}: no warm release"
    if warm.release_id != release_id:
        return f"{full}: the warm release is {warm.release_id}, not the one pinned"
    window = Window.of(warm, now, f"services.{name}.warm")
    if not window.open:
        return f"{full}: the warm window of {release_id} closed at {shown(window.retires_at)}"
    return (
        f"the next `pulumi up` is a switch to warm release {release_id}: traffic moves back with one load balancer "
        f"change, no boot, if it runs before {shown(window.retires_at)} (its window closes then; after that it is a "
        "full release)"
    )


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
