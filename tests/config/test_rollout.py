"""The pure rollout decisions: which capacity a deploy declares and which trigger a group gets."""

from __future__ import annotations

import pytest

from fleet.config_types import Capacity
from fleet.rollout import LiveService, group_trigger, planned_desired

CAPACITY = Capacity(min=2, desired=3, max=8)


def live(**fields) -> LiveService:
    base = dict(
        release_id="aaaaaaaaaaaa",
        asg_name="fleet-staging-web-1",
        launch_template_id="lt-0live",
        group_trigger="aaaaaaaaaaaa-1234abcd",
        port=8080,
        public_port=80,
        health_check_path="/healthz",
        configured_desired=3,
    )
    return LiveService(**{**base, **fields})


@pytest.mark.parametrize(
    ("case", "current", "release_id", "live_desired", "expected"),
    [
        ("first deploy", None, "aaaaaaaaaaaa", None, 3),
        ("live group gone", live(), "aaaaaaaaaaaa", None, 3),
        ("release, autoscaled out", live(), "bbbbbbbbbbbb", 6, 6),
        ("release, autoscaled in", live(), "bbbbbbbbbbbb", 2, 3),
        ("release, above max", live(), "bbbbbbbbbbbb", 12, 8),
        ("no release, autoscaled out", live(), "aaaaaaaaaaaa", 6, 6),
        ("no release, autoscaled in", live(), "aaaaaaaaaaaa", 2, 2),
        ("deliberate change", live(configured_desired=5), "aaaaaaaaaaaa", 6, 3),
        ("no record of the configured desired", live(configured_desired=None), "aaaaaaaaaaaa", 6, 6),
    ],
)
def test_planned_desired(case, current, release_id, live_desired, expected):
    assert planned_desired(CAPACITY, current, release_id, live_desired) == expected


def test_live_group_keeps_its_recorded_trigger():
    assert group_trigger("aaaaaaaaaaaa", live(), "lt-0live", "ffff0000") == "aaaaaaaaaaaa-1234abcd"


def test_live_group_deployed_before_triggers_were_recorded_keeps_the_release_id():
    assert group_trigger("aaaaaaaaaaaa", live(group_trigger=None), "lt-0live", "ffff0000") == "aaaaaaaaaaaa"


@pytest.mark.parametrize(
    ("current", "template"), [(None, "lt-0live"), (live(), "lt-0pending")], ids=["first deploy", "not yet live"]
)
def test_group_not_yet_live_gets_a_trigger_of_this_attempt(current, template):
    assert group_trigger("bbbbbbbbbbbb", current, template, "ffff0000") == "bbbbbbbbbbbb-ffff0000"
