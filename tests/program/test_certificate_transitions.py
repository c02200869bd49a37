"""A change of the managed certificate never takes HTTPS down (tests/engine_model.py: the engine's rules across
updates, the provider's ForceNew fields): the new certificate is requested and validated before any listener
presents it, and the old one is deleted only after no listener does, also when the validation fails."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleet.resource_types import ACM_CERTIFICATE, CERTIFICATE_VALIDATION, DNS_RECORD, LISTENER
from tests.engine_model import EngineModel, Update

ZONE = {"zoneId": "Z08393152MPN1ODRL6P3L", "zoneName": "example.com"}
HTTPS_LISTENER = "fleet-front-door-https"


@pytest.fixture
def named(staging_config) -> dict[str, Any]:
    config = copy.deepcopy(staging_config)
    web = config["fleet:services"]["web"]
    web["hostnames"] = ["web.example.com"]
    config["fleet:dns"] = ZONE
    return config


@pytest.fixture
def renamed(named) -> dict[str, Any]:
    """The same stack with a second hostname: the certificate's names change, so it is replaced."""
    config = copy.deepcopy(named)
    config["fleet:services"]["web"]["hostnames"] = ["web.example.com", "www.example.com"]
    return config


def entries(model: EngineModel, type_: str, name: str | None = None):
    return [e for e in model.state if e.type == type_ and (name is None or e.urn.endswith(f"::{name}"))]


def presented(model: EngineModel) -> str:
    """The certificate ARN the HTTPS listener presents, as the state records its inputs."""
    [listener] = entries(model, LISTENER, HTTPS_LISTENER)
    return str(listener.inputs["certificateArn"])


def validated(model: EngineModel) -> set[str]:
    """ARNs of certificates the state holds a completed validation of: issued, so a listener may present them."""
    return {str(entry.inputs["certificateArn"]) for entry in entries(model, CERTIFICATE_VALIDATION)}


def of_type(urn: str, type_: str) -> bool:
    """`urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>` names a resource of `type_`."""
    return urn.split("::")[2].rsplit("$", 1)[-1] == type_


def step_kinds(update: Update, type_: str) -> list[str]:
    return [kind for urn, kind in update.steps.items() if of_type(urn, type_)]


def test_a_new_name_replaces_the_certificate_create_before_delete_and_moves_the_listener_in_place(named, renamed):
    model = EngineModel("staging")
    model.up(named)
    old_arn = presented(model)

    update = model.up(renamed)

    assert update.succeeded
    assert step_kinds(update, ACM_CERTIFICATE) == ["replace"]
    assert step_kinds(update, CERTIFICATE_VALIDATION) == ["replace"]
    assert update.steps[next(urn for urn in update.steps if urn.endswith(f"::{HTTPS_LISTENER}"))] == "update"
    assert presented(model) != old_arn
    assert presented(model) in validated(model)
    deleted = [entry.type for entry in update.deleted]
    assert ACM_CERTIFICATE in deleted
    assert CERTIFICATE_VALIDATION in deleted


def test_the_listener_moves_only_after_the_new_certificate_is_validated(named, renamed):
    model = EngineModel("staging")
    model.up(named)

    update = model.up(renamed)

    order = list(update.steps)
    validation = next(urn for urn in order if of_type(urn, CERTIFICATE_VALIDATION))
    listener = next(urn for urn in order if urn.endswith(f"::{HTTPS_LISTENER}"))
    certificate = next(urn for urn in order if of_type(urn, ACM_CERTIFICATE))
    assert order.index(certificate) < order.index(validation) < order.index(listener)


def test_the_validation_record_of_a_kept_name_is_not_replaced(named, renamed):
    model = EngineModel("staging")
    model.up(named)

    update = model.up(renamed)

    records = {urn.rsplit("::", 1)[-1]: kind for urn, kind in update.steps.items() if of_type(urn, DNS_RECORD)}
    assert records["fleet-certificate-validation-web.example.com"] == "same"
    assert records["fleet-certificate-validation-www.example.com"] == "create"
    assert records["fleet-dns-web.example.com-a"] == "same"


def test_a_validation_that_never_completes_leaves_the_old_certificate_on_the_listener(named, renamed):
    model = EngineModel("staging")
    model.up(named)
    old_arn = presented(model)

    failed = model.up(renamed, failing=frozenset({"fleet-certificate-validation"}))

    assert not failed.succeeded
    assert failed.deleted == []
    assert presented(model) == old_arn
    assert old_arn in validated(model)
    assert len(entries(model, ACM_CERTIFICATE)) == 2  # the old one, pending delete, and the new one, unvalidated


def test_the_retry_after_a_failed_validation_moves_the_listener_then_deletes_the_old_certificate(named, renamed):
    model = EngineModel("staging")
    model.up(named)
    old_arn = presented(model)
    model.up(renamed, failing=frozenset({"fleet-certificate-validation"}))

    retry = model.up(renamed)

    assert retry.succeeded
    assert presented(model) != old_arn
    assert presented(model) in validated(model)
    assert old_arn not in validated(model)
    [certificate] = entries(model, ACM_CERTIFICATE)
    assert not certificate.pending_delete
    assert ACM_CERTIFICATE in [entry.type for entry in retry.deleted]


def test_a_release_touches_neither_the_certificate_nor_the_records(named, with_service):
    model = EngineModel("staging")
    model.up(named)

    update = model.up(with_service(named, image={"version": "1.0.1", "build": "images/web"}))

    assert update.succeeded
    kept = (ACM_CERTIFICATE, CERTIFICATE_VALIDATION, DNS_RECORD)
    assert {kind for type_ in kept for kind in step_kinds(update, type_)} == {"same"}


@pytest.fixture
def own_ports(staging_config) -> dict[str, Any]:
    """web on web.example.com through the shared listeners and on its own port 8080, HTTP only."""
    config = copy.deepcopy(staging_config)
    config["fleet:services"]["web"].update(hostnames=["web.example.com"], publicPort=8080)
    return config


PROBES = ((80, "web.example.com"), (8080, "web.example.com"))


def test_turning_on_a_managed_certificate_keeps_every_http_route_answering_at_every_step(own_ports):
    model = EngineModel("staging")
    model.up(own_ports)
    secured = copy.deepcopy(own_ports)
    secured["fleet:services"]["web"]["httpsPort"] = 8443
    secured["fleet:dns"] = ZONE

    update = model.up(secured, probes=PROBES)

    assert update.succeeded
    gaps = [(step, answers) for step, answers in update.routes if set(answers.values()) != {"web"}]
    assert gaps == []
    assert model.serves(8080, "web.example.com") == "web"  # through the redirect to 8443


def test_a_managed_certificate_that_never_validates_leaves_http_serving(own_ports):
    model = EngineModel("staging")
    model.up(own_ports)
    secured = copy.deepcopy(own_ports)
    secured["fleet:services"]["web"]["httpsPort"] = 8443
    secured["fleet:dns"] = ZONE

    failed = model.up(secured, failing=frozenset({"fleet-certificate-validation"}), probes=PROBES)

    assert not failed.succeeded
    assert [answers for _, answers in failed.routes if set(answers.values()) != {"web"}] == []
    assert {probe: model.serves(*probe) for probe in PROBES} == dict.fromkeys(PROBES, "web")
