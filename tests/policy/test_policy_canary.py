"""Stack rule: a weighted forward shares 100 between its target groups and gives a canary's 1-50 of it; the
program's canary passes the whole pack."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import components.release
import components.slots
from fleet.resource_types import LISTENER, LISTENER_RULE, TARGET_GROUP
from fleetctl.simulation import qualified
from policy import traffic
from policy.records import UNKNOWN, Resource, declared
from tests.policy.policy_samples import TARGET_GROUP_ARN
from tests.policy.test_policy_on_program import violations

CANARY_ARN = TARGET_GROUP_ARN.replace("web-tg-1a2b3c4", "web-canary-tg-5d6e7f8")
LIVE = declared(TARGET_GROUP, "web-tg", {"port": 8080, "arn": TARGET_GROUP_ARN})
CANARY = declared(TARGET_GROUP, "web-canary-tg", {"port": 8080, "arn": CANARY_ARN, "tags": {"fleet:track": "canary"}})
NEW_CANARY = declared(TARGET_GROUP, "web-canary-tg", {"port": 8080, "tags": {"fleet:track": "canary"}})
"""A canary target group during the preview that creates it: its ARN is unknown."""


def forward(live: Any, canary: Any, canary_arn: Any = CANARY_ARN) -> list[dict[str, Any]]:
    targets = [{"arn": TARGET_GROUP_ARN, "weight": live}, {"arn": canary_arn, "weight": canary}]
    return [{"type": "forward", "forward": {"targetGroups": targets}}]


def weights_rule(live: Any, canary: Any, **options: Any) -> Resource:
    return declared(LISTENER_RULE, "web-canary-weights", {"actions": forward(live, canary)}, **options)


def check(*resources: Resource) -> list[str]:
    return [message for _, message in traffic.weighted_forwards_bound_the_canary_share([LIVE, CANARY, *resources])]


@pytest.mark.parametrize(("live", "canary"), [(99, 1), (90, 10), (50, 50), (90.0, 10.0)])
def test_a_canary_share_of_one_to_fifty_percent_passes(live, canary):
    assert check(weights_rule(live, canary)) == []


@pytest.mark.parametrize(("live", "canary"), [(100, 0), (40, 60), (1, 99)])
def test_a_canary_share_outside_one_to_fifty_percent_is_caught(live, canary):
    (message,) = check(weights_rule(live, canary))
    assert f"gives the canary target group 'web-canary-tg' weight {canary}" in message


@pytest.mark.parametrize(("live", "canary"), [(90, 20), (9, 1)])
def test_weights_that_do_not_add_up_to_one_hundred_are_caught(live, canary):
    (message,) = check(weights_rule(live, canary))
    assert f"add up to {live + canary}" in message


def test_a_weight_left_out_counts_as_the_providers_default_of_one():
    targets = [{"arn": TARGET_GROUP_ARN, "weight": 99}, {"arn": CANARY_ARN}]
    rule = declared(LISTENER_RULE, "r", {"actions": [{"type": "forward", "forward": {"targetGroups": targets}}]})
    assert check(rule) == []


def test_a_listeners_weighted_default_action_is_checked_too():
    listener = declared(LISTENER, "web-listener", {"port": 80, "defaultActions": forward(30, 70)})
    (message,) = check(listener)
    assert "weight 70" in message


def test_a_weighted_forward_between_two_live_target_groups_is_not_a_canary():
    other = declared(TARGET_GROUP, "api-tg", {"port": 8080, "arn": CANARY_ARN})
    assert traffic.weighted_forwards_bound_the_canary_share([LIVE, other, weights_rule(30, 70)]) == []


def test_a_new_canary_target_group_is_found_by_the_actions_dependencies_during_preview():
    rule = declared(
        LISTENER_RULE,
        "web-canary-weights",
        {"actions": forward(40, 60, canary_arn=UNKNOWN)},
        property_dependencies={"actions": [LIVE.urn, NEW_CANARY.urn]},
    )
    ((_, message),) = traffic.weighted_forwards_bound_the_canary_share([LIVE, NEW_CANARY, rule])
    assert "weight 60" in message


def test_an_unknown_weight_is_left_to_the_update():
    assert check(weights_rule(UNKNOWN, 10)) == []


def with_canary(config: dict[str, Any], image: dict[str, str]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["fleet:services"]["web"]["canary"] = {"image": image, "weight": 20, "instances": 2}
    return changed


def test_staging_with_a_canary_passes_every_policy(program, staging_config):
    run = program("staging", with_canary(staging_config, {"version": "1.1.0", "build": "images/web"}))
    assert violations(run) == []


def test_prod_with_a_canary_passes_every_policy(program, prod_config, staging_outputs):
    ref = prod_config["fleet:services"]["web"]["image"]["ref"][:-64] + "c" * 64
    source = staging_outputs()
    source["services"]["web"]["history"].append({"releaseId": "newer", "version": "1.1.0", "imageRef": ref})

    run = program(
        "prod", with_canary(prod_config, {"version": "1.1.0", "ref": ref}), stack_outputs={qualified("staging"): source}
    )

    assert violations(run) == []


def test_a_canary_group_without_the_scaling_off_tag_is_caught(program, staging_config, monkeypatch):
    real = components.release.group_tags
    monkeypatch.setattr(
        components.release, "group_tags", lambda tags, role, scaling_off: real(tags, role, scaling_off=False)
    )

    run = program("staging", with_canary(staging_config, {"version": "1.1.0", "build": "images/web"}))

    assert violations(run) == [("autoscaling-groups-scale-themselves", "web-release-b-group")]


def test_a_canary_share_above_fifty_percent_declared_by_the_program_is_caught(program, staging_config, monkeypatch):
    real = components.slots.weighted_forward
    monkeypatch.setattr(components.slots, "weighted_forward", lambda live, canary, weight: real(live, canary, 60))

    run = program("staging", with_canary(staging_config, {"version": "1.1.0", "build": "images/web"}))

    assert violations(run) == [("weighted-forwards-bound-the-canary-share", "web-traffic-rule")]


def test_a_stack_with_a_warm_release_and_a_canary_passes_every_policy(program, update, staging_config):
    """A warm group (min 0, AlarmNotification suspended, its scaling policies kept) is deliberate, not a finding."""
    released = copy.deepcopy(staging_config)
    released["fleet:services"]["web"]["image"]["version"] = "1.0.1"
    first = program("staging", staging_config)
    warm = update("staging", released, first)

    run = update("staging", with_canary(released, {"version": "1.1.0", "build": "images/web"}), warm)

    assert {"warm", "canary"} <= set(run.outputs["services"]["web"])
    assert violations(run) == []
