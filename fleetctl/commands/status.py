"""`fleetctl status STACK`: what serves each service right now, and what a rollback right now would do.

Per service, from the stack outputs (the roles of its release slots) and AWS (each slot's group and target health,
the traffic rule as the load balancer has it): the live release, the warm previous release and when it retires
(or how long it is overdue and what that cost), the canary and its share, what a rollback would do (a switch to
the warm release, or a full release), and whether traffic is where the outputs say it is. A traffic rule that
forwards to the warm slot was switched outside Pulumi (`fleetctl watch` rolled the release back): the status names
its marker and what to run so that the stack file agrees again.

Exit code 0, or 1 when something needs an operator: a warm release past its window, or traffic that disagrees with
the outputs; 2 an error.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fleet.names import rollback_marker_path
from fleet.outputs import (
    SERVICES,
    CanaryRelease,
    DeployedRelease,
    ReleaseEntry,
    ServiceOutputs,
    WarmRelease,
    output_key,
)
from fleet.rollback_markers import RolledBack, parse_marker
from fleetctl.audit_facts import rule_forwards
from fleetctl.commands.rollback import release_to_pin
from fleetctl.errors import CommandError
from fleetctl.pinning import deployed_services
from fleetctl.stack_check import stack_session
from fleetctl.stack_outputs import add_outputs_arguments, read_outputs_of
from fleetctl.traffic import Forward, expected_shares, shares
from fleetctl.warm import Window, shown

LEGACY_SLOT = "a"
"""The slot of a release recorded before slots existed."""
HEALTHY = "healthy"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status",
        help="what serves each service: live, warm and canary releases, and what a rollback would do",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("stack", help="the stack to show, such as prod")
    parser.add_argument("--service", metavar="NAME", help="show only this service (default: every service)")
    parser.add_argument("--json", action="store_true", help="print the status as JSON (`services.<name>.warm.overdue`)")
    add_outputs_arguments(parser)
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class Health:
    """A release's group as AWS has it: its desired capacity and how many of its slot's targets are healthy."""

    desired: int | None
    """None: the group does not exist."""
    healthy: int | None
    """None: the target group does not exist."""

    @property
    def whole(self) -> bool:
        """Every host it should have is healthy: it could take its traffic now."""
        return self.desired is not None and self.healthy is not None and self.healthy >= self.desired

    def text(self) -> str:
        if self.desired is None:
            return "its group does not exist"
        if self.healthy is None:
            return "its target group does not exist"
        return f"{self.healthy}/{self.desired} healthy"


@dataclass(frozen=True)
class Role:
    """A release in a role (live, warm, canary) and its health."""

    role: str
    release: DeployedRelease
    target_group_arn: str
    """Its slot's target group."""
    health: Health

    @property
    def slot(self) -> str:
        return self.release.slot or LEGACY_SLOT

    def text(self) -> str:
        if isinstance(self.release, WarmRelease):
            since = f", out of traffic since {shown_iso(self.release.warm_since)}" if self.release.warm_since else ""
        else:
            since = f", since {shown_iso(self.release.since)}" if self.release.since else ""
        return (
            f"{self.release.release_id} (version {self.release.version}), slot {self.slot}{since}: {self.health.text()}"
        )


@dataclass(frozen=True)
class Rollback:
    kind: str
    """`switch`, `switch-waits` (the warm release is unhealthy), `full-release`, `done` (traffic is already back on
    the warm release), `none`."""
    release_id: str | None
    text: str


@dataclass(frozen=True)
class Traffic:
    """Where the traffic rule forwards, as the load balancer has it, beside what the outputs say."""

    rule_arn: str | None
    """None: the outputs record no traffic rule (a stack deployed before warm releases)."""
    forwards: tuple[Forward, ...] | None
    """None: the rule does not exist."""
    marker: RolledBack | None = None
    marker_path: str | None = None


@dataclass(frozen=True)
class ServiceStatus:
    stack: str
    service: str
    live: Role
    warm: Role | None
    window: Window | None
    canary: Role | None
    previous: ReleaseEntry | None
    """The release `fleetctl rollback` would pin; None when the history has none (`no_previous` says why)."""
    no_previous: str
    traffic: Traffic

    def shares(self) -> dict[str, int] | None:
        """Percent of the requests per target group the traffic rule forwards to; None without a rule."""
        return None if self.traffic.forwards is None else shares(self.traffic.forwards)

    def expected_shares(self) -> dict[str, int]:
        canary = None if self.canary is None else (self.canary.target_group_arn, _canary(self.canary).weight or 0)
        return expected_shares(self.live.target_group_arn, canary)

    @property
    def rolled_back_outside_pulumi(self) -> bool:
        """The rule forwards to the warm slot and not to the live one: `fleetctl watch` (or a hand) switched it."""
        shares = self.shares()
        if shares is None or self.warm is None:
            return False
        return self.warm.target_group_arn in shares and self.live.target_group_arn not in shares

    @property
    def traffic_agrees(self) -> bool:
        if self.traffic.rule_arn is None:
            return True  # nothing recorded to compare with
        return self.shares() == self.expected_shares()

    @property
    def overdue(self) -> bool:
        return self.window is not None and not self.window.open

    @property
    def needs_action(self) -> bool:
        return self.overdue or not self.traffic_agrees

    def rollback(self) -> Rollback:
        """What a rollback right now would do."""
        command = f"fleetctl rollback {self.stack} --service {self.service}"
        if self.warm is not None and self.rolled_back_outside_pulumi:
            return Rollback(
                "done",
                self.warm.release.release_id,
                f"traffic is already on warm release {self.warm.release.release_id} (switched outside Pulumi); pin "
                f"it with `{command}`, so the next `pulumi up` declares what AWS has",
            )
        if self.warm is not None and self.window is not None and self.window.open:
            warm_id = self.warm.release.release_id
            until = f"warm until {shown(self.window.retires_at)}"
            if self.warm.health.whole:
                return Rollback("switch", warm_id, f"switch to {warm_id} ({until}): one load balancer change, no boot")
            return Rollback(
                "switch-waits",
                warm_id,
                f"switch to {warm_id} ({until}), but it is unhealthy ({self.warm.health.text()}): the switch would "
                "wait for its group to heal before traffic moves",
            )
        if self.previous is None:
            return Rollback("none", None, f"nothing to roll back to: {self.no_previous}")
        why = (
            f"its warm window closed at {shown(self.window.retires_at)}"
            if self.window is not None and self.previous.release_id == self.warm_id
            else "no warm release"
        )
        return Rollback(
            "full-release",
            self.previous.release_id,
            f"full release of {self.previous.release_id} (version {self.previous.version}; {why}): new hosts boot, "
            "health-gated, before traffic moves",
        )

    @property
    def warm_id(self) -> str | None:
        return self.warm.release.release_id if self.warm else None

    def traffic_text(self) -> str:
        shares = self.shares()
        if self.traffic.rule_arn is None:
            return "no traffic rule in the outputs (deployed before warm releases): not checked"
        if shares is None:
            return f"the traffic rule {self.traffic.rule_arn} does not exist"
        forwarded = ", ".join(f"{share}% to {self._slot_of(arn)}" for arn, share in shares.items()) or "nothing"
        if self.traffic_agrees:
            return f"as the outputs say: {forwarded}"
        if self.rolled_back_outside_pulumi:
            assert self.warm is not None
            return (
                f"{forwarded}, not to the live slot {self.live.slot}: release {self.live.release.release_id} was "
                f"rolled back outside Pulumi ({self._marker_text()}); run `fleetctl rollback {self.stack} --service "
                f"{self.service}` to pin {self.warm.release.release_id}, then deploy"
            )
        expected = ", ".join(f"{share}% to {self._slot_of(arn)}" for arn, share in self.expected_shares().items())
        return f"{forwarded}, but the outputs say {expected}: the rule was changed outside Pulumi"

    def _marker_text(self) -> str:
        marker = self.traffic.marker
        if marker is None:
            return f"no marker {self.traffic.marker_path} in SSM: not switched by fleetctl"
        alarms = f", alarms: {', '.join(marker.alarms)}" if marker.alarms else ""
        at = f" at {shown_iso(marker.at)}" if marker.at else ""
        return f"by {marker.by}{at}{alarms}; marker {self.traffic.marker_path} in SSM"

    def _slot_of(self, target_group_arn: str) -> str:
        for role in (self.live, self.warm, self.canary):
            if role is not None and role.target_group_arn == target_group_arn:
                return f"slot {role.slot} ({role.role})"
        return target_group_arn


def shown_iso(text: str | None) -> str:
    """An outputs time (ISO-8601) as fleetctl prints times; left as written when it is not one."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return shown(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _canary(role: Role) -> CanaryRelease:
    assert isinstance(role.release, CanaryRelease)
    return role.release


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Print each service's status; 1 when one needs an operator. `now`: the clock, unless a test sets it."""
    now = now or datetime.now(UTC)
    services = deployed_services(read_outputs_of(args.stack, args.from_outputs), args.stack)
    if args.service is not None and args.service not in services:
        raise CommandError(f"stack {args.stack} has no service {args.service}; it has: {', '.join(services)}")
    names = [args.service] if args.service is not None else sorted(services)
    session = stack_session(args.project_dir, args.stack)
    statuses = read_statuses(session, args.stack, {name: services[name] for name in names}, now)
    print(json.dumps(as_json(statuses, now), indent=2) if args.json else render(statuses, now))
    return 1 if any(status.needs_action for status in statuses) else 0


def read_statuses(
    session: Any, stack: str, services: Mapping[str, ServiceOutputs], now: datetime
) -> list[ServiceStatus]:
    """Each service's status from its outputs and what AWS has (a handful of describe calls per service)."""
    autoscaling, elbv2, ssm = session.client("autoscaling"), session.client("elbv2"), session.client("ssm")
    records = {name: _records(name, outputs) for name, outputs in services.items()}
    group_names = sorted({str(release.asg_name) for roles in records.values() for release, _ in roles.values()})
    desired = _desired(autoscaling, group_names)
    statuses = []
    for name, outputs in services.items():
        roles = {
            role: Role(role, release, arn, Health(desired.get(str(release.asg_name)), _healthy(elbv2, arn)))
            for role, (release, arn) in records[name].items()
        }
        where = f"{SERVICES}.{name}"
        window = Window.of(outputs.warm, now, f"{where}.warm") if outputs.warm else None
        try:
            previous, _ = release_to_pin(outputs, None, f"{where}.history")
            no_previous = ""
        except CommandError as error:
            previous, no_previous = None, str(error)
        status = ServiceStatus(
            stack=stack,
            service=name,
            live=roles["live"],
            warm=roles.get("warm"),
            window=window,
            canary=roles.get("canary"),
            previous=previous,
            no_previous=no_previous,
            traffic=_traffic(elbv2, outputs.traffic_rule_arn),
        )
        if status.rolled_back_outside_pulumi:
            path = rollback_marker_path(stack, name, str(status.live.release.release_id))
            status = _with_marker(status, path, _marker(ssm, path))
        statuses.append(status)
    return statuses


def _with_marker(status: ServiceStatus, path: str, marker: RolledBack | None) -> ServiceStatus:
    return replace(status, traffic=replace(status.traffic, marker=marker, marker_path=path))


def _records(name: str, outputs: ServiceOutputs) -> dict[str, tuple[DeployedRelease, str]]:
    """The service's releases by role with their slots' target groups (the live one's is the service's), each
    with the fields the status cannot do without."""
    where = f"stack outputs {SERVICES}.{name}"
    if outputs.release is None:
        raise CommandError(f"{where}.release is missing: has this program deployed the service?")
    records: dict[str, tuple[DeployedRelease, str, str | None]] = {
        "live": (outputs.release, "release", outputs.release.target_group_arn or outputs.target_group_arn)
    }
    if outputs.warm is not None:
        records["warm"] = (outputs.warm, "warm", outputs.warm.target_group_arn)
    if outputs.canary is not None:
        records["canary"] = (outputs.canary, "canary", outputs.canary.target_group_arn)
    for release, key, target_group_arn in records.values():
        for attribute in ("release_id", "asg_name"):
            if not getattr(release, attribute):
                raise CommandError(f"{where}.{key}.{output_key(type(release), attribute)} is missing or empty")
        if not target_group_arn:
            owner = where if key == "release" else f"{where}.{key}"
            raise CommandError(f"{owner}.{output_key(ServiceOutputs, 'target_group_arn')} is missing or empty")
    return {role: (release, str(arn)) for role, (release, _, arn) in records.items()}


def _desired(autoscaling: Any, names: list[str]) -> dict[str, int]:
    pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate(AutoScalingGroupNames=names)
    groups = [group for page in pages for group in page["AutoScalingGroups"]]
    return {group["AutoScalingGroupName"]: int(group["DesiredCapacity"]) for group in groups}


def _healthy(elbv2: Any, target_group_arn: str) -> int | None:
    try:
        described = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    except elbv2.exceptions.TargetGroupNotFoundException:
        return None
    return sum(1 for d in described["TargetHealthDescriptions"] if d["TargetHealth"]["State"] == HEALTHY)


def _traffic(elbv2: Any, rule_arn: str | None) -> Traffic:
    return Traffic(None, None) if rule_arn is None else Traffic(rule_arn, rule_forwards(elbv2, rule_arn))


def _marker(ssm: Any, path: str) -> RolledBack | None:
    try:
        return parse_marker(ssm.get_parameter(Name=path)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def render(statuses: list[ServiceStatus], now: datetime) -> str:
    """Per service: one line per role, the rollback, the traffic."""
    blocks = []
    for status in statuses:
        lines = [f"{status.service} (stack {status.stack}, {shown(now)})", f"  live:      {status.live.text()}"]
        if status.warm is not None and status.window is not None:
            lines.append(f"  warm:      {status.warm.text()}; {status.window.retirement()}")
        else:
            lines.append("  warm:      none")
        if status.canary is not None:
            lines.append(f"  canary:    {status.canary.text()}; {_canary(status.canary).weight}% of requests")
        else:
            lines.append("  canary:    none")
        lines.append(f"  rollback:  {status.rollback().text}")
        lines.append(f"  traffic:   {status.traffic_text()}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def as_json(statuses: list[ServiceStatus], now: datetime) -> dict[str, Any]:
    """The status as the retire workflow and other tools read it: `services.<name>.warm.overdue`."""
    return {
        "stack": statuses[0].stack if statuses else None,
        "at": _iso(now),
        "needsAction": any(status.needs_action for status in statuses),
        "services": {status.service: _service_json(status) for status in statuses},
    }


def _service_json(status: ServiceStatus) -> dict[str, Any]:
    rollback = status.rollback()
    warm = None
    if status.warm is not None and status.window is not None:
        overdue = status.window.overdue
        warm = {
            **_role_json(status.warm),
            "warmSince": status.window.release.warm_since,
            "retiresAt": _iso(status.window.retires_at),
            "overdue": overdue is not None,
            "overdueMinutes": None if overdue is None else int(overdue.total_seconds() // 60),
            "overdueInstanceHours": round(status.window.instance_hours, 2),
        }
    canary = None
    if status.canary is not None:
        canary = {**_role_json(status.canary), "weight": _canary(status.canary).weight}
    marker = status.traffic.marker
    return {
        "live": _role_json(status.live),
        "warm": warm,
        "canary": canary,
        "rollback": {"kind": rollback.kind, "releaseId": rollback.release_id, "detail": rollback.text},
        "traffic": {
            "ruleArn": status.traffic.rule_arn,
            "forwards": None if status.shares() is None else status.shares(),
            "agreesWithOutputs": status.traffic_agrees,
            "rolledBackOutsidePulumi": status.rolled_back_outside_pulumi,
            "marker": None
            if marker is None
            else {
                "path": status.traffic.marker_path,
                "at": marker.at,
                "alarms": list(marker.alarms),
                "servedBy": marker.served_by,
                "by": marker.by,
            },
        },
    }


def _role_json(role: Role) -> dict[str, Any]:
    return {
        "releaseId": role.release.release_id,
        "version": role.release.version,
        "slot": role.slot,
        "since": role.release.since,
        "asgName": role.release.asg_name,
        "targetGroupArn": role.target_group_arn,
        "desired": role.health.desired,
        "healthy": role.health.healthy,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
