"""Releases and rollbacks with a warm window, under the engine's rules (tests/engine_model.py), fed by what the
program declares: a release, a failed release and its retry, a rollback within the window and one after it, the
window's expiry, and a release while a warm release exists. After every step and every wave of deletes of each
update, the service's clients reach healthy hosts only, and no fewer of them serve than before (`assert_safe`)."""

from __future__ import annotations

import pytest

from fleet.resource_types import AUTOSCALING_GROUP
from tests.engine_model import Hosts
from tests.program import warm_fleet
from tests.program.warm_fleet import (
    SERVING,
    TRAFFIC_RULE,
    V1,
    V2,
    V3,
    WINDOW,
    Fleet,
    assert_safe,
    boots,
    group_name,
    settled,
    staging,
    template_name,
    traffic_changes,
)


@pytest.fixture
def serving() -> Fleet:
    """Staging serving V1 from slot a, settled."""
    return settled()


@pytest.fixture
def released(serving: Fleet) -> Fleet:
    """V2 live in slot b, V1 warm in slot a."""
    return warm_fleet.released(serving)


def test_a_release_boots_in_a_free_slot_and_the_previous_release_stays_warm(serving):
    before = serving.hosts()

    update = serving.up(staging(V2))

    assert update.succeeded, update.failure
    assert_safe(update, before)
    assert sorted(boots(update)) == sorted([group_name("b"), template_name("b")])
    assert update.deleted == []
    assert (serving.slot_of("release"), serving.slot_of("warm")) == ("b", "a")
    assert serving.hosts() == Hosts(serving=SERVING, warm=SERVING)


def test_a_release_moves_traffic_only_after_the_new_group_passed_its_gate(serving):
    update = serving.up(staging(V2))

    order = list(update.steps)
    group = next(urn for urn in order if urn.endswith(f"::{group_name('b')}"))
    rule = next(urn for urn in order if urn.endswith(f"::{TRAFFIC_RULE}"))
    assert order.index(group) < order.index(rule)


def test_a_failed_release_leaves_the_live_release_serving_and_the_warm_one_untouched(released):
    before, warm = released.hosts(), released.group("a")
    warm_inputs = dict(warm.inputs)

    failed = released.up(staging(V3), healthy=False)

    assert not failed.succeeded
    assert_safe(failed, before, warm=SERVING)
    assert failed.steps.get(warm.urn) in (None, "same")  # the engine stops before it, or leaves it as it is
    assert (warm.inputs, warm.healthy, warm.pending_delete) == (warm_inputs, True, False)
    assert (released.slot_of("release"), released.slot_of("warm")) == ("b", "a")
    assert failed.deleted == []


def test_the_retry_of_a_failed_release_gates_a_fresh_group_in_the_same_slot_then_retires_the_oldest(released):
    released.up(staging(V3), healthy=False)
    before = released.hosts()

    retry = released.up(staging(V3))

    assert retry.succeeded, retry.failure
    assert_safe(retry, before, warm=SERVING)
    assert retry.steps[released.group("c").urn] == "replace"
    assert (released.slot_of("release"), released.slot_of("warm")) == ("c", "b")
    assert group_name("a") in {entry.name for entry in retry.deleted}


def test_a_rollback_within_the_window_is_one_traffic_rule_change_and_boots_nothing(released):
    before = released.hosts()

    rollback = released.up(staging(V1))

    assert rollback.succeeded, rollback.failure
    assert_safe(rollback, before)
    assert boots(rollback) == []
    assert traffic_changes(released, rollback) == [TRAFFIC_RULE]
    assert [kind for urn, kind in rollback.steps.items() if "aws:lb/listener:Listener" in urn] == ["same"]
    assert rollback.steps[released.group("a").urn] == "update"
    assert rollback.deleted == []


def test_a_rollback_within_the_window_swaps_the_roles(released):
    released.up(staging(V1))

    assert (released.slot_of("release"), released.slot_of("warm")) == ("a", "b")
    assert released.hosts() == Hosts(serving=SERVING, warm=SERVING)


def test_a_rollback_after_the_window_is_a_full_release(released):
    before = released.hosts()

    rollback = released.up(staging(V1), after=WINDOW)

    assert rollback.succeeded, rollback.failure
    assert_safe(rollback, before)
    assert sorted(boots(rollback)) == sorted([group_name("c"), template_name("c")])
    assert (released.slot_of("release"), released.slot_of("warm")) == ("c", "b")


def test_the_first_update_after_the_window_retires_the_warm_release_and_moves_no_traffic(released):
    before = released.hosts()

    expired = released.up(staging(V2), after=WINDOW)

    assert expired.succeeded, expired.failure
    assert_safe(expired, before)
    assert traffic_changes(released, expired) == []
    assert {entry.name for entry in expired.deleted if entry.type == AUTOSCALING_GROUP} == {group_name("a")}
    assert "warm" not in released.web
    assert released.hosts() == Hosts(serving=SERVING, warm=0)


def test_a_release_while_a_warm_release_exists_never_leaves_it_without_warm_hosts(released):
    before = released.hosts()

    update = released.up(staging(V3))

    assert update.succeeded, update.failure
    assert_safe(update, before, warm=SERVING)
    assert (released.slot_of("release"), released.slot_of("warm")) == ("c", "b")
    assert {entry.name for entry in update.deleted if entry.type == AUTOSCALING_GROUP} == {group_name("a")}
