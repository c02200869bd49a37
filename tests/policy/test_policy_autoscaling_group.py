"""Autoscaling groups: health-gated, in a target group, replaceable beside the old group, on a fixed version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from fleet.resource_types import AUTOSCALING_GROUP, LAUNCH_TEMPLATE, LOG_GROUP, TARGET_GROUP
from policy import __main__ as pack
from policy import releases, traffic
from policy.base import ResourceRule
from policy.records import Resource, declared
from tests.policy.policy_samples import REMOVED, changed

GROUP_RULES = [rule for rule in pack.RESOURCE_RULES if AUTOSCALING_GROUP in rule.resource_types]


def group(inputs: dict[str, Any]) -> Resource:
    return declared(AUTOSCALING_GROUP, "web-group", inputs)


@pytest.mark.parametrize("rule", GROUP_RULES, ids=lambda rule: rule.name)
def test_compliant_group_passes(rule: ResourceRule, group_inputs: dict[str, Any]) -> None:
    assert rule.check(group(group_inputs)) == []


@pytest.mark.parametrize(
    ("changes", "rule", "expected"),
    [
        pytest.param(
            {"healthCheckType": "EC2"},
            releases.autoscaling_group_uses_elb_health_check,
            'health_check_type="ELB"',
            id="ec2-health-check",
        ),
        pytest.param(
            {"waitForElbCapacity": REMOVED},
            releases.autoscaling_group_waits_for_capacity,
            "wait_for_elb_capacity",
            id="no-wait-for-healthy-targets",
        ),
        pytest.param(
            {"waitForCapacityTimeout": "0"},
            releases.autoscaling_group_waits_for_capacity,
            "wait_for_capacity_timeout='0' is unbounded or off",
            id="capacity-timeout-of-zero",
        ),
        pytest.param(
            {
                "waitForCapacityTimeout": "0",
                "tags": [{"key": "fleet:track", "value": "live", "propagateAtLaunch": False}],
            },
            releases.autoscaling_group_waits_for_capacity,
            "wait_for_capacity_timeout='0' is unbounded or off",
            id="a-live-group-with-a-capacity-timeout-of-zero",
        ),
        pytest.param(
            {"waitForCapacityTimeout": "2h"},
            releases.autoscaling_group_waits_for_capacity,
            "wait_for_capacity_timeout='2h' is unbounded or off",
            id="capacity-timeout-beyond-the-limit",
        ),
        pytest.param(
            {"waitForCapacityTimeout": "ten minutes"},
            releases.autoscaling_group_waits_for_capacity,
            "is not a duration",
            id="capacity-timeout-not-a-duration",
        ),
        pytest.param(
            {"targetGroupArns": []},
            traffic.autoscaling_group_has_target_groups,
            "target_group_arns",
            id="no-target-groups",
        ),
        pytest.param(
            {"namePrefix": REMOVED, "name": "fleet-staging-web"},
            releases.autoscaling_group_is_not_named,
            "set name_prefix",
            id="fixed-name",
        ),
    ],
)
def test_a_group_breaking_a_rule_is_rejected_saying_what_to_set(
    group_inputs: dict[str, Any], changes: dict[str, Any], rule: Callable[..., list[str]], expected: str
) -> None:
    [message] = rule(group(changed(group_inputs, changes)))
    assert expected in message


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        pytest.param(
            # The engine sends numbers as floats.
            {"waitForElbCapacity": REMOVED, "minElbCapacity": 2.0},
            releases.autoscaling_group_waits_for_capacity,
            id="min-elb-capacity-counts-as-a-capacity-wait",
        ),
        pytest.param(
            {"waitForCapacityTimeout": REMOVED},
            releases.autoscaling_group_waits_for_capacity,
            id="absent-capacity-timeout-is-the-bounded-provider-default",
        ),
        pytest.param(
            {"namePrefix": REMOVED, "name": "web-group-1a2b3c4"},
            releases.autoscaling_group_is_not_named,
            id="name-the-engine-auto-generated",
        ),
        pytest.param(
            {
                "waitForCapacityTimeout": "0",
                "tags": [{"key": "fleet:track", "value": "warm", "propagateAtLaunch": False}],
            },
            releases.autoscaling_group_waits_for_capacity,
            id="a-warm-group-out-of-traffic-waits-for-no-capacity",
        ),
    ],
)
def test_a_group_meeting_a_rule_another_way_passes(
    group_inputs: dict[str, Any], changes: dict[str, Any], rule: Callable[..., list[str]]
) -> None:
    assert rule(group(changed(group_inputs, changes))) == []


@pytest.mark.parametrize(("text", "seconds"), [("10m", 600), ("600s", 600), ("1m30s", 90), ("1.5h", 5400), ("0", 0)])
def test_go_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert releases.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "m", "10 m", "-5m", "10d"])
def test_malformed_durations_do_not_parse(text: str) -> None:
    assert releases.parse_duration(text) is None


@pytest.mark.parametrize("version", ["$Latest", "$Default"])
def test_moving_launch_template_version_is_rejected(version: str, group_inputs: dict[str, Any]) -> None:
    group_inputs["launchTemplate"]["version"] = version
    [message] = releases.autoscaling_group_pins_launch_template_version(group(group_inputs))
    assert f"version is {version!r}" in message


def test_unset_launch_template_version_is_rejected(group_inputs: dict[str, Any]) -> None:
    del group_inputs["launchTemplate"]["version"]
    [message] = releases.autoscaling_group_pins_launch_template_version(group(group_inputs))
    assert "unset (AWS then uses $Default)" in message


@pytest.mark.parametrize("resource_type", [LAUNCH_TEMPLATE, AUTOSCALING_GROUP, TARGET_GROUP])
def test_delete_before_replace_is_rejected_on_release_resources(resource_type: str) -> None:
    resource = declared(resource_type, "web", {}, pulumi.ResourceOptions(delete_before_replace=True))
    [message] = releases.release_resource_is_created_before_delete(resource)
    assert "sets delete_before_replace: remove it" in message


def test_create_before_delete_release_resource_passes() -> None:
    resource = declared(TARGET_GROUP, "web-tg", {}, pulumi.ResourceOptions())
    assert releases.release_resource_is_created_before_delete(resource) == []


def test_delete_before_replace_is_allowed_on_other_resources() -> None:
    log_group = declared(LOG_GROUP, "logs", {}, pulumi.ResourceOptions(delete_before_replace=True))
    assert pack.evaluate([log_group]) == []
