"""`fleetctl rollback STACK`: pin a release the stack ran before, from its own release history.

A rollback is a promotion of an older release: the same fields are written the same way, nothing is rebuilt.
With `--now` (one service), it also switches that service's traffic to its warm release at once, the same switch
`fleetctl watch --rollback` makes (its code): the marker, the warm group's min and AlarmNotification, ModifyRule on
the traffic rule. The pin then makes the stack agree: the reviewed PR's `pulumi up` declares what AWS already has.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from fleet.clock import iso
from fleet.outputs import STACK, ReleaseEntry, ServiceOutputs
from fleet.release import identify_on_disk
from fleetctl.cli import project_dir
from fleetctl.commands import watch
from fleetctl.errors import CommandError
from fleetctl.pinning import PinTarget, add_stack_file_arguments, deployed_services, pin_releases
from fleetctl.stack_check import stack_session
from fleetctl.stack_outputs import add_outputs_arguments, read_outputs_of
from fleetctl.warm import Window, shown

NOW = "fleetctl rollback --now"
"""The marker's `by` of a switch made here."""


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
    parser.add_argument(
        "--now",
        action="store_true",
        help="also switch the service's traffic to its warm release now, as `fleetctl watch --rollback` does "
        "(needs --service; the warm release must be in its window and healthy)",
    )
    add_outputs_arguments(parser)
    add_stack_file_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Pin the release to return to; then say, per service, what the next `pulumi up` does with it. `now`: the
    clock, unless a test sets it."""
    now = now or datetime.now(UTC)
    target = PinTarget(project_dir(args), args.stack)
    target.refuse_builds(args.service)
    switch = _switch_now(args, now) if args.now else None
    deployed: dict[str, ServiceOutputs] = {}

    def release_of(name: str, service: ServiceOutputs) -> tuple[ReleaseEntry, str]:
        where = f"{args.stack} outputs services.{name}.history"
        entry, index = release_to_pin(service, args.to, where)
        if switch is not None and entry.release_id != switch[1].warm_release_id:
            raise CommandError(
                f"{where}[{index}] is release {entry.release_id}, not the warm release {switch[1].warm_release_id}: "
                "--now switches only to the warm release; nothing changed"
            )
        deployed[name] = service
        return entry, f"{where}[{index}]"

    heading = f"{'version ' + args.to if args.to else 'previous release'} from its history"
    names = pin_releases(target, args.stack, args.from_outputs, args.service, heading, release_of, dry_run=args.dry_run)
    assert target.config is not None  # validated by the save
    services = [service for service in target.config.services if service.name in names]
    identities = identify_on_disk(services, target.project_dir)
    if switch is None:
        for name in names:
            print(f"{name}: {_next_update(name, identities[name].release_id, deployed[name], now)}")
        return 0
    aws, watched, stack = switch
    pinned = identities[watched.service].release_id
    if pinned != watched.warm_release_id:
        raise CommandError(
            f"{target.path.name} now pins release {pinned}, not the warm release {watched.warm_release_id} (its "
            "release inputs changed since, such as the boot script): traffic not switched; the next `pulumi up` is a "
            "full release"
        )
    watch.switch(aws, stack, args.stack, watched, now, alarms=[], by=NOW)
    print(
        f"{watched.service}: traffic switched to warm release {watched.warm_release_id} at {iso(now)}; "
        f"{target.path.name} pins it: the next `pulumi up` declares what AWS now has (open its PR)"
    )
    return 0


def _switch_now(args: argparse.Namespace, now: datetime) -> tuple[watch.Aws, watch.Watched, str]:
    """The switch `--now` makes, checked before anything is written: one service, a warm release in its window,
    healthy, and the traffic rule still on the live release (`watch.switch_refusal`)."""
    if args.service is None or args.to is not None or args.dry_run:
        raise CommandError(
            "--now switches one service to its warm release: give --service NAME, without --to or --dry-run"
        )
    outputs = read_outputs_of(args.stack, args.from_outputs)
    service = deployed_services(outputs, args.stack).get(args.service)
    watched = watch.warm_switch(args.service, service) if service is not None else None
    if watched is None:
        raise CommandError(
            f"{args.service} has no warm release to switch to now: without --now, the next `pulumi up` is a full "
            "release"
        )
    if watched.retires_at <= now:
        raise CommandError(
            f"{args.service}: the window of warm release {watched.warm_release_id} closed at "
            f"{shown(watched.retires_at)}: nothing to switch to now; without --now, the next `pulumi up` is a full "
            "release"
        )
    session = stack_session(project_dir(args), args.stack)
    aws = watch.Aws(
        *(session.client(name, config=watch.CLIENT_CONFIG) for name in ("cloudwatch", "elbv2", "autoscaling", "ssm"))
    )
    refusal = watch.switch_refusal(aws, watched)
    if refusal is not None:
        raise CommandError(f"{args.service}: not switched: {refusal}; nothing changed")
    return aws, watched, str(outputs[STACK])


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
