"""`fleetctl watch STACK [--rollback]`: watch the live release's alarms through its warm window; roll back on alarm.

After a release, the release it replaced stays warm (hosts healthy, out of traffic) until `retiresAt`. While that
window is open, this polls the live release's alarms (`services.<name>.alarms` in the stack outputs) every
--interval seconds and prints one progress line per poll. When one is in ALARM and --rollback is given, it sends the
service's traffic back to the warm release itself, without Pulumi:

1. the marker `/fleet-rollbacks/<stack>/<service>/<release id>` (SSM): the program refuses that release from then
   on, so no later `pulumi up` can silently send traffic back to it;
2. the warm group gets its `capacity.min` back and resumes AlarmNotification (it serves now: it must scale);
3. ModifyRule on the traffic rule (`trafficRuleArn`): one load balancer change, forwarding to the warm slot.

The marker comes first: if a later step fails, the program still refuses the bad release, and the worst left
behind is a refused deploy, never a `pulumi up` that undoes a rollback. Then pin what serves with
`fleetctl rollback STACK --service NAME`: the next `pulumi up` declares what AWS already has.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from botocore.config import Config

from fleet.clock import iso, parse_iso
from fleet.names import rollback_marker_path, service_prefix
from fleet.outputs import SERVICES, STACK, ServiceOutputs
from fleet.rollback_markers import RolledBack
from fleetctl.cli import whole_number
from fleetctl.errors import AWS_ERRORS, CommandError, aws_problem
from fleetctl.pinning import deployed_services
from fleetctl.stack_check import stack_session
from fleetctl.stack_outputs import add_outputs_arguments, read_outputs_of, required_field
from fleetctl.traffic import forwards_of, shares

DEFAULT_INTERVAL_SECONDS = 15
MAX_INTERVAL_SECONDS = 60
MAX_WATCH_MINUTES = 2880
ALARM = "ALARM"

CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
ATTEMPTS = 2
CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "max_attempts": ATTEMPTS},
)
"""Every AWS call of the watch is bounded, so the time from an alarm to the switch is too (`worst_case_seconds`)."""
MAX_RETRY_DELAY_SECONDS = 6.0
"""The longest wait before a retry in botocore's standard mode: `random() * min(scale * 2 ** 0, 20)` with a scale of
1 s for a throttling error, raised to an `x-amz-retry-after` header's value by at most 5 s more
(botocore/retries/standard.py `ExponentialBackoff.delay_amount`)."""
SWITCH_CALLS = (
    "cloudwatch:DescribeAlarms",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeRules",
    "ssm:PutParameter",
    "autoscaling:UpdateAutoScalingGroup",
    "autoscaling:ResumeProcesses",
    "elasticloadbalancing:ModifyRule",
)
"""The calls from the poll that sees an alarm to the load balancer's change, in order (ModifyRule included)."""


def worst_case_seconds(interval: int) -> float:
    """The longest time from an alarm entering ALARM to the end of the ModifyRule that switches traffic: it fires
    just after a poll (a whole interval), then every call on the path uses all its attempts and timeouts."""
    per_call = ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + (ATTEMPTS - 1) * MAX_RETRY_DELAY_SECONDS
    return interval + len(SWITCH_CALLS) * per_call


EPILOG = f"""\
verdict (exit code), one line per service at the end:
  healthy (0)      no alarm of the live release fired through its window (or --for)
  rolled back (1)  an alarm fired and --rollback switched traffic to the warm release;
                   also 1: an alarm fired, and without --rollback nothing was switched
  error (2)        a failed command, or a switch refused: the warm release had fewer healthy hosts than its desired
From an alarm to the switch: at most {worst_case_seconds(DEFAULT_INTERVAL_SECONDS):.0f} s at the default interval
(one interval, then {len(SWITCH_CALLS)} AWS calls, each with its timeouts and retry)."""


class Outcome(IntEnum):
    """A service's verdict; the worst one is the exit code."""

    HEALTHY = 0
    ALARMED = 1
    REFUSED = 2


@dataclass(frozen=True)
class Watched:
    """A service with a warm release in its window, as the stack outputs record it."""

    service: str
    live_release_id: str
    live_target_group_arn: str
    alarms: tuple[str, ...]
    warm_release_id: str
    warm_version: str
    warm_asg_name: str
    warm_target_group_arn: str
    warm_desired: int
    min_size: int
    traffic_rule_arn: str
    retires_at: datetime


@dataclass
class Clock:
    """The watch's time: real by default; tests pass one whose `sleep` moves `now` on."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep


CLOCK = Clock()


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="watch the live release's alarms through the warm window; --rollback switches back on an alarm",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("stack", help="the stack whose services are watched, such as prod")
    parser.add_argument(
        "--service",
        metavar="NAME",
        help="watch only this service (default: every one with a warm release in its window)",
    )
    parser.add_argument(
        "--rollback",
        action="store_true",
        help="on an alarm, switch the service's traffic to its warm release (default: only report it)",
    )
    parser.add_argument(
        "--interval",
        type=whole_number(1, MAX_INTERVAL_SECONDS, "seconds"),
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"seconds between polls of the alarms (1-{MAX_INTERVAL_SECONDS}, default {DEFAULT_INTERVAL_SECONDS})",
    )
    parser.add_argument(
        "--for",
        dest="for_minutes",
        type=whole_number(1, MAX_WATCH_MINUTES, "minutes"),
        metavar="MINUTES",
        help="stop after this many minutes even if a window is still open (a CI job has a time limit); "
        "default: until the last window closes",
    )
    add_outputs_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    outputs = read_outputs_of(args.stack, args.from_outputs)
    stack = str(outputs[STACK])
    start = CLOCK.now()
    watched = watched_services(outputs, args.stack, args.service, start)
    if not watched:
        who = f"service {args.service} has no" if args.service else "no service has a"
        _say(f"{args.stack}: {who} warm release in its window: nothing to watch")
        return Outcome.HEALTHY
    session = stack_session(args.project_dir, args.stack)
    aws = Aws(*(session.client(name, config=CLIENT_CONFIG) for name in ("cloudwatch", "elbv2", "autoscaling", "ssm")))
    stop = start + timedelta(minutes=args.for_minutes) if args.for_minutes else None
    _say(
        f"{args.stack}: watching {', '.join(w.service for w in watched)} every {args.interval} s"
        + ("" if args.rollback else " (report only: no --rollback)")
    )
    verdicts = watch(aws, stack, args.stack, watched, args.interval, stop, rollback=args.rollback)
    for line, _ in verdicts:
        _say(line)
    return max(outcome for _, outcome in verdicts)


@dataclass(frozen=True)
class Aws:
    cloudwatch: Any
    elbv2: Any
    autoscaling: Any
    ssm: Any


def watch(
    aws: Aws,
    stack: str,
    stack_arg: str,
    services: list[Watched],
    interval: int,
    stop: datetime | None,
    *,
    rollback: bool,
) -> list[tuple[str, Outcome]]:
    """Poll until every service has a verdict: an alarm, the end of its window, or `stop`. `stack` is the stack's
    name as its outputs give it (the marker's path), `stack_arg` as the user gave it (the commands suggested)."""
    verdicts: dict[str, tuple[str, Outcome]] = {}
    active = list(services)
    while active:
        now = CLOCK.now()
        states = alarm_states(aws.cloudwatch, [name for watched in active for name in watched.alarms])
        for watched in list(active):
            end = _end(watched, stop)
            own = {name: states[name] for name in watched.alarms}
            _say(f"{iso(now)} {watched.service}: {_left(end - now)} left; {_shown(stack, watched.service, own)}")
            firing = [name for name, state in own.items() if state == ALARM]
            if firing:
                verdicts[watched.service] = _on_alarm(aws, stack, stack_arg, watched, firing, now, rollback=rollback)
            elif now >= end:
                verdicts[watched.service] = (_healthy(watched, end, stop), Outcome.HEALTHY)
            else:
                continue
            active.remove(watched)
        if active:
            nearest = min(_end(watched, stop) for watched in active)
            CLOCK.sleep(max(0.0, min(float(interval), (nearest - now).total_seconds())))
    return [verdicts[watched.service] for watched in services]


def _end(watched: Watched, stop: datetime | None) -> datetime:
    """When the watch of a service ends without an alarm: its window's end, or `stop` before it."""
    return watched.retires_at if stop is None else min(watched.retires_at, stop)


def _healthy(watched: Watched, end: datetime, stop: datetime | None) -> str:
    if stop is not None and end < watched.retires_at:
        return (
            f"{watched.service}: healthy as far as watched (until {iso(end)}); its window stays open, unwatched, "
            f"until {iso(watched.retires_at)}"
        )
    return (
        f"{watched.service}: healthy through the window (warm release {watched.warm_release_id} retires at "
        f"{iso(watched.retires_at)})"
    )


def _on_alarm(
    aws: Aws, stack: str, stack_arg: str, watched: Watched, firing: list[str], now: datetime, *, rollback: bool
) -> tuple[str, Outcome]:
    names = ", ".join(firing)
    pin = f"fleetctl rollback {stack_arg} --service {watched.service}"
    if not rollback:
        return (
            f"{watched.service}: alarms in ALARM at {iso(now)} ({names}); not rolled back (no --rollback): "
            f"roll back with {pin}",
            Outcome.ALARMED,
        )
    refusal = switch_refusal(aws, watched)
    if refusal is not None:
        return (
            f"{watched.service}: alarms in ALARM at {iso(now)} ({names}); not rolled back: {refusal}; roll back "
            f"with {pin}",
            Outcome.REFUSED,
        )
    switch(aws, stack, stack_arg, watched, now, alarms=firing, by="fleetctl watch")
    _say(f"{iso(now)} {watched.service}: traffic switched to warm release {watched.warm_release_id}")
    return (
        f"{watched.service}: rolled back to {watched.warm_release_id} (version {watched.warm_version}) at "
        f"{iso(now)} (alarms: {names}); pin it: {pin}",
        Outcome.ALARMED,
    )


def switch_refusal(aws: Aws, watched: Watched) -> str | None:
    """Why the switch to the warm release must not run now, or None: the warm release has fewer healthy hosts than
    its desired, or the traffic rule no longer sends to the live release the outputs name. That is a `pulumi up`
    of the stack that moved traffic since the outputs were read (a new release, after its gate): the warm release
    it read may be the one that update is deleting, so the switch is left to that update's own release."""
    healthy = healthy_targets(aws.elbv2, watched.warm_target_group_arn)
    if healthy < watched.warm_desired:
        return f"warm release {watched.warm_release_id} has {healthy} healthy of {watched.warm_desired} hosts"
    [rule] = aws.elbv2.describe_rules(RuleArns=[watched.traffic_rule_arn])["Rules"]
    if watched.live_target_group_arn not in shares(forwards_of(rule["Actions"])):
        return (
            f"the traffic rule no longer sends to release {watched.live_release_id} (another `pulumi up` of the stack "
            "moved it since its outputs were read)"
        )
    return None


def switch(
    aws: Aws, stack: str, stack_arg: str, watched: Watched, now: datetime, *, alarms: list[str], by: str
) -> None:
    """Send the service's traffic to its warm release: the marker, the warm group's capacity, then the rule. `by`
    names the command in the marker (`fleetctl watch`, `fleetctl rollback --now`); `alarms`: the ones that fired.

    A call that fails after the marker is an error saying what is done: the bad release is refused from then on,
    while its traffic may not have moved."""
    marker = rollback_marker_path(stack, watched.service, watched.live_release_id)
    aws.ssm.put_parameter(
        Name=marker,
        Description=f"{by} rolled back {watched.service} release {watched.live_release_id}",
        Value=RolledBack(iso(now), tuple(alarms), watched.warm_release_id, by).value(),
        Type="String",
        Overwrite=True,
    )
    try:
        # The group that is to serve gets its floor and its scaling back before traffic reaches it. A min above its
        # desired raises the desired (UpdateAutoScalingGroup); a lower one leaves it.
        aws.autoscaling.update_auto_scaling_group(AutoScalingGroupName=watched.warm_asg_name, MinSize=watched.min_size)
        aws.autoscaling.resume_processes(
            AutoScalingGroupName=watched.warm_asg_name, ScalingProcesses=["AlarmNotification"]
        )
        aws.elbv2.modify_rule(
            RuleArn=watched.traffic_rule_arn,
            Actions=[
                {
                    "Type": "forward",
                    "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": watched.warm_target_group_arn, "Weight": 1}]},
                }
            ],
        )
    except AWS_ERRORS as error:
        raise CommandError(
            f"{watched.service}: the switch to warm release {watched.warm_release_id} failed ({aws_problem(error)}); "
            f"the marker {marker} is written, so the program refuses release {watched.live_release_id}, but its "
            f"traffic may not have moved: run `fleetctl watch {stack_arg} --service {watched.service} --rollback` "
            f"again, or pin the warm release with `fleetctl rollback {stack_arg} --service {watched.service}` and "
            "deploy"
        ) from error


def alarm_states(cloudwatch: Any, names: list[str]) -> dict[str, str]:
    """Each alarm's state (OK, ALARM, INSUFFICIENT_DATA); an alarm CloudWatch does not have is an error."""
    states: dict[str, str] = {}
    for start in range(0, len(names), 100):  # DescribeAlarms takes at most 100 names
        pages = cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNames=names[start : start + 100], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        for page in pages:
            for alarm in (*page.get("MetricAlarms", ()), *page.get("CompositeAlarms", ())):
                states[alarm["AlarmName"]] = alarm["StateValue"]
    missing = [name for name in names if name not in states]
    if missing:
        raise CommandError(f"CloudWatch has no alarm {', '.join(missing)} (named in the stack outputs)")
    return states


def healthy_targets(elbv2: Any, target_group_arn: str) -> int:
    descriptions = elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
    return sum(1 for target in descriptions if target["TargetHealth"]["State"] == "healthy")


def watched_services(outputs: Mapping[str, Any], stack: str, service: str | None, now: datetime) -> list[Watched]:
    """The services with a warm release whose window is still open at `now` (only `service` when given)."""
    services = deployed_services(outputs, stack)
    if service is not None and service not in services:
        raise CommandError(f"stack {stack} has no service {service}; it has: {', '.join(services)}")
    found = [warm_switch(name, services[name]) for name in ([service] if service else sorted(services))]
    return [watched for watched in found if watched is not None and watched.retires_at > now]


def warm_switch(name: str, service: ServiceOutputs) -> Watched | None:
    """What a switch of service `name` to its warm release acts on, from its outputs; None without a warm release.
    The watch's and `fleetctl rollback --now`'s."""
    warm, live, capacity = service.warm, service.release, service.capacity
    if warm is None:
        return None
    where = f"stack outputs {SERVICES}.{name}"
    if live is None or capacity is None:
        missing = "release" if live is None else "capacity"
        raise CommandError(f"{where}.{missing} must be an object beside {where}.warm")
    if not service.alarms:
        raise CommandError(f"{where}.alarms is missing or empty: the watch has no alarm to watch")
    return Watched(
        service=name,
        live_release_id=required_field(live, "release_id", f"{where}.release"),
        live_target_group_arn=required_field(live, "target_group_arn", f"{where}.release"),
        alarms=service.alarms,
        warm_release_id=required_field(warm, "release_id", f"{where}.warm"),
        warm_version=required_field(warm, "version", f"{where}.warm"),
        warm_asg_name=required_field(warm, "asg_name", f"{where}.warm"),
        warm_target_group_arn=required_field(warm, "target_group_arn", f"{where}.warm"),
        warm_desired=required_field(warm, "desired", f"{where}.warm"),
        min_size=required_field(capacity, "min", f"{where}.capacity"),
        traffic_rule_arn=required_field(service, "traffic_rule_arn", where),
        retires_at=parse_iso(required_field(warm, "retires_at", f"{where}.warm")),
    )


def _shown(stack: str, service: str, states: dict[str, str]) -> str:
    """Each alarm's state, its name without the service's own prefix (`target-5xx-rate OK`)."""
    prefix = f"{service_prefix(stack, service)}-"
    return ", ".join(f"{name.removeprefix(prefix)} {state}" for name, state in states.items())


def _left(remaining: timedelta) -> str:
    seconds = max(0, int(remaining.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m{rest % 60:02d}s" if hours else f"{rest // 60}m{rest % 60:02d}s"


def _say(line: str) -> None:
    """Print a line at once (a CI log shows the progress live). A reader that went away (`| head`) does not stop
    the watch: it goes on, silently, to its verdict and its rollback."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
