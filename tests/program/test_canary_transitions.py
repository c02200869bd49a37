"""A canary's life across `pulumi up`s, under the engine's rules (tests/engine_model.py): none -> canary -> weight
change -> finish, and canary -> abort. What each update creates, updates, replaces and deletes, in which order,
where requests go after it, and that the live group is never touched before the finish."""

from __future__ import annotations

import copy

import pytest

from fleet.resource_types import (
    AUTOSCALING_GROUP,
    DOCKER_IMAGE,
    LAUNCH_TEMPLATE,
    LISTENER_RULE,
    METRIC_ALARM,
    SCALING_POLICY,
    TARGET_GROUP,
)
from tests.checkout import stack_file
from tests.engine_model import EngineModel

LIVE_GROUP = f"{AUTOSCALING_GROUP}::web-release-group"
LIVE_TEMPLATE = f"{LAUNCH_TEMPLATE}::web-release-launch-template"
CANARY_GROUP = f"{AUTOSCALING_GROUP}::web-release-b-group"
CANARY_TEMPLATE = f"{LAUNCH_TEMPLATE}::web-release-b-launch-template"
CANARY_TG = f"{TARGET_GROUP}::web-tgb"
HEADER_RULE = f"{LISTENER_RULE}::web-canary-rule"
TRAFFIC_RULE = f"{LISTENER_RULE}::web-traffic-rule"
TRACK_RULE = f"{LISTENER_RULE}::web-track-rule"
CANARY_ALARMS = {
    f"{METRIC_ALARM}::web-canary-alarms-{alarm}" for alarm in ("unhealthy-hosts", "5xx-rate", "p99-latency")
}
CANARY_RESOURCES = {
    HEADER_RULE,
    CANARY_TEMPLATE,
    CANARY_GROUP,
    f"{DOCKER_IMAGE}::web-canary-image",
    *CANARY_ALARMS,
}
"""Every resource of the canary in the state (components are not modelled); its slot's target group stays."""
CANARY_VERSION = "1.1.0"
SERVING = 2
"""Staging's configured capacity: what the live release serves with."""


def staging(canary: dict | None = None, version: str = "1.0.0"):
    config = copy.deepcopy(stack_file("staging"))
    config["fleet:services"]["web"]["image"]["version"] = version
    if canary is not None:
        config["fleet:services"]["web"]["canary"] = {
            "image": {"version": CANARY_VERSION, "build": "images/web"},
            **canary,
        }
    return config


FINISHED = staging(version=CANARY_VERSION)
"""What `fleetctl canary finish` leaves: the canary's image as the service's own, no canary block."""


def key(urn: str) -> str:
    """`type::name` of a URN."""
    type_, name = urn.split("::")[-2:]
    return f"{type_.rsplit('$', 1)[-1]}::{name}"


def steps(update, kind: str) -> list[str]:
    return [key(urn) for urn, step in update.steps.items() if step == kind]


def not_same(update) -> dict[str, str]:
    return {key(urn): step for urn, step in update.steps.items() if step != "same"}


def in_state(model, name: str):
    found = [entry for entry in model.state if key(entry.urn) == name and not entry.pending_delete]
    return found[0] if found else None


def target_group(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def request_shares(model) -> dict[str, int]:
    """Where the requests without a track header go: the traffic rule's forward."""
    (action,) = in_state(model, TRAFFIC_RULE).inputs["actions"]
    if "forward" not in action:
        return {target_group(action["targetGroupArn"]): 100}
    return {target_group(group["arn"]): group["weight"] for group in action["forward"]["targetGroups"]}


def healthy_hosts(model, name: str) -> int:
    return sum(entry.desired for entry in model.groups() if key(entry.urn) == name and entry.healthy)


@pytest.fixture
def serving():
    """Staging serving 1.0.0, settled (the update after the first cut-over turned scale-in back on)."""
    model = EngineModel("staging")
    assert model.up(staging()).succeeded
    assert model.up(staging()).succeeded
    return model


@pytest.fixture
def with_canary(serving):
    assert serving.up(staging({"weight": 10})).succeeded
    return serving


def test_starting_a_canary_creates_only_the_canarys_resources_and_updates_its_slot_and_the_traffic_rule(serving):
    update = serving.up(staging({"weight": 10}))

    assert update.succeeded
    assert {name for name, step in not_same(update).items() if step != "create"} == {CANARY_TG, TRAFFIC_RULE}
    assert set(steps(update, "create")) == CANARY_RESOURCES
    assert update.deleted == []


def test_starting_a_canary_attaches_its_target_group_then_gates_its_group_then_shifts_requests(serving):
    update = serving.up(staging({"weight": 10}))

    done = [key(urn) for urn in update.steps]
    order = [done.index(name) for name in (CANARY_TG, HEADER_RULE, CANARY_TEMPLATE, CANARY_GROUP, TRAFFIC_RULE)]
    assert order == sorted(order)


def test_a_canary_that_never_gets_healthy_takes_no_requests_and_the_live_group_serves(serving):
    update = serving.up(staging({"weight": 10}), healthy=False)

    assert not update.succeeded
    assert TRAFFIC_RULE not in not_same(update)
    assert request_shares(serving) == {"web-tg": 100}
    assert healthy_hosts(serving, LIVE_GROUP) == SERVING


def test_the_retry_of_a_failed_canary_gates_a_fresh_group_before_it_takes_requests(serving):
    serving.up(staging({"weight": 10}), healthy=False)

    update = serving.up(staging({"weight": 10}))

    assert (not_same(update)[CANARY_GROUP], not_same(update)[TRAFFIC_RULE]) == ("replace", "update")
    assert [key(entry.urn) for entry in update.deleted] == [CANARY_GROUP]
    assert request_shares(serving) == {"web-tg": 90, "web-tgb": 10}


def test_a_weight_change_updates_only_the_traffic_rule(with_canary):
    update = with_canary.up(staging({"weight": 40}))

    assert not_same(update) == {TRAFFIC_RULE: "update"}
    assert update.deleted == []


def test_a_new_canary_image_replaces_only_the_canarys_release_and_image(with_canary):
    update = with_canary.up(staging({"image": {"version": "1.2.0", "build": "images/web"}}))

    assert not_same(update) == {
        f"{DOCKER_IMAGE}::web-canary-image": "update",
        CANARY_TEMPLATE: "replace",
        CANARY_GROUP: "replace",
    }
    assert {key(entry.urn) for entry in update.deleted} == {CANARY_TEMPLATE, CANARY_GROUP}


def test_finishing_boots_nothing_the_canarys_slot_turns_live_and_the_live_one_warm_in_place(with_canary):
    with_canary.up(staging({"weight": 40}))
    canary = with_canary.outputs["services"]["web"]["canary"]

    update = with_canary.up(FINISHED)

    assert update.succeeded
    assert {name: step for name, step in not_same(update).items() if "release" in name} == {
        LIVE_GROUP: "update",
        CANARY_GROUP: "update",
        f"{SCALING_POLICY}::web-release-b-scale-cpu": "create",
    }
    assert {key(entry.urn) for entry in update.deleted} == CANARY_RESOURCES - {CANARY_TEMPLATE, CANARY_GROUP}
    web = with_canary.outputs["services"]["web"]
    assert (web["release"]["releaseId"], web["release"]["slot"]) == (canary["releaseId"], "b")
    assert request_shares(with_canary) == {"web-tgb": 100}


def test_finishing_grows_the_canarys_group_to_the_live_capacity_and_keeps_the_former_live_one_warm(with_canary):
    with_canary.up(FINISHED)

    assert healthy_hosts(with_canary, CANARY_GROUP) == SERVING
    assert healthy_hosts(with_canary, LIVE_GROUP) == SERVING
    warm = in_state(with_canary, LIVE_GROUP).inputs
    assert (warm["minSize"], warm["desiredCapacity"], warm["suspendedProcesses"]) == (0, SERVING, ["AlarmNotification"])


@pytest.mark.parametrize("config", [staging(), FINISHED], ids=["abort", "finish"])
def test_the_traffic_rule_moves_requests_off_the_canary_before_any_canary_resource_is_deleted(with_canary, config):
    update = with_canary.up(config)

    done = [what for what, _ in update.routes]
    first_delete = next(index for index, what in enumerate(done) if what.startswith("delete "))
    assert done.index("update web-traffic-rule") < first_delete
    wave = {key(entry.urn): index for index, entry_wave in enumerate(update.delete_waves) for entry in entry_wave}
    assert wave.get(CANARY_GROUP, -1) < wave[HEADER_RULE]


def test_aborting_deletes_only_the_canarys_resources_and_replaces_nothing(with_canary):
    update = with_canary.up(staging())

    assert update.succeeded
    assert not_same(update) == {TRAFFIC_RULE: "update", CANARY_TG: "update"}
    assert {key(entry.urn) for entry in update.deleted} == CANARY_RESOURCES
    assert request_shares(with_canary) == {"web-tg": 100}


def test_requests_shift_with_each_step_of_a_canarys_life(serving):
    shares = []
    for config in (staging({"weight": 10}), staging({"weight": 40}), FINISHED):
        assert serving.up(config).succeeded
        shares.append(request_shares(serving))

    assert shares == [{"web-tg": 90, "web-tgb": 10}, {"web-tg": 60, "web-tgb": 40}, {"web-tgb": 100}]


def test_the_live_group_is_untouched_until_the_finish_and_then_only_turned_warm(serving):
    live = in_state(serving, LIVE_GROUP)
    for config in (
        staging({"weight": 10}),
        staging({"weight": 40}),
        staging({"weight": 40, "image": {"version": "1.2.0", "build": "images/web"}}),
        staging({"weight": 40, "image": {"version": "1.2.0", "build": "images/web"}, "instances": 3}),
    ):
        update = serving.up(config)
        assert (update.succeeded, update.steps[live.urn]) == (True, "same")
    assert in_state(serving, LIVE_GROUP) is live

    finish = serving.up(staging(version="1.2.0"))

    assert finish.steps[live.urn] == "update"
    assert live not in finish.deleted
