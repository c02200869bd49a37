"""A staging fleet with warm rollbacks under the engine's rules (tests/engine_model.py), for the scenario tests of
issue 16's Safety list: the clock each update runs at, the stack files a scenario moves through, and the checks
that hold after every step and every wave of deletes of every update."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fleet.names import rollback_marker_path, slot_name
from fleet.resource_types import AUTOSCALING_GROUP, LAUNCH_TEMPLATE, LISTENER_RULE
from tests.checkout import stack_file
from tests.engine_model import EngineModel, Entry, Hosts, Update

SERVICE = "web"
PROBES = ((80, "web.example.com"),)
"""Staging's web has no hostnames: its clients reach it on port 80, with any Host."""
WEB = "www.example.com"
HOSTNAME_PROBES = ((443, WEB), (80, WEB))
"""With hostnames, web's clients send its name, on HTTPS or plain HTTP (redirected)."""
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
START = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=60)
"""The default `warmRollbackMinutes`."""
SERVING = 2
"""Staging's web capacity."""
CANARY_HOSTS = 1
"""A canary's default `instances`."""
TRAFFIC_RULE = f"{SERVICE}-traffic-rule"
"""With a port of its own, the catch-all rule that forwards web's requests."""
HOST_RULE = f"{SERVICE}-host-rule"
"""With hostnames, the host rule forwards them."""
V1, V2, V3 = "1.0.0", "1.1.0", "1.2.0"


def staging(
    version: str = V1, *, canary: str | None = None, weight: int = 10, hostnames: bool = False
) -> dict[str, Any]:
    """Staging's stack file running `version` of web, with a canary of version `canary` taking `weight` percent;
    with `hostnames`, web served on the shared HTTPS listener by its name."""
    config = copy.deepcopy(stack_file("staging"))
    web = config["fleet:services"][SERVICE]
    web["image"]["version"] = version
    if hostnames:
        config["fleet:tls"] = {"certificateArn": CERTIFICATE}
        web["hostnames"] = [WEB]
    if canary is not None:
        web["canary"] = {"image": {"version": canary, "build": "images/web"}, "weight": weight}
    return config


def group_name(slot: str) -> str:
    """The logical name of a slot's autoscaling group."""
    return f"{slot_name(SERVICE, slot, 'release')}-group"


def template_name(slot: str) -> str:
    return f"{slot_name(SERVICE, slot, 'release')}-launch-template"


@dataclass
class Fleet:
    """Staging under the engine model, with the clock of its updates; `up` checks what holds at every moment."""

    probes: tuple[tuple[int, str], ...] = PROBES
    traffic_rule: str = TRAFFIC_RULE
    model: EngineModel = field(default_factory=lambda: EngineModel("staging"))
    now: datetime = START

    def up(self, config: dict[str, Any], *, after: timedelta = timedelta(minutes=5), **options: Any) -> Update:
        """`pulumi up` `after` the last one."""
        self.now += after
        return self.model.up(config, now=self.now, probes=self.probes, **options)

    def hosts(self) -> Hosts:
        return self.model.hosts(SERVICE)

    @property
    def services(self) -> dict[str, Any]:
        return self.model.outputs.get("services", {})

    @property
    def web(self) -> dict[str, Any]:
        return self.services[SERVICE]

    def slot_of(self, role: str) -> str | None:
        """The slot the outputs record for `release`, `warm` or `canary`."""
        record = self.web.get(role)
        return None if record is None else record["slot"]

    def group(self, slot: str) -> Entry:
        """The slot's group in the state (not a pending delete)."""
        (entry,) = [e for e in self.model.groups() if e.name == group_name(slot) and not e.pending_delete]
        return entry

    def resource(self, name: str) -> Entry:
        (entry,) = [e for e in self.model.state if e.name == name and not e.pending_delete]
        return entry

    def roll_back_outside_pulumi(self, alarms: tuple[str, ...] = ("web-5xx-rate",)) -> None:
        """What `fleetctl watch --rollback` does when the live release's alarms fire: the warm group takes the
        service's minimum again and its scaling back, the traffic rule forwards to the warm slot (ModifyRule),
        and the marker of the live release is written."""
        warm, bad = self.web["warm"], self.web["release"]["releaseId"]
        self.model.change_outside(group_name(warm["slot"]), minSize=self.web["capacity"]["min"], suspendedProcesses=[])
        self.model.change_outside(
            self.traffic_rule, actions=[{"type": "forward", "targetGroupArn": warm["targetGroupArn"]}]
        )
        marker = {"at": self.now.strftime("%Y-%m-%dT%H:%M:%SZ"), "alarms": list(alarms), "servedBy": warm["releaseId"]}
        self.model.parameters[rollback_marker_path("staging", SERVICE, bad)] = json.dumps(marker)


def settled(fleet: Fleet | None = None, *, hostnames: bool = False) -> Fleet:
    """A fleet serving V1 from slot a after two updates (the second turns scale-in back on): where scenarios start."""
    fleet = fleet or Fleet()
    for _ in range(2):
        assert fleet.up(staging(V1, hostnames=hostnames)).succeeded
    return fleet


def released(fleet: Fleet | None = None) -> Fleet:
    """V2 live in slot b, V1 warm in slot a."""
    fleet = settled(fleet)
    assert fleet.up(staging(V2)).succeeded
    return fleet


def created(update: Update, type_: str) -> list[str]:
    """The logical names of the resources of `type_` an update created or replaced."""
    return [
        urn.rsplit("::", 1)[-1]
        for urn, step in update.steps.items()
        if step in ("create", "replace") and urn.split("::")[-2].endswith(type_)
    ]


def changed_rules(update: Update) -> list[str]:
    """The listener rules an update created, updated or replaced."""
    return [
        urn.rsplit("::", 1)[-1]
        for urn, step in update.steps.items()
        if step != "same" and urn.split("::")[-2].endswith(LISTENER_RULE)
    ]


def traffic_changes(fleet: Fleet, update: Update) -> list[str]:
    """The rules client requests meet that an update created, updated or replaced: all but fleet's
    `X-Fleet-Track` header rules, which only attach target groups and carry no client traffic."""
    header_rules = {
        entry.name
        for entry in fleet.model.state
        if entry.type == LISTENER_RULE and any("httpHeader" in c for c in entry.actual["conditions"])
    }
    return [rule for rule in changed_rules(update) if rule not in header_rules]


def boots(update: Update) -> list[str]:
    """The groups and launch templates an update created: each a boot of hosts."""
    return created(update, AUTOSCALING_GROUP) + created(update, LAUNCH_TEMPLATE)


def assert_safe(update: Update, before: Hosts, *, serving: int | None = None, warm: int = 0) -> None:
    """After every step and every wave of deletes of `update`: the service's clients reach it, no client route
    forwards to a target group without a healthy host (so a warm release takes traffic only while healthy), at
    least `serving` healthy hosts serve (what served before; a canary's finish and abort leave the service on its
    live capacity, issue 16: the canary's hosts were extra), and at least `warm` healthy hosts stay warm."""
    floor = before.serving if serving is None else serving
    assert update.moments, "the update took no step"
    for (done, answers), moment in zip(update.routes, update.moments, strict=True):
        assert set(answers.values()) == {SERVICE}, f"after {done}, the probes reached {answers}"
        assert moment.dead_ends == (), f"after {done}, client routes lead to no healthy host: {moment.dead_ends}"
        hosts = moment.hosts[SERVICE]
        assert hosts.serving >= floor, f"after {done}, {hosts.serving} healthy hosts serve; {floor} did before"
        assert hosts.warm >= warm, f"after {done}, {hosts.warm} healthy hosts are warm; {warm} should be"
