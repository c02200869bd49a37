"""A failed cut-over never takes the serving fleet down, whatever runs after it (under tests/engine_model.py)."""

from __future__ import annotations

import copy

import pytest

import components.release
import fleet.rollout
from fleet.resource_types import AUTOSCALING_GROUP
from tests.checkout import stack_file
from tests.engine_model import EngineModel

SERVING = 2
"""Staging's configured capacity: what the first release serves with."""
NEW_GROUP = "web-release-b-group"
"""The release after the first runs in slot b: the serving group (slot a's) is never replaced by it."""


def release(config, version: str):
    changed = copy.deepcopy(config)
    changed["fleet:services"]["web"]["image"]["version"] = version
    return changed


def settings_tweak(config):
    """A deploy that is not a release: only the health check's thresholds change."""
    changed = copy.deepcopy(config)
    changed["fleet:services"]["web"]["healthCheck"] = {"unhealthyThreshold": 3}
    return changed


def group_step(update, group: str = NEW_GROUP) -> str:
    return next(kind for urn, kind in update.steps.items() if urn.endswith(f"{AUTOSCALING_GROUP}::{group}"))


def served_by(model) -> str | None:
    """The target group the service's requests reach (None: one without healthy hosts)."""
    return model.serves(80, "anything")


@pytest.fixture
def stack():
    """Staging serving release 1.0.0 after a successful first update, and a release 1.0.1 that failed its gate."""
    model = EngineModel("staging")
    assert model.up(stack_file("staging")).succeeded
    failed = model.up(release(stack_file("staging"), "1.0.1"), healthy=False)
    assert not failed.succeeded
    return model


def test_failed_cutover_leaves_the_serving_group_serving_and_marks_nothing_for_deletion(stack):
    assert stack.healthy_hosts() == SERVING
    assert served_by(stack) == "web"
    assert [(group.healthy, group.pending_delete, group.init_errors) for group in stack.groups()] == [
        (True, False, False),
        (False, False, True),
    ]


@pytest.mark.parametrize("refreshed", [False, True], ids=["", "after-refresh"])
def test_unrelated_deploy_after_a_failed_cutover_gates_a_fresh_group_before_traffic_moves(stack, refreshed):
    if refreshed:
        stack.refresh()
    serving = stack.groups()[0]

    update = stack.up(settings_tweak(release(stack_file("staging"), "1.0.1")), healthy=False)

    assert group_step(update) == "replace"
    assert not update.succeeded
    assert serving in stack.groups()
    assert stack.healthy_hosts() == SERVING
    assert served_by(stack) == "web"


def test_every_retry_of_a_pending_release_health_gates_a_fresh_group(stack):
    pending = release(stack_file("staging"), "1.0.1")

    retries = [stack.up(pending, healthy=False) for _ in range(3)]

    assert [group_step(update) for update in retries] == ["replace"] * 3
    assert stack.healthy_hosts() == SERVING


def test_a_retry_that_passes_the_gate_moves_traffic_and_keeps_the_former_group_warm(stack):
    serving = stack.groups()[0]

    update = stack.up(release(stack_file("staging"), "1.0.1"))

    assert update.succeeded
    assert serving not in update.deleted
    assert [(group.healthy, group.pending_delete) for group in stack.groups()] == [(True, False), (True, False)]
    assert stack.outputs["services"]["web"]["warm"]["asgName"] == serving.id
    assert stack.healthy_hosts() == 2 * SERVING


def test_after_a_successful_cutover_the_next_update_replaces_nothing(stack):
    stack.up(release(stack_file("staging"), "1.0.1"))

    update = stack.up(release(stack_file("staging"), "1.0.1"))

    assert update.succeeded
    assert "replace" not in update.steps.values()
    assert update.deleted == []


def test_a_failure_elsewhere_after_a_healthy_cutover_is_retried_with_a_fresh_gated_group(stack):
    """The new group passed its gate but the update failed later: its outputs were never recorded."""
    good = release(stack_file("staging"), "1.0.1")
    stack.up(good)
    stack.outputs = {}  # as if the update that passed the gate had failed before writing outputs

    update = stack.up(good)

    assert group_step(update, "web-release-group") == "replace"
    assert stack.healthy_hosts() >= SERVING


def test_untracked_group_of_an_older_bridge_is_left_serving_nothing_and_the_serving_group_is_kept():
    model = EngineModel("staging")
    model.up(stack_file("staging"))

    failed = model.up(release(stack_file("staging"), "1.0.1"), healthy=False, untracked=True)
    retried = model.up(release(stack_file("staging"), "1.0.1"))

    assert not failed.succeeded
    assert retried.succeeded
    assert [group.healthy for group in model.leaked] == [False]
    assert model.healthy_hosts() == 2 * SERVING  # the new live release and the warm one
    assert served_by(model) == "web"


def test_model_shows_the_outage_a_trigger_fixed_to_the_release_id_without_initerror_would_cause(monkeypatch):
    """The negative control: with the release id as the group's trigger and no `#initerror` replacement, the next
    deploy gives the failed group an empty update that waits on nothing, and the traffic rule moves to it."""
    monkeypatch.setattr(fleet.rollout, "group_trigger", lambda release_id, *_: release_id)
    monkeypatch.setattr(components.release, "INIT_ERROR", "#none")
    model = EngineModel("staging")
    model.up(stack_file("staging"))
    model.up(release(stack_file("staging"), "1.0.1"), healthy=False)

    update = model.up(settings_tweak(release(stack_file("staging"), "1.0.1")))

    assert update.succeeded
    assert group_step(update) == "update"
    assert served_by(model) is None


def test_after_a_failed_cutover_the_alarms_still_watch_the_slot_that_serves(stack):
    (alarm,) = [entry for entry in stack.state if entry.urn.endswith("::web-alarms-unhealthy-hosts")]

    assert alarm.inputs["dimensions"]["TargetGroup"].startswith("targetgroup/web-tg/")
