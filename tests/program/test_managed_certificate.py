"""The program with `fleet:dns`: one managed certificate validated in the zone, HTTPS only with the validated ARN,
and an alias record per hostname to the long-lived load balancer (under the mocks)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleet.resource_types import (
    ACM_CERTIFICATE,
    AUTOSCALING_GROUP,
    CERTIFICATE_VALIDATION,
    DNS_RECORD,
    LISTENER,
    LISTENER_CERTIFICATE,
    LOAD_BALANCER,
)
from fleetctl.simulation import ELB_ZONE_ID, mock_arn

ZONE = {"zoneId": "Z08393152MPN1ODRL6P3L", "zoneName": "example.com"}
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"


@pytest.fixture
def named(staging_config) -> dict[str, Any]:
    """Staging in the zone: web on web.example.com and *.web.example.com (the shared listeners), api on
    api.example.com and still on its own ports too (moving onto the shared listeners)."""
    config = copy.deepcopy(staging_config)
    web = config["fleet:services"]["web"]
    web["hostnames"] = ["web.example.com", "*.web.example.com"]
    config["fleet:services"]["api"] = {**copy.deepcopy(web), "hostnames": ["api.example.com"], "publicPort": 8081}
    config["fleet:services"]["api"]["httpsPort"] = 8444
    config["fleet:dns"] = ZONE
    return config


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def test_a_zone_without_a_certificate_arn_requests_one_certificate_for_every_hostname(program, named):
    run = program("staging", named)

    certificate = run.one(ACM_CERTIFICATE).inputs
    assert certificate["domainName"] == "*.web.example.com"
    assert certificate["subjectAlternativeNames"] == ["*.web.example.com", "api.example.com", "web.example.com"]
    assert certificate["validationMethod"] == "DNS"


def test_the_certificate_is_validated_with_one_record_per_validated_domain_in_the_zone(program, named):
    run = program("staging", named)

    validation_records = [r for r in run.of_type(DNS_RECORD) if r.inputs["type"] == "CNAME"]
    assert sorted(r.name for r in validation_records) == [
        "fleet-certificate-validation-api.example.com",
        "fleet-certificate-validation-web.example.com",
    ]
    assert {r.inputs["zoneId"] for r in validation_records} == {ZONE["zoneId"]}
    fqdns = run.one(CERTIFICATE_VALIDATION).inputs["validationRecordFqdns"]
    assert sorted(fqdns) == sorted(r.inputs["name"].removesuffix(".") for r in validation_records)


def test_https_listeners_present_the_certificate_only_through_its_validation(program, named):
    run = program("staging", named)

    validated = run.one(CERTIFICATE_VALIDATION)
    for name in ("fleet-front-door-https", "api-https-listener"):
        listener = run.one(LISTENER, name)
        assert listener.inputs["certificateArn"] == validated.resource_id
        assert "fleet-certificate-validation" in [urn_name(urn) for urn in listener.dependencies]
        assert "fleet-certificate" not in [urn_name(urn) for urn in listener.dependencies]


def test_each_hostname_gets_an_alias_a_record_to_the_load_balancer_and_no_aaaa(program, named):
    run = program("staging", named)

    aliases = {r.inputs["name"]: r for r in run.of_type(DNS_RECORD) if r.inputs["type"] != "CNAME"}
    assert sorted(aliases) == ["*.web.example.com", "api.example.com", "web.example.com"]
    for record in aliases.values():
        assert record.inputs["type"] == "A"
        assert record.inputs["zoneId"] == ZONE["zoneId"]
        assert record.inputs["aliases"] == [
            {"name": "fleet-alb-1234.eu-west-1.elb.amazonaws.com", "zoneId": ELB_ZONE_ID, "evaluateTargetHealth": True}
        ]


def test_the_records_depend_on_the_load_balancer_and_on_no_release(program, named):
    run = program("staging", named)
    balancer = run.one(LOAD_BALANCER).name
    groups = {group.name for group in run.of_type(AUTOSCALING_GROUP)}

    for record in run.of_type(DNS_RECORD):
        if record.inputs["type"] == "A":
            dependencies = {urn_name(urn) for urn in record.dependencies}
            assert balancer in dependencies
            assert not dependencies & groups
            assert record.parent == "fleet-dns"


def test_a_release_changes_no_record_and_not_the_certificate(update, program, named, with_service):
    before = program("staging", named)
    released = with_service(named, image={"version": "1.0.1", "build": "images/web"})

    after = update("staging", released, before)

    def names_and_certificates(run):
        kept = (DNS_RECORD, ACM_CERTIFICATE, CERTIFICATE_VALIDATION)
        return {(r.type, r.name): r.inputs for r in run.resources if r.type in kept}

    assert names_and_certificates(after) == names_and_certificates(before)


def test_the_dns_output_names_the_zone_each_hostnames_service_and_the_validated_certificate(program, named):
    run = program("staging", named)

    assert run.outputs["dns"] == {
        "zoneId": ZONE["zoneId"],
        "zoneName": "example.com",
        "hostnames": {"web.example.com": "web", "*.web.example.com": "web", "api.example.com": "api"},
        "certificateArn": run.one(CERTIFICATE_VALIDATION).resource_id,
    }


def test_with_a_certificate_arn_and_a_zone_the_records_are_written_and_no_certificate_requested(program, named):
    run = program("staging", {**named, "fleet:tls": {"certificateArn": CERTIFICATE}})

    assert run.of_type(ACM_CERTIFICATE) == []
    assert run.of_type(CERTIFICATE_VALIDATION) == []
    assert run.one(LISTENER, "fleet-front-door-https").inputs["certificateArn"] == CERTIFICATE
    assert len([r for r in run.of_type(DNS_RECORD) if r.inputs["type"] == "A"]) == 3
    assert "certificateArn" not in run.outputs["dns"]


def test_without_a_zone_no_record_and_no_certificate(program, named):
    del named["fleet:dns"]
    run = program("staging", {**named, "fleet:tls": {"certificateArn": CERTIFICATE}})

    assert run.of_type(DNS_RECORD) == []
    assert run.of_type(ACM_CERTIFICATE) == []
    assert "dns" not in run.outputs


def test_additional_certificates_are_served_by_sni_on_the_shared_https_listener(program, named):
    other = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    run = program(
        "staging", {**named, "fleet:tls": {"certificateArn": CERTIFICATE, "additionalCertificateArns": [other]}}
    )

    [attached] = run.of_type(LISTENER_CERTIFICATE)
    assert attached.inputs == {"listenerArn": mock_arn(LISTENER, "fleet-front-door-https"), "certificateArn": other}
    assert "fleet-front-door-https" in [urn_name(urn) for urn in attached.dependencies]
    assert attached.parent == "fleet-sni"
