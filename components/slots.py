"""A service's release slots: their target groups, the rule that attaches all of them, and the rule that is the switch.

Functions, not a component: slot a's target group and release keep the logical names and parent (the service)
they had before slots (`<name>-tg`, `<name>-release`), so upgrading fleet keeps their URNs and replaces nothing
that serves. Slots b and c are named `<name>-tgb`/`<name>-release-b` and `<name>-tgc`/`<name>-release-c` (a
target group's logical name may be at most 24 characters, fleet/limits.py); slot c's target group and release take
over a canary deployed before slots (`<name>-canary-tg` and `<name>-canary-release` under `<name>-canary`) through
aliases. What each slot runs is decided in `fleet/slots.py`.

- **The track rule** (`X-Fleet-Track: live`) forwards to every slot's target group, the live one at weight 1 and
  the others at 0: the load balancer health-checks only the targets of a target group a listener rule specifies
  (Elastic Load Balancing user guide, "Target groups for your Application Load Balancers"), so a release is
  health-gated in a slot no traffic reaches, and a warm release stays health-checked. Every group waits for it.
- **The traffic rule** forwards the service's requests to the live slot (or by weight between it and the
  canary's). It waits for the live and canary groups, so it changes only once they passed their gate; changing its
  forward is the one load balancer change of a switch (ModifyRule: a rule's actions update in place,
  terraform-provider-aws internal/service/elbv2/listener_rule.go). With hostnames it is the service's host rule;
  with a publicPort, a catch-all rule at the last priority on the service's listener, which takes over the weights
  rule of a canary deployed before slots (an alias). The listener's own default action keeps forwarding to slot a,
  as before slots: it never changes, so an upgrade cannot cut it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.canary import WEIGHTS_RULE_PRIORITY, weighted_forward
from components.listeners import declare_target_group
from fleet import resource_types as types
from fleet.config_types import ServiceConfig
from fleet.names import LIVE_TRACK, SLOTS, TRACK_HEADER, TRACK_TAG, slot_target_group_name
from fleet.slots import LEGACY_CANARY_SLOT

SERVICE_TYPE = "fleet:service:Service"
CANARY_TYPE = "fleet:canary:Canary"
RELEASE_TYPE = "fleet:release:Release"
TRACK_RULE_PRIORITY = 2
"""On a service's own listener: after the canary's header rule (1)."""


def legacy_canary_urn(service: str, name: str, type_: str) -> pulumi.Output[str]:
    """The URN a resource of a canary deployed before slots had: a child of `<service>-canary`."""
    canary = pulumi.create_urn(f"{service}-canary", CANARY_TYPE, parent=pulumi.create_urn(service, SERVICE_TYPE))
    return pulumi.create_urn(name, type_, parent=canary)


def slot_aliases(service: str, slot: str, what: str) -> list[pulumi.Input[str]] | None:
    """Slot c's target group and release take over those of a canary deployed before slots."""
    if slot != LEGACY_CANARY_SLOT:
        return None
    type_ = types.TARGET_GROUP if what == "tg" else RELEASE_TYPE
    return [legacy_canary_urn(service, f"{service}-canary-{what}", type_)]


def declare_slot_target_groups(
    name: str,
    config: ServiceConfig,
    vpc_id: pulumi.Input[str],
    tags: dict[str, str],
    roles: Mapping[str, str],
    parent: pulumi.Resource,
) -> dict[str, aws.lb.TargetGroup]:
    """All three slots' target groups, always: they cost nothing, and the track rule attaches each of them. Each is
    tagged with its slot's role (`fleet:track`, updated in place when it changes), so the policy pack and the audit
    tell a canary's target group apart."""
    return {
        slot: declare_target_group(
            slot_target_group_name(name, slot),
            config,
            vpc_id,
            {**tags, TRACK_TAG: roles[slot]} if slot in roles else tags,
            pulumi.ResourceOptions(parent=parent, aliases=slot_aliases(name, slot, "tg")),
        )
        for slot in SLOTS
    }


def track_forward(target_groups: dict[str, aws.lb.TargetGroup], live_slot: str) -> aws.lb.ListenerRuleActionArgsDict:
    """Every slot's target group, the live one at weight 1: all attached, only the live one reached."""
    return {
        "type": "forward",
        "forward": {
            "target_groups": [
                {"arn": group.arn, "weight": 1 if slot == live_slot else 0} for slot, group in target_groups.items()
            ],
        },
    }


def traffic_forward(
    target_groups: dict[str, aws.lb.TargetGroup], live_slot: str, canary_slot: str | None, canary_weight: int
) -> aws.lb.ListenerRuleActionArgsDict:
    """The live slot's target group, or the weighted forward between it and the canary's."""
    if canary_slot is None:
        return {"type": "forward", "target_group_arn": target_groups[live_slot].arn}
    return weighted_forward(target_groups[live_slot].arn, target_groups[canary_slot].arn, canary_weight)


def declare_track_rule(
    name: str,
    listener: aws.lb.Listener,
    priority: int,
    hostnames: Sequence[str],
    forward: aws.lb.ListenerRuleActionArgsDict,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> aws.lb.ListenerRule:
    """`<name>-track-rule`: requests with `X-Fleet-Track: live` (and the service's hostnames, on the shared
    listener) reach the live release alone; it attaches every slot's target group."""
    conditions: list[Any] = [{"http_header": {"http_header_name": TRACK_HEADER, "values": [LIVE_TRACK]}}]
    if hostnames:
        conditions.insert(0, {"host_header": {"values": list(hostnames)}})
    return aws.lb.ListenerRule(
        f"{name}-track-rule",
        listener_arn=listener.arn,
        priority=priority,
        conditions=conditions,
        actions=[forward],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def declare_traffic_rule(
    name: str,
    listener: aws.lb.Listener,
    forward: aws.lb.ListenerRuleActionArgsDict,
    tags: dict[str, str],
    parent: pulumi.Resource,
    after: Sequence[pulumi.Resource],
) -> aws.lb.ListenerRule:
    """`<name>-traffic-rule`: every request on the service's own listener, to the live slot (and the canary's)."""
    return aws.lb.ListenerRule(
        f"{name}-traffic-rule",
        listener_arn=listener.arn,
        priority=WEIGHTS_RULE_PRIORITY,
        conditions=[{"path_pattern": {"values": ["*"]}}],
        actions=[forward],
        tags=tags,
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(after),
            aliases=[legacy_canary_urn(name, f"{name}-canary-weights", types.LISTENER_RULE)],
        ),
    )
