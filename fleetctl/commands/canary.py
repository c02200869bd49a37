"""`fleetctl canary status|finish|abort STACK`: judge a canary release, then end it by a reviewable stack-file edit.

A canary (`fleet:services.<name>.canary`) is a second release of a service taking a share of its requests. `status`
compares it with the live release from the load balancer's CloudWatch metrics; `finish` makes the canary's release
the service's own (the next `pulumi up` replaces the live release with it), `abort` removes the canary. Both edit
the stack file like `promote` does: only the keys they change, validated before anything is written.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fleet.names import SERVICES_KEY
from fleet.outputs import SERVICES, ServiceOutputs
from fleetctl.canary_metrics import (
    MAX_5XX_RATE_POINTS,
    MAX_P99_INCREASE_PERCENT,
    MIN_P99_INCREASE_SECONDS,
    MIN_REQUESTS,
    Judgement,
    TargetGroupMetrics,
    Verdict,
    judge,
    load_balancer_arns,
    read_metrics,
    window_ending,
)
from fleetctl.cli import project_dir, whole_number
from fleetctl.errors import CommandError
from fleetctl.pinning import SERVICES_PATH, PinTarget, add_stack_file_arguments, deployed_services, short_ref
from fleetctl.stack_check import stack_session
from fleetctl.stack_outputs import add_outputs_arguments, read_outputs_of, required_field

RELEASE_KEYS = ("hostImage", "instanceType")
"""What a canary may set besides its image: what runs on its hosts, moved into the service when it finishes."""
DEFAULT_WINDOW_MINUTES = 30
MAX_WINDOW_MINUTES = 1440

STATUS_EPILOG = f"""\
verdict (exit code):
  healthy (0)          the canary is within every threshold below
  worse (1)            its 5xx rate exceeds live's by more than {MAX_5XX_RATE_POINTS:g} percentage point(s),
                       or its p99 response time exceeds live's by more than {MAX_P99_INCREASE_PERCENT:g}%
                       and by more than {MIN_P99_INCREASE_SECONDS:g} s
  not enough data (2)  the canary or live served fewer than {MIN_REQUESTS} requests in the window
With several canaries the exit code is the worst verdict: worse, then not enough data.
Exit code 2 also means the command failed (the reason is on stderr, and --json prints nothing): either way there
is no verdict to finish the canary on."""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "canary",
        help="judge a canary release against the live one, then finish or abort it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="canary_command", required=True, metavar="ACTION", title="actions")
    status = commands.add_parser(
        "status",
        help="compare each canary with its live release from CloudWatch, with a verdict",
        description="Compare the canary's target group with the live one over the last --window minutes "
        "(AWS/ApplicationELB: RequestCount, HTTPCode_Target_5XX_Count, TargetResponseTime p99).",
        epilog=STATUS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    status.add_argument("stack", help="the stack whose canaries are judged, such as prod")
    status.add_argument("--service", metavar="NAME", help="judge only this service's canary (default: every canary)")
    status.add_argument(
        "--window",
        type=whole_number(1, MAX_WINDOW_MINUTES, "minutes"),
        default=DEFAULT_WINDOW_MINUTES,
        metavar="MINUTES",
        help=f"how many minutes back to compare (1-{MAX_WINDOW_MINUTES}, default {DEFAULT_WINDOW_MINUTES})",
    )
    status.add_argument("--json", action="store_true", help="print the comparison as a JSON list")
    add_outputs_arguments(status)
    status.set_defaults(handler=run_status)
    for action, handler, help_text, description in (
        (
            "finish",
            run_finish,
            "make the canary's release the service's own and remove the canary",
            "Move the canary's image (and hostImage, instanceType when it sets them) into the service's own keys "
            "in Pulumi.<stack>.yaml and remove its `canary` block: the next `pulumi up` replaces the live release "
            "with the canary's, health-gated, then deletes the canary.",
        ),
        (
            "abort",
            run_abort,
            "remove the canary, keeping the live release",
            "Remove the service's `canary` block from Pulumi.<stack>.yaml: the next `pulumi up` returns every "
            "request to the live release, then deletes the canary.",
        ),
    ):
        parser = commands.add_parser(action, help=help_text, description=description)
        parser.add_argument("stack", help="the stack whose file is edited, such as prod")
        parser.add_argument(
            "--service", metavar="NAME", help="the service whose canary ends (needed when several have one)"
        )
        add_stack_file_arguments(parser)
        parser.set_defaults(handler=handler)


@dataclass(frozen=True)
class Canary:
    """A canary as the stack outputs record it, with its live release."""

    service: str
    release_id: str
    version: str
    weight: int
    target_group_arn: str
    live_release_id: str
    live_version: str
    live_target_group_arn: str


@dataclass(frozen=True)
class CanaryStatus:
    canary: Canary
    window_minutes: int
    canary_metrics: TargetGroupMetrics
    live_metrics: TargetGroupMetrics
    judgement: Judgement


def run_finish(args: argparse.Namespace) -> int:
    target = PinTarget(project_dir(args), args.stack)
    service = _service_with_canary(target, args.service)
    path = (*SERVICES_PATH, service)
    canary = target.file.get((*path, "canary"))
    image, live_image = canary.get("image"), target.file.get((*path, "image"))
    if not isinstance(image, Mapping) or not isinstance(live_image, Mapping):
        raise CommandError(
            f"{SERVICES_KEY}.{service}.image and its canary.image must be mappings in {target.path.name}"
        )
    moved: dict[tuple[str, ...], Any] = {("image", key): value for key, value in image.items()}
    moved.update({(key,): canary[key] for key in RELEASE_KEYS if key in canary})
    if all(target.file.get((*path, *key)) == value for key, value in moved.items()) and set(image) == set(live_image):
        raise CommandError(
            f"the canary of {service} in {target.path.name} runs the service's own release: there is nothing to "
            f"finish; `fleetctl canary abort {args.stack} --service {service}` removes it"
        )
    target.report.append(f"{target.path.name}: {service} finishes its canary")
    for key, value in moved.items():
        old = target.file.get((*path, *key))
        if old != value:
            target.file.set((*path, *key), value)
            target.report.append(f"  {service}: {'.'.join(key)} {_shown(old)} → {_shown(value)}")
    for key in set(live_image) - set(image):
        target.edit(partial(target.file.delete, (*path, "image", key)))
        target.report.append(f"  {service}: image.{key} removed")
    _remove_canary(target, service)
    target.save(dry_run=args.dry_run)
    return 0


def run_abort(args: argparse.Namespace) -> int:
    target = PinTarget(project_dir(args), args.stack)
    service = _service_with_canary(target, args.service)
    target.report.append(f"{target.path.name}: {service} aborts its canary, its live release stays")
    _remove_canary(target, service)
    target.save(dry_run=args.dry_run)
    return 0


def _service_with_canary(target: PinTarget, service: str | None) -> str:
    """`service`, which must have a canary; else the one service of the file that has one."""
    with_canary = [name for name in target.services if target.file.get((*SERVICES_PATH, name, "canary")) is not None]
    if service is not None:
        target.require(service)
        if service not in with_canary:
            raise CommandError(f"{SERVICES_KEY}.{service} in {target.path.name} has no canary")
        canary = target.file.get((*SERVICES_PATH, service, "canary"))
        if not isinstance(canary, Mapping):
            raise CommandError(f"{SERVICES_KEY}.{service}.canary in {target.path.name} is not a mapping")
        return service
    if not with_canary:
        raise CommandError(f"no service in {target.path.name} has a canary")
    if len(with_canary) > 1:
        raise CommandError(
            f"several services in {target.path.name} have a canary ({', '.join(with_canary)}): pass --service NAME"
        )
    return _service_with_canary(target, with_canary[0])


def _remove_canary(target: PinTarget, service: str) -> None:
    weight = target.file.get((*SERVICES_PATH, service, "canary", "weight"))
    target.edit(partial(target.file.delete, (*SERVICES_PATH, service, "canary")))
    share = f" ({weight}% of requests)" if weight is not None else ""
    target.report.append(f"  {service}: canary removed{share}")
    target.changed = True


def _shown(value: Any) -> str:
    return "not set" if value is None else short_ref(str(value))


def run_status(args: argparse.Namespace) -> int:
    """Print each canary's comparison and verdict; the worst verdict is the exit code."""
    canaries = deployed_canaries(read_outputs_of(args.stack, args.from_outputs), args.stack, args.service)
    start, end = window_ending(datetime.now(UTC), args.window)
    session = stack_session(args.project_dir, args.stack)
    cloudwatch = session.client("cloudwatch")
    balancers = load_balancer_arns(
        session.client("elbv2"),
        [arn for canary in canaries for arn in (canary.target_group_arn, canary.live_target_group_arn)],
    )

    def metrics(target_group_arn: str) -> TargetGroupMetrics:
        return read_metrics(cloudwatch, target_group_arn, balancers[target_group_arn], start, end)

    statuses = []
    for canary in canaries:
        canary_metrics, live_metrics = metrics(canary.target_group_arn), metrics(canary.live_target_group_arn)
        statuses.append(
            CanaryStatus(canary, args.window, canary_metrics, live_metrics, judge(canary_metrics, live_metrics))
        )
    print(json.dumps([_as_json(status) for status in statuses], indent=2) if args.json else render(statuses))
    return worst([status.judgement.verdict for status in statuses]).value


def worst(verdicts: list[Verdict]) -> Verdict:
    """Worse before not enough data before healthy: one bad canary is enough not to finish."""
    for verdict in (Verdict.WORSE, Verdict.NOT_ENOUGH_DATA):
        if verdict in verdicts:
            return verdict
    return Verdict.HEALTHY


def deployed_canaries(outputs: Mapping[str, Any], stack: str, service: str | None) -> list[Canary]:
    """The canaries the stack outputs record (only `service`'s when given), with their live target groups."""
    services = deployed_services(outputs, stack)
    if service is not None and service not in services:
        raise CommandError(f"stack {stack} has no service {service}; it has: {', '.join(services)}")
    names = [service] if service is not None else sorted(services)
    found = [_canary(name, services[name]) for name in names]
    canaries = [canary for canary in found if canary is not None]
    if not canaries:
        where = f"service {service} of stack {stack}" if service else f"stack {stack}"
        raise CommandError(f"{where} runs no canary (no `canary` in its stack outputs)")
    return canaries


def _canary(name: str, service: ServiceOutputs) -> Canary | None:
    canary, live = service.canary, service.release
    if canary is None:
        return None
    where = f"stack outputs {SERVICES}.{name}"
    if live is None:
        raise CommandError(f"{where}.release must be an object beside {where}.canary")
    return Canary(
        service=name,
        release_id=required_field(canary, "release_id", f"{where}.canary"),
        version=required_field(canary, "version", f"{where}.canary"),
        weight=required_field(canary, "weight", f"{where}.canary"),
        target_group_arn=required_field(canary, "target_group_arn", f"{where}.canary"),
        live_release_id=required_field(live, "release_id", f"{where}.release"),
        live_version=required_field(live, "version", f"{where}.release"),
        live_target_group_arn=required_field(service, "target_group_arn", where),
    )


def render(statuses: list[CanaryStatus]) -> str:
    """Per canary: a heading, canary and live side by side, the verdict and its reasons."""
    blocks = []
    for status in statuses:
        canary = status.canary
        rows = [
            ("", "requests", "5xx rate", "p99"),
            (f"canary {canary.version}", *_cells(status.canary_metrics)),
            (f"live {canary.live_version}", *_cells(status.live_metrics)),
        ]
        widths = [max(len(row[index]) for row in rows) for index in range(4)]
        table = [
            "  "
            + "  ".join(
                cell.ljust(widths[0]) if index == 0 else cell.rjust(widths[index]) for index, cell in enumerate(row)
            )
            for row in rows
        ]
        blocks.append(
            "\n".join(
                [
                    f"{canary.service}: canary {canary.release_id} ({canary.weight}% of requests) against live "
                    f"{canary.live_release_id}, last {status.window_minutes} minutes",
                    *table,
                    f"  verdict: {status.judgement.verdict.label}",
                    *(f"  - {reason}" for reason in status.judgement.reasons),
                ]
            )
        )
    return "\n\n".join(blocks)


def _cells(metrics: TargetGroupMetrics) -> tuple[str, str, str]:
    rate = metrics.error_rate_percent
    return (
        str(metrics.requests),
        "-" if rate is None else f"{rate:.2f}%",
        "-" if metrics.p99_seconds is None else f"{metrics.p99_seconds:.3f} s",
    )


def _as_json(status: CanaryStatus) -> dict[str, Any]:
    def side(metrics: TargetGroupMetrics) -> dict[str, Any]:
        return {
            "requests": metrics.requests,
            "errors5xx": metrics.errors_5xx,
            "errorRatePercent": metrics.error_rate_percent,
            "p99Seconds": metrics.p99_seconds,
        }

    canary = status.canary
    return {
        "service": canary.service,
        "verdict": status.judgement.verdict.label,
        "reasons": list(status.judgement.reasons),
        "windowMinutes": status.window_minutes,
        "weight": canary.weight,
        "canary": {"releaseId": canary.release_id, "version": canary.version, **side(status.canary_metrics)},
        "live": {"releaseId": canary.live_release_id, "version": canary.live_version, **side(status.live_metrics)},
    }
