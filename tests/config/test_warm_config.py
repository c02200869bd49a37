"""`warmRollbackMinutes`: how long the previous release stays warm after a cut-over; not part of the release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from fleet import clock
from fleet.config import fleet_keys, parse_config
from fleet.release import identify
from tests.checkout import ROOT, stack_file
from tests.config.test_config import problems


def web_with(**keys: object):
    raw = fleet_keys(stack_file("staging"))
    raw["services"]["web"].update(keys)
    (service,) = parse_config(raw, "staging", ROOT).services
    return service


def test_the_warm_window_defaults_to_an_hour():
    assert web_with().warm_rollback_minutes == 60


def test_zero_turns_the_warm_window_off():
    assert web_with(warmRollbackMinutes=0).warm_rollback_minutes == 0


@pytest.mark.parametrize("minutes", [-1, 2881, 1.5, "60"])
def test_a_warm_window_outside_0_to_2880_minutes_is_refused_naming_the_key(minutes):
    raw = fleet_keys(stack_file("staging"))
    raw["services"]["web"]["warmRollbackMinutes"] = minutes

    assert any("fleet:services.web.warmRollbackMinutes" in line and "2880" in line for line in problems(raw))


def test_the_warm_window_is_not_part_of_the_release_identity():
    boot = (ROOT / "components" / "boot.sh").read_text()
    context = {"Dockerfile": b"FROM scratch\n"}

    assert identify(web_with(warmRollbackMinutes=5), boot, context) == identify(web_with(), boot, context)


def test_the_clock_answers_the_time_set_in_utc_and_the_real_time_again_once_cleared():
    at = datetime(2026, 12, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=9)))
    clock.set_now(at)
    try:
        assert clock.now() == at
        assert clock.now().tzinfo == UTC
        assert clock.iso(clock.now()) == "2026-12-01T18:04:05Z"
    finally:
        clock.set_now(None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_time_written_to_the_outputs_reads_back_as_the_same_utc_time():
    at = datetime(2026, 12, 2, 1, 23, 45, tzinfo=UTC)

    assert clock.parse_iso(clock.iso(at)) == at
