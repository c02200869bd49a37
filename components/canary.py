"""A canary: a release of a service in a slot of its own that takes a share of its requests, to be compared with the
live one.

The canary's release and target group are a slot's (`components/slots.py`, `fleet/slots.py`): finishing the canary
makes that slot live, its group scaling in place to the live capacity, without booting the release again. What is
the canary's alone is a child of `fleet:canary:Canary` `<service>-canary`, tagged `fleet:track=canary`:

- `<service>-canary-rule`: a rule on the service's forwarding listener for requests with the header
  `X-Fleet-Track: canary`, to the canary's slot alone: a smoke test before and while it takes a share. With
  hostnames it also matches them, two priorities before the service's host rule (its track rule is between);
- `<service>-canary-alarms`: the service's alarms, on the canary's target group.

Its share is the service's traffic rule's weighted forward (live `100 - weight`, canary `weight`), declared after
the canary's group, so the canary takes it only once its hosts passed the gate. Removing the canary (an abort)
deletes these and the canary's release at the end of the update, in reverse dependency order
(pulumi/pulumi pkg/resource/deploy/step_generator.go `GenerateDeletes`, then `ScheduleDeletes`), after the traffic
rule sent all requests back to the live release.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.front_door import HostRoute
from components.service_args import ServiceArgs
from fleet.names import CANARY_TRACK, TOTAL_WEIGHT, TRACK_HEADER, TRACK_TAG

HEADER_RULE_PRIORITY = 1
WEIGHTS_RULE_PRIORITY = 50_000
"""The last priority a rule can have (1-50000): a service's traffic rule on its own listener, which forwards
whatever no other rule matches."""


@dataclass
class CanaryArgs:
    service: ServiceArgs
    """The service's own arguments: its config with the canary, the stack's load balancer and alarm topic."""
    listener: aws.lb.Listener
    """The service's forwarding listener (HTTPS with a certificate, else HTTP)."""
    target_group: aws.lb.TargetGroup
    """The canary's slot's target group."""
    tags: dict[str, str]
    """The service's tags."""
    host_route: HostRoute | None = None
    """For a service reached by hostnames: the header rule matches its hosts too, on the shared listener."""


def canary_tags(tags: dict[str, str]) -> dict[str, str]:
    """`tags` of a canary's resource: what tells it apart from the live release's (audit, policy, the console)."""
    return {**tags, TRACK_TAG: CANARY_TRACK}


class Canary(pulumi.ComponentResource):
    header_rule: aws.lb.ListenerRule
    alarm_names: list[str]

    def __init__(self, name: str, args: CanaryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:canary:Canary", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        service_args, service = args.service, args.service.config
        assert service.canary is not None, "only a service with a canary has a Canary"
        tags = canary_tags(args.tags)
        route = args.host_route
        track: aws.lb.ListenerRuleConditionArgsDict = {
            "http_header": {"http_header_name": TRACK_HEADER, "values": [CANARY_TRACK]}
        }
        self.header_rule = aws.lb.ListenerRule(
            f"{name}-rule",
            listener_arn=args.listener.arn,
            priority=HEADER_RULE_PRIORITY if route is None else route.priority - 2,
            conditions=[track] if route is None else [{"host_header": {"values": list(service.hostnames)}}, track],
            actions=[{"type": "forward", "target_group_arn": args.target_group.arn}],
            tags=tags,
            opts=child,
        )
        alarms = Alarms(
            f"{name}-alarms",
            AlarmsArgs(
                stack=service_args.stack,
                service=f"{service.name}-{CANARY_TRACK}",
                thresholds=service.alarms,
                target_group_arn_suffix=args.target_group.arn_suffix,
                load_balancer_arn_suffix=service_args.load_balancer_arn_suffix,
                topic_arn=service_args.alarm_topic_arn,
                tags=tags,
            ),
            opts=child,
        )
        self.alarm_names = alarms.names
        self.register_outputs({"targetGroupArn": args.target_group.arn, "alarms": self.alarm_names})


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
