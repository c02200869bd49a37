"""A release and a rollback within the warm window of a service served by its hostnames on the shared HTTPS
listener, under the engine's rules (tests/engine_model.py), fed by what the program declares: there the host rule
is the switch. After every step and every wave of deletes, web's clients reach healthy hosts only, and no fewer of
them than before (`assert_safe`)."""

from __future__ import annotations

import pytest

from tests.engine_model import Hosts
from tests.program.warm_fleet import (
    HOST_RULE,
    HOSTNAME_PROBES,
    SERVING,
    V1,
    V2,
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
    """Staging serving V1 by its hostname from slot a, settled."""
    return settled(Fleet(probes=HOSTNAME_PROBES, traffic_rule=HOST_RULE), hostnames=True)


def test_a_release_by_hostname_boots_in_a_free_slot_and_moves_the_host_rule_once_gated(serving):
    before = serving.hosts()

    update = serving.up(staging(V2, hostnames=True))

    assert update.succeeded, update.failure
    assert_safe(update, before)
    assert sorted(boots(update)) == sorted([group_name("b"), template_name("b")])
    order = [urn.rsplit("::", 1)[-1] for urn in update.steps]
    assert order.index(group_name("b")) < order.index(HOST_RULE)
    assert serving.hosts() == Hosts(serving=SERVING, warm=SERVING)


def test_a_rollback_by_hostname_within_the_window_changes_the_host_rule_and_boots_nothing(serving):
    serving.up(staging(V2, hostnames=True))
    before = serving.hosts()

    rollback = serving.up(staging(V1, hostnames=True))

    assert rollback.succeeded, rollback.failure
    assert_safe(rollback, before)
    assert boots(rollback) == []
    assert traffic_changes(serving, rollback) == [HOST_RULE]
    assert (serving.slot_of("release"), serving.slot_of("warm")) == ("a", "b")
