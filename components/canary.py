"""A canary: a second release of a service that takes a share of its requests, to be compared with the live one.

Every resource is a child of `fleet:canary:Canary` `<service>-canary` and tagged `fleet:track=canary`:

- `<service>-canary-tg`: its own target group, with the service's health check and drain time, so its hosts and
  metrics are told apart from the live release's;
- `<service>-canary-rule`: a rule on the service's forwarding listener for requests with the header
  `X-Fleet-Track: canary`. It attaches the target group to the load balancer, which health-checks only the targets
  of groups a listener or rule uses, and lets an operator reach the canary alone;
- `<service>-canary-release`: a release (`components/release.py`) like the live one (same hardening, boot script and
  settings) on fixed capacity with scaling off, health-gated on its target group, created after the rule;
- `<service>-canary-weights`: a rule for every other request, forwarding by weight (live `100 - weight`, canary
  `weight`); it depends on the canary's group, so the canary takes its share only once its hosts passed the gate;
- `<service>-canary-alarms`: the service's alarms, on the canary's target group.

The weights are a catch-all rule rather than the listener's default action because the listener cannot wait for
the canary's group: the group waits for the header rule, which needs the listener. The listener itself never
changes, so a canary never touches what serves without one.

A service on hostnames (`host_route`) shares its listener with other services: its header rule also matches its
hostnames, two priorities before its host rule (the service's track rule is between), and there is no weights
rule: the service's own host rule (`components/service.py`) does the weighted forward, declared after the
canary's group, so it too waits for it.

Starting, changing or removing a canary leaves the live release's launch template and group as they are: none of
their inputs come from here. Removing the canary deletes these resources at the end of the update, in reverse
dependency order (pulumi/pulumi pkg/resource/deploy/step_generator.go `GenerateDeletes`, then `ScheduleDeletes`):
the weights rule first, so all requests go to the live release before the canary's hosts drain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.front_door import HostRoute
from components.listeners import declare_target_group
from components.release import Release, ReleaseArgs
from components.service_args import ServiceArgs
from fleet import rollout
from fleet.config import Capacity, Scaling, canary_release
from fleet.names import CANARY_TRACK, TOTAL_WEIGHT, TRACK_TAG, release_tags

TRACK_HEADER = "X-Fleet-Track"
"""Requests with `X-Fleet-Track: canary` go to the canary alone: a smoke test before and while it takes a share."""
HEADER_RULE_PRIORITY = 1
WEIGHTS_RULE_PRIORITY = 50_000
"""The last priority a rule can have (1-50000): the weights apply to whatever no other rule matches."""


@dataclass
class CanaryArgs:
    service: ServiceArgs
    """The service's own arguments: its config with the canary, the canary's release id, the network, the previous
    outputs (whose canary entry keeps the canary's group)."""
    boot_values: Mapping[str, pulumi.Input[str]]
    """The canary's FLEET_* boot variables: its release, version and image; the rest are the service's."""
    security_group_id: pulumi.Input[str]
    instance_profile_arn: pulumi.Input[str]
    listener: aws.lb.Listener
    """The service's forwarding listener (HTTPS with a certificate, else HTTP)."""
    live_target_group_arn: pulumi.Input[str]
    tags: dict[str, str]
    """The service's tags."""
    host_route: HostRoute | None = None
    """For a service reached by hostnames: the header rule matches its hosts too, on the shared listener, and the
    service's host rule does the weighted forward (no weights rule here)."""


def canary_tags(tags: dict[str, str]) -> dict[str, str]:
    """`tags` of a canary's resource: what tells it apart from the live release's (audit, policy, the console)."""
    return {**tags, TRACK_TAG: CANARY_TRACK}


class Canary(pulumi.ComponentResource):
    release: Release
    target_group: aws.lb.TargetGroup
    alarm_names: list[str]

    def __init__(self, name: str, args: CanaryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:canary:Canary", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        service_args, service = args.service, args.service.config
        canary, release_id = service.canary, service_args.canary_release_id
        assert canary is not None, "only a service with a canary has a Canary"
        assert release_id is not None, "a service with a canary has a canary release id"
        tags = canary_tags(args.tags)

        self.target_group = declare_target_group(f"{name}-tg", service, service_args.vpc_id, tags, child)
        route = args.host_route
        track: aws.lb.ListenerRuleConditionArgsDict = {
            "http_header": {"http_header_name": TRACK_HEADER, "values": [CANARY_TRACK]}
        }
        header_rule = aws.lb.ListenerRule(
            f"{name}-rule",
            listener_arn=args.listener.arn,
            priority=HEADER_RULE_PRIORITY if route is None else route.priority - 2,
            conditions=[track] if route is None else [{"host_header": {"values": list(service.hostnames)}}, track],
            actions=[{"type": "forward", "target_group_arn": self.target_group.arn}],
            tags=tags,
            opts=child,
        )
        fixed = canary.instances
        self.release = Release(
            f"{name}-release",
            ReleaseArgs(
                stack=service_args.stack,
                service=replace(
                    canary_release(service),
                    capacity=Capacity(min=fixed, desired=fixed, max=fixed),
                    scaling=Scaling(enabled=False, cpu_percent=None),
                ),
                release_id=release_id,
                boot_script=service_args.boot_script,
                boot_values=args.boot_values,
                subnet_ids=service_args.subnet_ids,
                security_group_id=args.security_group_id,
                instance_profile_arn=args.instance_profile_arn,
                target_group_arn=self.target_group.arn,
                desired_capacity=fixed,
                live=rollout.live_canary(service_args.previous),
                attempt=service_args.attempt,
                request_count_label=pulumi.Output.concat(
                    service_args.load_balancer_arn_suffix, "/", self.target_group.arn_suffix
                ),
                tags=canary_tags(release_tags(service_args.stack, service.name, release_id)),
                track=CANARY_TRACK,
                attached_by=[header_rule],
            ),
            opts=child,
        )
        if route is None:
            aws.lb.ListenerRule(
                f"{name}-weights",
                listener_arn=args.listener.arn,
                priority=WEIGHTS_RULE_PRIORITY,
                conditions=[{"path_pattern": {"values": ["*"]}}],
                actions=[weighted_forward(args.live_target_group_arn, self.target_group.arn, canary.weight)],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.release.group]),
            )
        alarms = Alarms(
            f"{name}-alarms",
            AlarmsArgs(
                stack=service_args.stack,
                service=f"{service.name}-{CANARY_TRACK}",
                thresholds=service.alarms,
                target_group_arn_suffix=self.target_group.arn_suffix,
                load_balancer_arn_suffix=service_args.load_balancer_arn_suffix,
                topic_arn=service_args.alarm_topic_arn,
                tags=tags,
            ),
            opts=child,
        )
        self.alarm_names = alarms.names
        self.register_outputs({"targetGroupArn": self.target_group.arn, "groupName": self.release.group_name})


def weighted_forward(
    live_target_group_arn: pulumi.Input[str], canary_target_group_arn: pulumi.Input[str], weight: int
) -> aws.lb.ListenerRuleActionArgsDict:
    """AWS's weighted forward action: `weight` percent of requests to the canary, the rest to the live release."""
    return {
        "type": "forward",
        "forward": {
            "target_groups": [
                {"arn": live_target_group_arn, "weight": TOTAL_WEIGHT - weight},
                {"arn": canary_target_group_arn, "weight": weight},
            ],
        },
    }
