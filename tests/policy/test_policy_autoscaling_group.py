"""Autoscaling groups: health-gated, in a target group, replaceable beside the old group, on a fixed version."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from fleet.resource_types import LOG_GROUP
from policy import rules
from policy.records import declared

GROUP_RULES = [rule for rule in rules.RESOURCE_RULES if rules.AUTOSCALING_GROUP in rule.resource_types]


def group(inputs: dict[str, Any]) -> rules.Resource:
    return declared(rules.AUTOSCALING_GROUP, "web-group", inputs)


@pytest.mark.parametrize("rule", GROUP_RULES, ids=lambda rule: rule.name)
def test_compliant_group_passes(rule: rules.ResourceRule, group_inputs: dict[str, Any]) -> None:
    assert rule.check(group(group_inputs)) == []


def test_ec2_health_check_is_rejected(group_inputs: dict[str, Any]) -> None:
    group_inputs["healthCheckType"] = "EC2"
    [message] = rules.autoscaling_group_uses_elb_health_check(group(group_inputs))
    assert 'health_check_type="ELB"' in message


def test_group_that_does_not_wait_for_healthy_targets_is_rejected(group_inputs: dict[str, Any]) -> None:
    del group_inputs["waitForElbCapacity"]
    [message] = rules.autoscaling_group_waits_for_capacity(group(group_inputs))
    assert "wait_for_elb_capacity" in message


def test_min_elb_capacity_counts_as_a_capacity_wait(group_inputs: dict[str, Any]) -> None:
    del group_inputs["waitForElbCapacity"]
    group_inputs["minElbCapacity"] = 2.0  # the engine sends numbers as floats
    assert rules.autoscaling_group_waits_for_capacity(group(group_inputs)) == []


def test_capacity_timeout_of_zero_is_rejected(group_inputs: dict[str, Any]) -> None:
    group_inputs["waitForCapacityTimeout"] = "0"
    [message] = rules.autoscaling_group_waits_for_capacity(group(group_inputs))
    assert "unbounded or off" in message


def test_capacity_timeout_that_is_not_a_duration_is_rejected(group_inputs: dict[str, Any]) -> None:
    group_inputs["waitForCapacityTimeout"] = "ten minutes"
    [message] = rules.autoscaling_group_waits_for_capacity(group(group_inputs))
    assert "is not a duration" in message


def test_capacity_timeout_beyond_the_limit_is_rejected(group_inputs: dict[str, Any]) -> None:
    group_inputs["waitForCapacityTimeout"] = "2h"
    assert rules.autoscaling_group_waits_for_capacity(group(group_inputs))


def test_absent_capacity_timeout_uses_the_bounded_provider_default(group_inputs: dict[str, Any]) -> None:
    del group_inputs["waitForCapacityTimeout"]
    assert rules.autoscaling_group_waits_for_capacity(group(group_inputs)) == []


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600), ("600s", 600), ("1m30s", 90), ("1.5h", 5400), ("0", 0)])
def test_go_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert rules.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "m", "10 m", "-5m", "10d"])
def test_malformed_durations_do_not_parse(text: str) -> None:
    assert rules.parse_duration(text) is None


def test_group_without_target_groups_is_rejected(group_inputs: dict[str, Any]) -> None:
    group_inputs["targetGroupArns"] = []
    [message] = rules.autoscaling_group_has_target_groups(group(group_inputs))
    assert "target_group_arns" in message


def test_fixed_name_is_rejected(group_inputs: dict[str, Any]) -> None:
    del group_inputs["namePrefix"]
    group_inputs["name"] = "fleet-staging-web"
    [message] = rules.autoscaling_group_is_not_named(group(group_inputs))
    assert "set name_prefix" in message


def test_name_the_engine_auto_generated_is_accepted(group_inputs: dict[str, Any]) -> None:
    del group_inputs["namePrefix"]
    group_inputs["name"] = "web-group-1a2b3c4"
    assert rules.autoscaling_group_is_not_named(group(group_inputs)) == []


@pytest.mark.parametrize("version", ["$Latest", "$Default"])
def test_moving_launch_template_version_is_rejected(version: str, group_inputs: dict[str, Any]) -> None:
    group_inputs["launchTemplate"]["version"] = version
    [message] = rules.autoscaling_group_pins_launch_template_version(group(group_inputs))
    assert f"version is {version!r}" in message


def test_unset_launch_template_version_is_rejected(group_inputs: dict[str, Any]) -> None:
    del group_inputs["launchTemplate"]["version"]
    [message] = rules.autoscaling_group_pins_launch_template_version(group(group_inputs))
    assert "unset (AWS then uses $Default)" in message


@pytest.mark.parametrize("resource_type", [rules.LAUNCH_TEMPLATE, rules.AUTOSCALING_GROUP, rules.TARGET_GROUP])
def test_delete_before_replace_is_rejected_on_release_resources(resource_type: str) -> None:
    resource = declared(resource_type, "web", {}, pulumi.ResourceOptions(delete_before_replace=True))
    [message] = rules.release_resource_is_created_before_delete(resource)
    assert "sets delete_before_replace: remove it" in message


def test_create_before_delete_release_resource_passes() -> None:
    resource = declared(rules.TARGET_GROUP, "web-tg", {}, pulumi.ResourceOptions())
    assert rules.release_resource_is_created_before_delete(resource) == []


def test_delete_before_replace_is_allowed_on_other_resources() -> None:
    log_group = declared(LOG_GROUP, "logs", {}, pulumi.ResourceOptions(delete_before_replace=True))
    assert rules.evaluate([log_group]) == []
