"""fleet.slots.retry_afresh: a switch or canary finish whose group AWS no longer has at its warm or canary sizes
(an earlier attempt of it failed, and a refresh may have cleared what would have replaced the group) boots that
release afresh; every other update keeps its groups."""

from __future__ import annotations

from fleet.rollout import GroupSizes
from fleet.slots import RolledBack, retry_afresh, warm_min_size
from tests.slots.test_slots import canary, live, outputs, plan, warm

SWITCHED = outputs(live("new", "b"), warm("old", "a", 10, desired=4))
"""Live `new` in slot b, warm `old` in slot a pinned at 4 hosts (min 0: the config's min is 2)."""
FINISHING = outputs(live("new"), canary_release=canary("can", "b"))
"""Live `new` in slot a, the canary `can` in slot b on its 1 fixed host."""


def fresh_slots(result) -> set[str]:
    return {occupant.slot for occupant in result.occupants if occupant.fresh}


def test_a_switch_whose_warm_group_has_its_warm_sizes_keeps_the_group():
    switch = plan(SWITCHED, "old")

    assert fresh_slots(retry_afresh(switch, SWITCHED, GroupSizes(desired=4, min=0), {})) == set()


def test_a_switch_whose_warm_group_min_was_raised_by_an_earlier_attempt_boots_it_afresh():
    switch = plan(SWITCHED, "old")

    assert fresh_slots(retry_afresh(switch, SWITCHED, GroupSizes(desired=4, min=2), {})) == {"a"}


def test_a_switch_whose_warm_group_desired_moved_boots_it_afresh():
    switch = plan(SWITCHED, "old")

    assert fresh_slots(retry_afresh(switch, SWITCHED, GroupSizes(desired=5, min=0), {})) == {"a"}


def test_only_the_group_becoming_live_is_booted_afresh_not_the_one_turning_warm():
    result = retry_afresh(plan(SWITCHED, "old"), SWITCHED, GroupSizes(desired=4, min=2), {})

    assert {(o.slot, o.role, o.fresh) for o in result.occupants} == {("a", "live", True), ("b", "warm", False)}


def test_a_switch_after_an_automatic_rollback_declares_what_aws_has():
    marker = {"new": RolledBack(at="2026-12-02T00:55:00Z", alarms=("web-5xx",), served_by="old")}
    switch = plan(SWITCHED, "old", rolled_back=marker)

    assert fresh_slots(retry_afresh(switch, SWITCHED, GroupSizes(desired=4, min=2), marker)) == set()


def test_a_marker_of_a_rollback_to_another_release_does_not_spare_the_switch():
    marker = {"new": RolledBack(at="2026-12-02T00:55:00Z", served_by="older")}
    switch = plan(SWITCHED, "old", rolled_back=marker)

    assert fresh_slots(retry_afresh(switch, SWITCHED, GroupSizes(desired=4, min=2), marker)) == {"a"}


def test_a_canary_finish_whose_group_grew_in_an_earlier_attempt_boots_it_afresh():
    finish = plan(FINISHING, "can", live_desired=2)

    assert fresh_slots(retry_afresh(finish, FINISHING, GroupSizes(desired=2, min=2), {})) == {"b"}


def test_a_canary_finish_whose_group_has_its_canary_sizes_keeps_the_group():
    finish = plan(FINISHING, "can", live_desired=2)

    assert fresh_slots(retry_afresh(finish, FINISHING, GroupSizes(desired=1, min=1), {})) == set()


def test_a_routine_deploy_or_a_release_is_left_as_planned():
    for previous, release_id in ((SWITCHED, "new"), (outputs(live("old")), "new")):
        planned = plan(previous, release_id)

        assert retry_afresh(planned, previous, GroupSizes(desired=9, min=9), {}) == planned


def test_sizes_aws_does_not_report_are_not_compared():
    switch = plan(SWITCHED, "old")

    assert retry_afresh(switch, SWITCHED, None, {}) == switch
    assert fresh_slots(retry_afresh(switch, SWITCHED, GroupSizes(desired=4, min=None), {})) == set()


def test_a_warm_group_has_min_zero_or_its_pinned_desired_where_the_config_min_is_zero():
    assert (warm_min_size(2, 4), warm_min_size(0, 4)) == (0, 4)
