"""fleet.slots: which slot runs what after an update, for every transition of a service's releases.

Each case gives the last outputs (the roles by slot), the config's release (and canary) and the time, and states
the slots after the update, what is retired and what is refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fleet.clock import iso
from fleet.config_types import CanaryConfig, Capacity, ImageSource, ServiceConfig
from fleet.outputs import CanaryRelease, CapacityOutputs, DeployedRelease, ServiceOutputs, WarmRelease
from fleet.slots import FINISH, FIRST, RELEASE, ROUTINE, SWITCH, RolledBack, plan_slots

NOW = datetime(2026, 12, 2, 1, 0, 0, tzinfo=UTC)
SERVICE = ServiceConfig(
    name="web",
    image=ImageSource(version="2.0.0", build="images/web"),
    host_image="ami-0abc1234def567890",
    capacity=Capacity(min=2, desired=2, max=6),
)
CANARY = CanaryConfig(
    image=ImageSource(version="3.0.0", build="images/web"),
    host_image="ami-0abc1234def567890",
    instance_type="t3.small",
    weight=10,
    instances=1,
)


def live(release_id: str, slot: str | None = "a") -> DeployedRelease:
    return DeployedRelease(release_id=release_id, slot=slot, asg_name=f"group-{release_id}")


def warm(release_id: str, slot: str, minutes_ago: int, desired: int = 4) -> WarmRelease:
    since = NOW - timedelta(minutes=minutes_ago)
    return WarmRelease(
        release_id=release_id,
        slot=slot,
        desired=desired,
        warm_since=iso(since),
        retires_at=iso(since + timedelta(minutes=60)),
    )


def canary(release_id: str, slot: str | None = "b") -> CanaryRelease:
    return CanaryRelease(release_id=release_id, slot=slot, weight=10, instances=1)


def outputs(release=None, warm_release=None, canary_release=None, desired: int = 2) -> ServiceOutputs:
    return ServiceOutputs(
        release=release,
        warm=warm_release,
        canary=canary_release,
        capacity=CapacityOutputs(min=2, desired=desired, max=6),
    )


def plan(previous, release_id="new", *, canary_id=None, service=SERVICE, now=NOW, rolled_back=None, live_desired=3):
    if canary_id is not None and service.canary is None:
        service = replace(service, canary=CANARY)
    return plan_slots("staging", service, release_id, canary_id, previous, now, rolled_back or {}, live_desired)


def roles(result) -> dict[str, tuple[str, str]]:
    return {occupant.slot: (occupant.role, occupant.release_id) for occupant in result.occupants}


def retired(result) -> dict[str, str | None]:
    return {entry.slot: entry.release_id for entry in result.retired}


CASES = {
    "first deploy: slot a, live": (None, {}, FIRST, {"a": ("live", "new")}, {}),
    "routine deploy: nothing moves": (outputs(live("new")), {}, ROUTINE, {"a": ("live", "new")}, {}),
    "release: the next free slot, the old live turns warm": (
        outputs(live("old")),
        {},
        RELEASE,
        {"b": ("live", "new"), "a": ("warm", "old")},
        {},
    ),
    "switch within the window: the roles swap": (
        outputs(live("new", "b"), warm("old", "a", 10)),
        {"release_id": "old"},
        SWITCH,
        {"a": ("live", "old"), "b": ("warm", "new")},
        {},
    ),
    "rollback after the window: a full release into a free slot, the expired warm retired": (
        outputs(live("new", "b"), warm("old", "a", 61)),
        {"release_id": "old"},
        RELEASE,
        {"c": ("live", "old"), "b": ("warm", "new")},
        {"a": "old"},
    ),
    "routine deploy within the window: the warm release stays": (
        outputs(live("new", "b"), warm("old", "a", 59)),
        {},
        ROUTINE,
        {"b": ("live", "new"), "a": ("warm", "old")},
        {},
    ),
    "window expiry: the next update retires the warm release": (
        outputs(live("new", "b"), warm("old", "a", 60)),
        {},
        ROUTINE,
        {"b": ("live", "new")},
        {"a": "old"},
    ),
    "release while a warm one exists: the newest former live turns warm, the older warm retires": (
        outputs(live("mid", "b"), warm("old", "a", 5)),
        {},
        RELEASE,
        {"c": ("live", "new"), "b": ("warm", "mid")},
        {"a": "old"},
    ),
    "canary start: the first free slot": (
        outputs(live("new")),
        {"canary_id": "can"},
        ROUTINE,
        {"a": ("live", "new"), "b": ("canary", "can")},
        {},
    ),
    "canary carried: its slot": (
        outputs(live("new"), canary_release=canary("can", "c")),
        {"canary_id": "can"},
        ROUTINE,
        {"a": ("live", "new"), "c": ("canary", "can")},
        {},
    ),
    "new canary release: replaced in the old canary's slot": (
        outputs(live("new"), canary_release=canary("can", "b")),
        {"canary_id": "can2"},
        ROUTINE,
        {"a": ("live", "new"), "b": ("canary", "can2")},
        {"b": "can"},
    ),
    "canary finish: its slot turns live, the old live warm": (
        outputs(live("new"), canary_release=canary("can", "b")),
        {"release_id": "can"},
        FINISH,
        {"b": ("live", "can"), "a": ("warm", "new")},
        {},
    ),
    "canary abort: the canary is retired, the live release stays": (
        outputs(live("new"), canary_release=canary("can", "b")),
        {},
        ROUTINE,
        {"a": ("live", "new")},
        {"b": "can"},
    ),
    "canary finish while a warm one exists: the warm one retires": (
        outputs(live("new", "b"), warm("old", "a", 5), canary("can", "c")),
        {"release_id": "can"},
        FINISH,
        {"c": ("live", "can"), "b": ("warm", "new")},
        {"a": "old"},
    ),
    "legacy outputs: the live release is slot a's": (
        outputs(live("old", None)),
        {},
        RELEASE,
        {"b": ("live", "new"), "a": ("warm", "old")},
        {},
    ),
    "legacy outputs: a canary without a slot is slot c's": (
        outputs(live("new", None), canary_release=canary("can", None)),
        {"canary_id": "can"},
        ROUTINE,
        {"a": ("live", "new"), "c": ("canary", "can")},
        {},
    ),
    "window off: the old live is retired at the cut-over": (
        outputs(live("old")),
        {"service": replace(SERVICE, warm_rollback_minutes=0)},
        RELEASE,
        {"b": ("live", "new")},
        {"a": "old"},
    ),
    "window shortened: a warm release past the new window retires": (
        outputs(live("new", "b"), warm("old", "a", 10)),
        {"service": replace(SERVICE, warm_rollback_minutes=5)},
        ROUTINE,
        {"b": ("live", "new")},
        {"a": "old"},
    ),
}


@pytest.mark.parametrize(("previous", "options", "transition", "slots", "retires"), CASES.values(), ids=CASES)
def test_slots_after_an_update(previous, options, transition, slots, retires):
    result = plan(previous, **options)

    assert result.problems == ()
    assert result.transition == transition
    assert roles(result) == slots
    assert retired(result) == retires


def test_a_new_release_with_live_warm_and_canary_slots_taken_is_refused_naming_the_version():
    result = plan(outputs(live("new", "b"), warm("old", "a", 5), canary("can", "c")), "newer", canary_id="can")

    ((key, message),) = result.problems
    assert key == "services.web.image.version"
    assert "finish the canary" in message
    assert "2026-12-02T01:55:00Z" in message


def test_a_switch_declares_the_warm_release_at_its_pinned_capacity_and_creates_nothing():
    result = plan(outputs(live("new", "b"), warm("old", "a", 10, desired=4)), "old")

    assert result.live.desired == 4
    assert not result.live.created
    assert result.live.changes_role


def test_a_switch_after_a_change_of_capacity_desired_declares_the_new_desired():
    result = plan(outputs(live("new", "b"), warm("old", "a", 10, desired=4), desired=3), "old")

    assert result.live.desired == 2


def test_a_release_turns_the_old_live_warm_at_the_capacity_aws_reports_for_it():
    result = plan(outputs(live("old")), live_desired=5)

    assert result.warm is not None
    assert result.warm.desired == 5
    assert result.warm_since == "2026-12-02T01:00:00Z"
    assert result.retires_at == "2026-12-02T02:00:00Z"


def test_a_carried_warm_release_keeps_when_it_left_traffic_and_when_it_retires():
    result = plan(outputs(live("new", "b"), warm("old", "a", 10)), "new")

    assert (result.warm_since, result.retires_at) == ("2026-12-02T00:50:00Z", "2026-12-02T01:50:00Z")


def test_a_canary_finish_scales_its_slot_in_place_to_the_live_capacity():
    result = plan(outputs(live("new"), canary_release=canary("can", "b")), "can", live_desired=4)

    assert result.live.desired == 4
    assert not result.live.created


def test_a_release_its_alarms_rolled_back_is_refused_naming_the_version_and_the_rollback():
    marker = RolledBack(at="2026-12-02T00:40:00Z", alarms=("fleet-staging-web-target-5xx-rate",), served_by="old")

    result = plan(outputs(live("new", "b"), warm("old", "a", 30)), "new", rolled_back={"new": marker})

    ((key, message),) = result.problems
    assert key == "services.web.image.version"
    assert "release new (version 2.0.0) was rolled back by its alarms" in message
    assert "fleetctl rollback staging --service web" in message


def test_a_release_an_operator_switched_away_from_is_refused_naming_the_command():
    marker = RolledBack(at="2026-12-02T00:40:00Z", served_by="old", by="fleetctl rollback --now")

    result = plan(outputs(live("new", "b"), warm("old", "a", 30)), "new", rolled_back={"new": marker})

    ((_, message),) = result.problems
    assert "release new (version 2.0.0) was rolled back at 2026-12-02T00:40:00Z (fleetctl rollback --now)" in message


def test_a_canary_its_alarms_rolled_back_is_refused_naming_the_canary_version():
    marker = RolledBack(at="2026-12-02T00:40:00Z")

    ((key, _),) = plan(outputs(live("new")), "new", canary_id="can", rolled_back={"can": marker}).problems

    assert key == "services.web.canary.image.version"


def test_pinning_the_warm_release_after_an_automatic_rollback_is_a_switch_not_refused():
    marker = RolledBack(at="2026-12-02T00:40:00Z")

    result = plan(outputs(live("new", "b"), warm("old", "a", 30)), "old", rolled_back={"new": marker})

    assert result.problems == ()
    assert result.transition == SWITCH
