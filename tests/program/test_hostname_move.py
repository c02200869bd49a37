"""Moving live services from their own ports to hostnames, under the engine's rules (tests/engine_model.py): at
every step of every update, including each wave of deletes, the service's clients reach it; AWS never meets a
second listener on a port or a second rule at a priority; and nothing that serves is replaced.

The steps are those of docs/topology.md: the service on 80/443 first (the front door takes its listeners over in
place), then any service on a port of its own (hostnames beside its port, then without it)."""

from __future__ import annotations

import copy
from typing import Any

from fleet.resource_types import AUTOSCALING_GROUP, LAUNCH_TEMPLATE, LISTENER, TARGET_GROUP
from fleetctl.simulation import ACCOUNT, REGION
from tests.checkout import stack_file
from tests.engine_model import EngineModel, Update

CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
WEB = "www.example.com"
ADMIN = "admin.example.com"
PROBES = ((443, WEB), (80, WEB))
"""Web's clients: its DNS name points at the load balancer, so they send its name, on HTTPS or plain HTTP."""


def staging(*, web: dict[str, Any] | None = None, admin: dict[str, Any] | None = None) -> dict[str, Any]:
    """Staging with TLS, web changed by `web`, and a service admin (on 8081/8444, changed by `admin`) if given."""
    config = copy.deepcopy(stack_file("staging"))
    config["fleet:tls"] = {"certificateArn": CERTIFICATE}
    services = config["fleet:services"]
    base = copy.deepcopy(services["web"])
    services["web"].update(web or {})
    if admin is not None:
        services["admin"] = {**base, "publicPort": 8081, "httpsPort": 8444, **admin}
        services["admin"] = {key: value for key, value in services["admin"].items() if value is not None}
    return config


def steps_of(update: Update, *kinds: str) -> set[str]:
    """The names of the resources `update` took a step of one of `kinds` on."""
    return {urn.rsplit("::", 1)[-1] for urn, kind in update.steps.items() if kind in kinds}


def reached(update: Update, service: str, probes: tuple[tuple[int, str], ...]) -> None:
    """Every probe reached `service` after every step and every wave of deletes of `update`."""
    assert update.routes, "the update took no step"
    for step, answers in update.routes:
        for probe in probes:
            assert answers[probe] == service, f"after {step}, {probe} reached {answers[probe]}"


def test_the_service_on_80_and_443_moves_to_hostnames_in_one_update_with_a_route_at_every_step():
    model = EngineModel("staging")
    assert model.up(staging(), probes=PROBES).succeeded

    moved = model.up(staging(web={"hostnames": [WEB]}), probes=PROBES)

    assert moved.succeeded
    reached(moved, "web", PROBES)
    assert {"fleet-front-door-https", "fleet-front-door-http"} <= steps_of(moved, "update")
    assert not steps_of(moved, "replace")
    assert not [entry for entry in moved.deleted if entry.type == LISTENER]


def test_the_update_after_the_move_turns_unclaimed_hosts_to_404_and_web_keeps_its_route():
    model = EngineModel("staging")
    model.up(staging(), probes=PROBES)
    moved = staging(web={"hostnames": [WEB]})
    model.up(moved, probes=PROBES)

    settled = model.up(moved, probes=(*PROBES, (443, "other.example.com")))

    assert settled.succeeded
    reached(settled, "web", PROBES)
    assert settled.routes[-1][1][(443, "other.example.com")] is None
    assert steps_of(settled, "update") == {"fleet-front-door-https"}


def test_moving_replaces_no_release_and_no_target_group():
    model = EngineModel("staging")
    model.up(staging())

    moved = model.up(staging(web={"hostnames": [WEB]}))

    kinds = {
        kind
        for urn, kind in moved.steps.items()
        if any(t in urn for t in (AUTOSCALING_GROUP, LAUNCH_TEMPLATE, TARGET_GROUP))
    }
    assert kinds == {"same"}


def test_a_service_on_its_own_port_moves_beside_it_then_off_it_with_a_route_at_every_step():
    model = EngineModel("staging")
    model.up(staging(admin={}))
    model.up(staging(web={"hostnames": [WEB]}, admin={}))

    beside = model.up(
        staging(web={"hostnames": [WEB]}, admin={"hostnames": [ADMIN]}), probes=((8444, ADMIN), (443, ADMIN))
    )
    assert beside.succeeded
    reached(beside, "admin", ((8444, ADMIN),))
    assert beside.routes[-1][1][(443, ADMIN)] == "admin"

    # Clients move to https://admin.example.com; then the port goes.
    off = model.up(
        staging(web={"hostnames": [WEB]}, admin={"hostnames": [ADMIN], "publicPort": None, "httpsPort": None}),
        probes=((443, ADMIN),),
    )
    assert off.succeeded
    reached(off, "admin", ((443, ADMIN),))
    assert {entry.urn.rsplit("::", 1)[-1] for entry in off.deleted} == {
        "admin-listener",
        "admin-https-listener",
        "admin-traffic-rule",  # on its own listener, deleted before it (it depends on it)
    }


def test_web_keeps_its_route_while_another_service_is_added_and_removed_on_hostnames():
    model = EngineModel("staging")
    model.up(staging(web={"hostnames": [WEB]}))
    added = model.up(
        staging(web={"hostnames": [WEB]}, admin={"hostnames": [ADMIN], "publicPort": None, "httpsPort": None}),
        probes=PROBES,
    )
    removed = model.up(staging(web={"hostnames": [WEB]}), probes=PROBES)

    assert added.succeeded
    assert removed.succeeded
    reached(added, "web", PROBES)
    reached(removed, "web", PROBES)
    assert {entry.urn.rsplit("::", 1)[-1] for entry in removed.deleted} >= {"admin-host-rule"}


def test_the_last_service_on_hostnames_moves_back_to_80_and_443_with_a_route_at_every_step():
    model = EngineModel("staging")
    model.up(staging(web={"hostnames": [WEB]}))

    back = model.up(staging(), probes=PROBES)

    assert back.succeeded
    reached(back, "web", PROBES)
    assert {"web-listener", "web-https-listener"} <= steps_of(back, "update")
    assert not [entry for entry in back.deleted if entry.type == LISTENER]


def test_a_service_that_takes_its_first_wildcard_moves_its_rule_in_place_keeping_its_route():
    model = EngineModel("staging")
    model.up(staging(web={"hostnames": [WEB]}))
    model.up(staging(web={"hostnames": [WEB]}))

    widened = model.up(staging(web={"hostnames": [WEB, "*.example.org"]}), probes=((443, WEB),))

    assert widened.succeeded
    reached(widened, "web", ((443, WEB),))
    assert "web-host-rule" in steps_of(widened, "update")
    assert "web-host-rule" not in steps_of(widened, "replace", "create")


def test_a_new_service_whose_first_release_fails_keeps_its_rule_priority_on_the_retry():
    model = EngineModel("staging")
    model.up(staging(web={"hostnames": [WEB]}))
    model.up(staging(web={"hostnames": [WEB]}))
    config = staging(web={"hostnames": [WEB]}, admin={"hostnames": [ADMIN], "publicPort": None, "httpsPort": None})

    failed = model.up(config, healthy=False, probes=PROBES)
    retried = model.up(config, probes=PROBES)

    assert not failed.succeeded
    reached(failed, "web", PROBES)
    assert retried.succeeded
    reached(retried, "web", PROBES)
    assert "admin-host-rule" not in steps_of(retried, "replace", "update")


def test_renaming_a_service_on_a_hostname_keeps_the_hostname_served_by_healthy_hosts_at_every_step():
    model = EngineModel("staging")
    before = staging(web={"hostnames": [WEB]}, admin={"hostnames": [ADMIN], "publicPort": None, "httpsPort": None})
    model.up(before)
    model.up(before)
    after = copy.deepcopy(before)
    after["fleet:services"]["backoffice"] = after["fleet:services"].pop("admin")

    renamed = model.up(after, probes=((443, ADMIN),))

    assert renamed.succeeded
    for step, answers in renamed.routes:
        assert answers[(443, ADMIN)] in ("admin", "backoffice"), f"after {step}"
    assert renamed.routes[-1][1][(443, ADMIN)] == "backoffice"
    created = list(renamed.steps)
    assert created.index(next(u for u in created if u.endswith("::backoffice-host-rule"))) > created.index(
        next(u for u in created if u.endswith("::backoffice-release-group"))
    )


def test_turning_tls_on_for_services_on_hostnames_keeps_their_route_at_every_step():
    plain = copy.deepcopy(stack_file("staging"))
    plain["fleet:services"]["web"]["hostnames"] = [WEB]
    model = EngineModel("staging")
    model.up(plain)
    model.up(plain)
    with_tls = copy.deepcopy(plain)
    with_tls["fleet:tls"] = {"certificateArn": CERTIFICATE}

    turned_on = model.up(with_tls, probes=PROBES)

    # The HTTP listener turns into a redirect before the host rule exists on the HTTPS listener, but its own host
    # rule, replaced create-before-delete, is deleted only at the end: HTTP requests are served until then.
    assert turned_on.succeeded
    reached(turned_on, "web", ((80, WEB),))
    assert turned_on.routes[-1][1][(443, WEB)] == "web"
    assert "web-host-rule" in steps_of(turned_on, "replace")
