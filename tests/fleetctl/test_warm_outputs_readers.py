"""The fleetctl readers of the warm window (`status`, `rollback`, the audit) read what the program really exports:
the outputs of a release run under the SDK's mocks (the program's own tests pin the values; these, that fleetctl
understands them)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from fleet.outputs import parse_service
from fleet.resource_types import LISTENER_RULE, TARGET_GROUP
from fleetctl.audit_facts import live_releases
from fleetctl.commands import status as status_command
from fleetctl.commands.rollback import release_to_pin
from fleetctl.simulation import mock_arn
from fleetctl.warm import Window
from tests.checkout import stack_file

T0 = datetime(2026, 12, 2, 1, 0, 0, tzinfo=UTC)


def version(number: str) -> dict:
    config = copy.deepcopy(stack_file("staging"))
    config["fleet:services"]["web"]["image"]["version"] = number
    return config


@pytest.fixture
def released(program, update):
    """1.0.1 released ten minutes after 1.0.0: live in slot b, 1.0.0 warm in slot a."""
    first = program("staging", version("1.0.0"), now=T0)
    return update("staging", version("1.0.1"), first, now=T0 + timedelta(minutes=10))


def test_status_reads_the_live_and_warm_slots_and_the_traffic_rule_the_program_exports(released):
    web = parse_service(released.outputs["services"]["web"], "web")

    records = status_command._records("web", web)

    assert {role: (release.slot, arn) for role, (release, arn) in records.items()} == {
        "live": ("b", mock_arn(TARGET_GROUP, "web-tgb")),
        "warm": ("a", mock_arn(TARGET_GROUP, "web-tg")),
    }
    assert web.traffic_rule_arn == mock_arn(LISTENER_RULE, "web-traffic-rule")


def test_the_window_the_readers_judge_is_the_one_the_program_records(released):
    web = parse_service(released.outputs["services"]["web"], "web")
    assert web.warm is not None

    inside = Window.of(web.warm, T0 + timedelta(minutes=69), "services.web.warm")
    after = Window.of(web.warm, T0 + timedelta(minutes=71), "services.web.warm")

    assert (inside.open, after.open, after.instance_hours) == (True, False, pytest.approx(2 / 60))


def test_the_release_rollback_pins_by_default_is_the_warm_one(released):
    web = parse_service(released.outputs["services"]["web"], "web")
    assert web.warm is not None

    entry, _ = release_to_pin(web, None, "services.web.history")

    assert entry.release_id == web.warm.release_id


def test_the_audit_reads_the_warm_release_beside_the_live_one(released):
    outputs = {**released.outputs, "stack": "staging"}

    releases = live_releases(outputs, "staging")

    assert [(release.track, release.target_group_arn) for release in releases] == [
        ("live", mock_arn(TARGET_GROUP, "web-tgb")),
        ("warm", mock_arn(TARGET_GROUP, "web-tg")),
    ]
