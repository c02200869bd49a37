"""The engine model's rules for what happens to groups and routes between and within updates (tests/engine_model.py
rules 14-18), on what the program declares: an update waits for capacity only when a size changes, an unmet
wait keeps the old inputs and the new sizes, a weighted forward serves only while each of its target groups has a
healthy host, a change made outside Pulumi stays in AWS until an update's diff covers it, a build never pushes a
tag its immutable repository holds, and an ignored input keeps the state's value."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleet.resource_types import AUTOSCALING_GROUP
from tests.checkout import stack_file
from tests.engine_model import EngineModel, Hosts

GROUP = "web-release-group"
CANARY_GROUP = "web-release-b-group"
TRAFFIC_RULE = "web-traffic-rule"
"""The catch-all rule that forwards web's requests: to the live slot, or weighted between it and the canary's."""
PROBES = ((80, "web.example.com"),)
"""Staging's web has no hostnames: its clients reach it on port 80 with any Host."""


def staging(*, canary: bool = False, **capacity: int) -> dict[str, Any]:
    config = copy.deepcopy(stack_file("staging"))
    web = config["fleet:services"]["web"]
    web["capacity"].update(capacity)
    if canary:
        web["canary"] = {"image": {"version": "1.1.0", "build": "images/web"}, "weight": 10}
    return config


def group(model: EngineModel, name: str = GROUP):
    (entry,) = [e for e in model.groups() if e.name == name and not e.pending_delete]
    return entry


@pytest.fixture
def serving() -> EngineModel:
    """Staging serving 1.0.0 on 2 hosts, settled."""
    model = EngineModel("staging")
    assert model.up(staging(), probes=PROBES).succeeded
    assert model.up(staging(), probes=PROBES).succeeded
    return model


def test_a_scale_up_updates_the_group_in_place_and_passes_its_wait(serving):
    update = serving.up(staging(desired=3), probes=PROBES)

    assert update.succeeded
    assert update.steps[group(serving).urn] == "update"
    assert group(serving).healthy_count == 3


def test_a_scale_up_whose_new_hosts_never_get_healthy_fails_with_the_old_inputs_and_the_new_sizes(serving):
    update = serving.up(staging(desired=3), healthy=False, probes=PROBES)

    entry = group(serving)
    assert not update.succeeded
    assert (entry.inputs["desiredCapacity"], entry.desired, entry.init_errors) == (2, 3, True)
    assert (entry.healthy_count, serving.serves(*PROBES[0])) == (2, "web")


def test_the_retry_of_a_failed_scale_up_boots_a_fresh_group_behind_the_gate(serving):
    """The empty update of rule 2 would wait on nothing; the group's `replace_on_changes` covers `#initerror`."""
    failed = group(serving)
    serving.up(staging(desired=3), healthy=False, probes=PROBES)

    retry = serving.up(staging(desired=3), probes=PROBES)

    assert retry.succeeded
    assert retry.steps[failed.urn] == "replace"
    assert failed in retry.deleted
    assert group(serving).healthy_count == 3


def test_a_size_change_of_a_sick_group_fails_its_wait(serving):
    serving.set_healthy(GROUP, False)

    update = serving.up(staging(min=1), probes=PROBES)

    assert not update.succeeded
    assert group(serving).init_errors


def test_an_update_that_changes_no_size_waits_on_nothing_even_for_a_sick_group(serving):
    serving.set_healthy(GROUP, False)

    update = serving.up(staging(max=5), probes=PROBES)

    assert update.succeeded
    assert update.steps[group(serving).urn] == "update"


def test_a_group_healthy_again_passes_its_next_wait(serving):
    serving.set_healthy(GROUP, False)
    serving.set_healthy(GROUP, True)

    assert serving.up(staging(min=1), probes=PROBES).succeeded


def test_a_sick_group_serves_nobody_and_its_route_is_a_dead_end(serving):
    serving.set_healthy(GROUP, False)

    assert serving.serves(*PROBES[0]) is None
    assert serving.dead_ends() == (f"{TRAFFIC_RULE} -> web-tg",)
    assert serving.hosts("web") == Hosts(serving=0, warm=0)


def test_a_canary_with_a_share_counts_as_serving(serving):
    assert serving.up(staging(canary=True), probes=PROBES).succeeded

    assert serving.hosts("web") == Hosts(serving=3, warm=0)
    assert serving.serves(*PROBES[0]) == "web"


def test_a_weighted_forward_serves_nobody_while_one_of_its_target_groups_has_no_healthy_host(serving):
    serving.up(staging(canary=True), probes=PROBES)

    serving.set_healthy(CANARY_GROUP, False)

    assert serving.serves(*PROBES[0]) is None
    assert serving.dead_ends() == (f"{TRAFFIC_RULE} -> web-tgb",)


def test_a_target_group_of_weight_zero_holds_warm_hosts_and_is_no_dead_end(serving):
    serving.up(staging(canary=True), probes=PROBES)
    (action,) = next(e for e in serving.state if e.name == TRAFFIC_RULE).inputs["actions"]
    live, canary = action["forward"]["targetGroups"]

    serving.change_outside(TRAFFIC_RULE, actions=[{"type": "forward", "forward": {"targetGroups": [
        {**live, "weight": 100}, {**canary, "weight": 0}]}}])  # fmt: skip
    serving.set_healthy(CANARY_GROUP, False)

    assert (serving.serves(*PROBES[0]), serving.dead_ends()) == ("web", ())
    serving.set_healthy(CANARY_GROUP, True)
    assert serving.hosts("web") == Hosts(serving=2, warm=1)


def test_a_change_outside_pulumi_stays_while_the_program_declares_what_the_state_has(serving):
    serving.up(staging(canary=True), probes=PROBES)
    rule = next(e for e in serving.state if e.name == TRAFFIC_RULE)
    (action,) = rule.inputs["actions"]
    live, _ = action["forward"]["targetGroups"]
    moved = [{"type": "forward", "forward": {"targetGroups": [{**live, "weight": 100}]}}]
    serving.change_outside(TRAFFIC_RULE, actions=moved)

    update = serving.up(staging(canary=True), probes=PROBES)

    assert (update.steps[rule.urn], rule.actual["actions"]) == ("same", moved)


def test_an_update_whose_diff_covers_a_changed_key_sets_it_in_aws_again(serving):
    serving.up(staging(canary=True), probes=PROBES)
    rule = next(e for e in serving.state if e.name == TRAFFIC_RULE)
    serving.change_outside(TRAFFIC_RULE, actions=[{"type": "fixed-response"}])
    declared = copy.deepcopy(staging(canary=True))
    declared["fleet:services"]["web"]["canary"]["weight"] = 20

    update = serving.up(declared, probes=PROBES)

    assert update.steps[rule.urn] == "update"
    assert [group["weight"] for group in rule.actual["actions"][0]["forward"]["targetGroups"]] == [80, 20]


def test_a_refresh_reads_what_aws_has_into_the_state(serving):
    serving.set_healthy(GROUP, False)
    serving.up(staging(min=1), probes=PROBES)

    serving.refresh()

    entry = group(serving)
    assert (entry.inputs["minSize"], entry.outputs, entry.init_errors) == (1, None, False)


def test_a_failed_release_leaves_the_live_hosts_serving_and_its_group_holds_no_healthy_host(serving):
    released = copy.deepcopy(staging())
    released["fleet:services"]["web"]["image"]["version"] = "1.1.0"

    assert not serving.up(released, healthy=False, probes=PROBES).succeeded

    assert [e.type for e in serving.groups()] == [AUTOSCALING_GROUP, AUTOSCALING_GROUP]
    assert serving.hosts("web") == Hosts(serving=2, warm=0)


def released(version: str, **web: Any) -> dict[str, Any]:
    """Staging running `version` of web, with `web`'s keys set."""
    config = staging()
    config["fleet:services"]["web"]["image"]["version"] = version
    config["fleet:services"]["web"].update(web)
    return config


def test_a_build_that_pushes_a_tag_its_immutable_repository_holds_fails(serving):
    """A canary of 1.1.0 again after one of 1.2.0 builds 1.1.0's canary image a second time."""
    for version in ("1.1.0", "1.2.0"):
        config = staging()
        config["fleet:services"]["web"]["canary"] = {"image": {"version": version, "build": "images/web"}}
        assert serving.up(config, probes=PROBES).succeeded
    config["fleet:services"]["web"]["canary"]["image"]["version"] = "1.1.0"

    again = serving.up(config, probes=PROBES)

    assert not again.succeeded
    assert again.failure is not None
    assert "ImageTagAlreadyExistsException" in again.failure


def test_an_ignored_input_keeps_the_value_the_state_has(serving):
    """A switch back to the warm 1.0.0 carries the live release's build: the image ignores its new name."""
    serving.up(released("1.1.0"), probes=PROBES)
    image = next(e for e in serving.state if e.name == "web-image-image")
    built = image.inputs["imageName"]

    switch = serving.up(released("1.0.0"), probes=PROBES)

    assert switch.succeeded, switch.failure
    assert (switch.steps[image.urn], image.inputs["imageName"]) == ("same", built)
