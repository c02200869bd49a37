"""The managed certificate on its own: one ACM certificate, one validation record per validated domain, and an ARN
that exists only once the certificate is validated."""

from __future__ import annotations

import pulumi_aws as aws

from components.certificate import Certificate, CertificateArgs
from fleet.dns import certificate_names
from fleet.resource_types import ACM_CERTIFICATE, CERTIFICATE_VALIDATION, DNS_RECORD, LISTENER_CERTIFICATE
from fleetctl.simulation import validation_option
from tests.components.harness import declare

ZONE = "Z08393152MPN1ODRL6P3L"


def managed(*hostnames: str):
    names = certificate_names(hostnames)
    return declare(lambda: Certificate("fleet-cert", CertificateArgs(names=names, zone_id=ZONE, tags={})).validated_arn)


def test_one_dns_validated_certificate_names_the_first_name_and_lists_every_name_as_acm_stores_them():
    run = managed("web.example.com", "api.example.com")

    certificate = run.one(ACM_CERTIFICATE)
    assert certificate.inputs["domainName"] == "api.example.com"
    assert certificate.inputs["subjectAlternativeNames"] == ["api.example.com", "web.example.com"]
    assert certificate.inputs["validationMethod"] == "DNS"


def test_each_name_gets_the_validation_record_acm_asks_for_in_the_zone():
    run = managed("web.example.com", "api.example.com")

    records = {record.name: record.inputs for record in run.of_type(DNS_RECORD)}
    assert set(records) == {"fleet-cert-validation-api.example.com", "fleet-cert-validation-web.example.com"}
    option = validation_option("web.example.com")
    assert records["fleet-cert-validation-web.example.com"] == {
        "zoneId": ZONE,
        "name": option["resourceRecordName"],
        "type": "CNAME",
        "records": [option["resourceRecordValue"]],
        "ttl": 60,
        "allowOverwrite": True,
    }


def test_a_wildcard_and_its_apex_share_one_validation_record():
    run = managed("*.example.com", "example.com")

    assert [record.name for record in run.of_type(DNS_RECORD)] == ["fleet-cert-validation-example.com"]


def test_a_name_a_wildcard_covers_is_not_listed_again():
    run = managed("*.example.com", "api.example.com", "example.com")

    certificate = run.one(ACM_CERTIFICATE).inputs
    assert certificate["subjectAlternativeNames"] == ["*.example.com", "example.com"]


def test_the_validation_waits_for_every_record_and_yields_the_certificate_arn():
    run = managed("web.example.com", "api.example.com")

    validation = run.one(CERTIFICATE_VALIDATION).inputs
    assert validation["certificateArn"] == run.one(ACM_CERTIFICATE).resource_id
    assert sorted(validation["validationRecordFqdns"]) == sorted(
        validation_option(name)["resourceRecordName"].removesuffix(".")
        for name in ("api.example.com", "web.example.com")
    )
    assert run.outputs["result"] == run.one(ACM_CERTIFICATE).resource_id
    assert run.one(CERTIFICATE_VALIDATION).resource_id == run.outputs["result"]


def test_a_name_too_long_for_a_common_name_goes_among_the_alternative_names():
    long_name = f"{'a' * 60}.example.com"

    certificate = managed(long_name, "web.example.com").one(ACM_CERTIFICATE).inputs

    assert certificate["domainName"] == "web.example.com"
    assert certificate["subjectAlternativeNames"] == [long_name, "web.example.com"]


def test_a_certificate_is_replaced_create_before_delete():
    certificate = managed("web.example.com").one(ACM_CERTIFICATE)

    assert not certificate.registration.delete_before_replace
    assert certificate.parent == "fleet-cert"


def test_what_takes_the_validated_arn_waits_for_the_validation_not_only_the_certificate():
    def build():
        certificate = Certificate("fleet-cert", CertificateArgs(names=("web.example.com",), zone_id=ZONE, tags={}))
        return aws.lb.ListenerCertificate(
            "user", listener_arn="arn:aws:elasticloadbalancing:listener", certificate_arn=certificate.validated_arn
        ).certificate_arn

    run = declare(build)

    dependencies = run.one(LISTENER_CERTIFICATE, "user").dependencies
    assert [urn.rsplit("::", 1)[-1] for urn in dependencies] == ["fleet-cert-validation"]
    assert CERTIFICATE_VALIDATION in dependencies[0]
