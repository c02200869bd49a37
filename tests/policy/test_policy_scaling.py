"""Autoscaling groups scale themselves, and no deploy can undo what autoscaling did by ignoring desiredCapacity."""

from __future__ import annotations

from typing import Any

import pulumi

from fleet.resource_types import AUTOSCALING_GROUP, SCALING_POLICY
from policy import releases
from policy.records import Resource, declared

GROUP_NAME = "fleet-staging-web-20261121000000000000000001"


def group(**tags: str) -> Resource:
    tag_list = [
        {"key": key.replace("_", ":"), "value": value, "propagateAtLaunch": False} for key, value in tags.items()
    ]
    return declared(AUTOSCALING_GROUP, "web-group", {"tags": tag_list}, resource_id=GROUP_NAME)


def policy(**inputs: Any) -> Resource:
    return declared(SCALING_POLICY, "web-scale-cpu", {"policyType": "TargetTrackingScaling", **inputs})


def test_group_with_a_target_tracking_policy_passes() -> None:
    assert releases.autoscaling_groups_scale_themselves([group(), policy(autoscalingGroupName=GROUP_NAME)]) == []


def test_group_without_a_scaling_policy_is_rejected() -> None:
    unscaled = group()
    [(urn, message)] = releases.autoscaling_groups_scale_themselves([unscaled])
    assert urn == unscaled.urn
    assert "has no target-tracking scaling policy" in message


def test_policy_of_another_group_does_not_count() -> None:
    assert len(releases.autoscaling_groups_scale_themselves([group(), policy(autoscalingGroupName="other")])) == 1


def test_step_scaling_policy_does_not_count() -> None:
    step = policy(autoscalingGroupName=GROUP_NAME, policyType="StepScaling")
    assert len(releases.autoscaling_groups_scale_themselves([group(), step])) == 1


def test_group_tagged_scaling_off_passes() -> None:
    assert releases.autoscaling_groups_scale_themselves([group(fleet_scaling="off")]) == []


def test_group_ignoring_desired_capacity_is_rejected(group_inputs: dict[str, Any]) -> None:
    ignoring = declared(
        AUTOSCALING_GROUP, "web-group", group_inputs, pulumi.ResourceOptions(ignore_changes=["desiredCapacity"])
    )
    [message] = releases.autoscaling_group_declares_its_desired_capacity(ignoring)
    assert "ignores changes to desiredCapacity" in message


def test_group_declaring_desired_capacity_passes(group_inputs: dict[str, Any]) -> None:
    assert (
        releases.autoscaling_group_declares_its_desired_capacity(declared(AUTOSCALING_GROUP, "g", group_inputs)) == []
    )
