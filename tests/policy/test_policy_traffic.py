"""Stack rule: every autoscaling group is in target groups that a load balancer listener forwards to."""

from __future__ import annotations

from typing import Any

from fleet import resource_types
from policy import traffic
from policy.records import UNKNOWN, Resource, declared
from tests.policy.policy_samples import TARGET_GROUP_ARN

TARGET_GROUP = declared(resource_types.TARGET_GROUP, "web-tg", {"port": 8080})
TARGET_GROUP_OUTPUTS = declared(resource_types.TARGET_GROUP, "web-tg", {"port": 8080, "arn": TARGET_GROUP_ARN})


def listener(actions: list[dict[str, Any]], **options: Any) -> Resource:
    return declared(resource_types.LISTENER, "web-listener", {"port": 80, "defaultActions": actions}, **options)


def group(arns: Any, **options: Any) -> Resource:
    return declared(resource_types.AUTOSCALING_GROUP, "web-group", {"targetGroupArns": arns}, **options)


def test_group_in_a_forwarded_target_group_passes() -> None:
    forwarding = listener([{"type": "forward", "targetGroupArn": TARGET_GROUP_ARN}])
    stack = [TARGET_GROUP_OUTPUTS, forwarding, group([TARGET_GROUP_ARN])]
    assert traffic.autoscaling_groups_receive_traffic(stack) == []


def test_group_in_a_target_group_no_listener_forwards_to_is_rejected() -> None:
    redirect = listener([{"type": "redirect", "redirect": {"port": "443", "statusCode": "HTTP_301"}}])
    stuck = group([TARGET_GROUP_ARN])
    [(urn, message)] = traffic.autoscaling_groups_receive_traffic([TARGET_GROUP_OUTPUTS, redirect, stuck])
    assert (urn, "which no listener forwards to" in message) == (stuck.urn, True)


def test_group_in_no_target_group_is_rejected() -> None:
    forwarding = listener([{"type": "forward", "targetGroupArn": TARGET_GROUP_ARN}])
    [(_, message)] = traffic.autoscaling_groups_receive_traffic([TARGET_GROUP_OUTPUTS, forwarding, group([])])
    assert "is in no target group" in message


def test_forwarding_matches_by_dependency_urns_while_arns_are_unknown() -> None:
    forwarding = listener(
        [{"type": "forward", "targetGroupArn": UNKNOWN}], property_dependencies={"defaultActions": [TARGET_GROUP.urn]}
    )
    joined = group([UNKNOWN], property_dependencies={"targetGroupArns": [TARGET_GROUP.urn]})
    assert traffic.autoscaling_groups_receive_traffic([TARGET_GROUP, forwarding, joined]) == []


def test_weighted_forward_to_the_target_group_counts() -> None:
    weighted = listener([{"type": "forward", "forward": {"targetGroups": [{"arn": TARGET_GROUP_ARN, "weight": 1}]}}])
    assert traffic.autoscaling_groups_receive_traffic([TARGET_GROUP_OUTPUTS, weighted, group([TARGET_GROUP_ARN])]) == []


def test_listener_rule_forwarding_to_the_target_group_counts() -> None:
    rule = declared(
        resource_types.LISTENER_RULE, "web-rule", {"actions": [{"type": "forward", "targetGroupArn": TARGET_GROUP_ARN}]}
    )
    assert traffic.autoscaling_groups_receive_traffic([TARGET_GROUP_OUTPUTS, rule, group([TARGET_GROUP_ARN])]) == []


def test_group_whose_target_groups_are_unknown_without_dependencies_is_skipped() -> None:
    assert traffic.autoscaling_groups_receive_traffic([TARGET_GROUP, group(UNKNOWN)]) == []
