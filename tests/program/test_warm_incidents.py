"""When a warm release is not what the stack file says, under the engine's rules (tests/engine_model.py), fed by
what the program declares: a switch to a warm release that got sick (it never takes traffic while unhealthy; the
retry boots it afresh behind the gate), and the aftermath of an automatic rollback (`fleetctl watch` moved the
traffic outside Pulumi and marked the bad release: the next `up` with the bad release is refused, the one that pins
the warm release agrees with AWS). After every step and every wave of deletes, the service's clients reach healthy
hosts only (`assert_safe`)."""

from __future__ import annotations

import pytest

from tests.engine_model import Hosts
from tests.program import warm_fleet
from tests.program.warm_fleet import (
    SERVING,
    TRAFFIC_RULE,
    V1,
    V2,
    Fleet,
    assert_safe,
    boots,
    group_name,
    staging,
)


@pytest.fixture
def released() -> Fleet:
    """V2 live in slot b, V1 warm in slot a."""
    return warm_fleet.released()


@pytest.fixture
def sick(released: Fleet) -> Fleet:
    """The warm release's hosts fail their health checks."""
    released.model.set_healthy(group_name("a"), False)
    return released


@pytest.fixture
def rolled_back(released: Fleet) -> Fleet:
    """V2's alarms fired: `fleetctl watch` switched the traffic back to V1, outside Pulumi, and marked V2."""
    released.roll_back_outside_pulumi()
    return released


def test_a_switch_to_a_sick_warm_release_fails_its_wait_and_moves_no_traffic(sick):
    before = sick.hosts()

    switch = sick.up(staging(V1))

    assert not switch.succeeded
    assert_safe(switch, before)
    assert TRAFFIC_RULE not in {urn.rsplit("::", 1)[-1] for urn, step in switch.steps.items() if step != "same"}
    assert sick.group("a").init_errors
    assert sick.slot_of("release") == "b"


def test_the_retry_of_a_switch_to_a_sick_warm_release_boots_it_afresh_before_traffic_moves(sick):
    sick.up(staging(V1))
    before = sick.hosts()

    retry = sick.up(staging(V1))

    assert retry.succeeded, retry.failure
    assert_safe(retry, before)
    assert group_name("a") in boots(retry)
    assert sick.slot_of("release") == "a"
    assert sick.hosts().serving == SERVING


def test_a_warm_release_healthy_again_is_switched_to_without_a_boot(sick):
    sick.model.set_healthy(group_name("a"), True)
    before = sick.hosts()

    switch = sick.up(staging(V1))

    assert switch.succeeded, switch.failure
    assert_safe(switch, before)
    assert boots(switch) == []


def test_after_an_automatic_rollback_the_bad_release_is_refused_and_nothing_changes(rolled_back):
    refused = rolled_back.up(staging(V2))

    assert not refused.succeeded
    assert refused.steps == {}
    assert refused.failure is not None
    assert "services.web.image.version" in refused.failure
    assert "rolled back by its alarms" in refused.failure
    assert rolled_back.model.serves(80, "web.example.com") == "web"
    assert rolled_back.hosts() == Hosts(serving=SERVING, warm=SERVING)


def test_after_an_automatic_rollback_pinning_the_warm_release_agrees_with_what_aws_has(rolled_back):
    before = rolled_back.hosts()

    pinned = rolled_back.up(staging(V1))

    assert pinned.succeeded, pinned.failure
    assert_safe(pinned, before)
    assert boots(pinned) == []
    rule = rolled_back.resource(TRAFFIC_RULE)
    assert (rule.actual, rolled_back.group("a").actual) == (rule.inputs, rolled_back.group("a").inputs)
    assert rolled_back.slot_of("release") == "a"


def test_a_refresh_between_a_failed_switch_and_its_retry_keeps_the_sick_release_out_of_traffic(sick):
    sick.up(staging(V1))
    sick.model.refresh()
    before = sick.hosts()

    retry = sick.up(staging(V1))

    assert retry.succeeded, retry.failure
    assert_safe(retry, before)
    assert group_name("a") in boots(retry)
    assert sick.slot_of("release") == "a"


def test_after_an_automatic_rollback_and_a_refresh_pinning_the_warm_release_boots_nothing(rolled_back):
    rolled_back.model.refresh()
    before = rolled_back.hosts()

    pinned = rolled_back.up(staging(V1))

    assert pinned.succeeded, pinned.failure
    assert_safe(pinned, before)
    assert boots(pinned) == []


def test_a_release_that_replaces_a_sick_live_release_succeeds_and_records_the_new_roles():
    fleet = Fleet()
    for version in (V1, V1):
        fleet.up(staging(version))
    fleet.model.set_healthy(group_name("a"), False)

    update = fleet.up(staging(V2))

    assert update.succeeded, update.failure
    assert (fleet.slot_of("release"), fleet.slot_of("warm")) == ("b", "a")
    assert fleet.hosts() == Hosts(serving=SERVING, warm=0)
