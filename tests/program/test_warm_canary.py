"""A canary in a release slot of its own, under the engine's rules (tests/engine_model.py), fed by what the program
declares: its start, its finish without a second boot (its group scales in place behind the update's capacity
wait), a finish whose new hosts never get healthy and its retry, and its abort. After every step and every wave of
deletes of each update, the service's clients reach healthy hosts only (`assert_safe`)."""

from __future__ import annotations

import pytest

from tests.engine_model import Hosts
from tests.program.warm_fleet import (
    CANARY_HOSTS,
    SERVING,
    TRAFFIC_RULE,
    V1,
    V2,
    Fleet,
    assert_safe,
    boots,
    group_name,
    settled,
    staging,
    template_name,
)


@pytest.fixture
def serving() -> Fleet:
    """Staging serving V1 from slot a, settled."""
    return settled()


@pytest.fixture
def canary(serving: Fleet) -> Fleet:
    """V1 live in slot a, a canary of V2 in slot b taking 10%."""
    assert serving.up(staging(V1, canary=V2)).succeeded
    return serving


def shares(fleet: Fleet) -> dict[str, int]:
    """The traffic rule's forward as AWS has it: target group name -> weight."""
    (action,) = fleet.resource(TRAFFIC_RULE).actual["actions"]
    if action.get("targetGroupArn"):
        return {action["targetGroupArn"].rsplit("/", 1)[-1]: 100}
    return {group["arn"].rsplit("/", 1)[-1]: int(group["weight"]) for group in action["forward"]["targetGroups"]}


def test_a_canary_starts_in_a_free_slot_and_takes_its_share_once_gated(serving):
    before = serving.hosts()

    update = serving.up(staging(V1, canary=V2))

    assert update.succeeded, update.failure
    assert_safe(update, before)
    assert sorted(boots(update)) == sorted([group_name("b"), template_name("b")])
    assert serving.slot_of("canary") == "b"
    assert serving.hosts() == Hosts(serving=SERVING + CANARY_HOSTS, warm=0)
    assert sorted(shares(serving).values()) == [10, 90]


def test_a_canary_finish_scales_the_canarys_group_in_place_and_boots_no_template(canary):
    before = canary.hosts()

    finish = canary.up(staging(V2))

    assert finish.succeeded, finish.failure
    assert_safe(finish, before, serving=SERVING)
    assert boots(finish) == []
    assert finish.steps[canary.group("b").urn] == "update"
    assert (canary.slot_of("release"), canary.slot_of("warm"), canary.slot_of("canary")) == ("b", "a", None)
    assert canary.hosts() == Hosts(serving=SERVING, warm=SERVING)


def test_a_canary_finish_waits_for_the_grown_group_before_it_takes_all_traffic(canary):
    finish = canary.up(staging(V2))

    order = list(finish.steps)
    group = order.index(canary.group("b").urn)
    rule = next(i for i, urn in enumerate(order) if urn.endswith(f"::{TRAFFIC_RULE}"))
    assert group < rule
    assert canary.group("b").desired == SERVING


def test_a_canary_finish_whose_new_hosts_never_get_healthy_keeps_the_traffic_as_it_was(canary):
    before, weights = canary.hosts(), shares(canary)

    failed = canary.up(staging(V2), healthy=False)

    assert not failed.succeeded
    assert_safe(failed, before)
    assert shares(canary) == weights
    assert canary.group("b").init_errors


def test_the_retry_of_a_failed_canary_finish_boots_the_group_afresh_before_traffic_moves(canary):
    canary.up(staging(V2), healthy=False)
    before = canary.hosts()

    retry = canary.up(staging(V2))

    assert retry.succeeded, retry.failure
    assert_safe(retry, before, serving=SERVING)
    assert retry.steps[canary.group("b").urn] == "replace"
    assert canary.slot_of("release") == "b"


def test_a_canary_abort_returns_its_share_to_the_live_release_then_retires_its_group(canary):
    before = canary.hosts()

    abort = canary.up(staging(V1))

    assert abort.succeeded, abort.failure
    assert_safe(abort, before, serving=SERVING)
    assert group_name("b") in {entry.name for entry in abort.deleted}
    assert boots(abort) == []
    assert shares(canary) == {"web-tg": 100}
    assert canary.hosts() == Hosts(serving=SERVING, warm=0)


def test_a_refresh_between_a_failed_canary_finish_and_its_retry_keeps_the_traffic_on_healthy_capacity(canary):
    canary.up(staging(V2), healthy=False)
    canary.model.refresh()
    before = canary.hosts()

    retry = canary.up(staging(V2))

    assert retry.succeeded, retry.failure
    assert_safe(retry, before, serving=SERVING)
    assert retry.steps[canary.group("b").urn] == "replace"
    assert canary.slot_of("release") == "b"
