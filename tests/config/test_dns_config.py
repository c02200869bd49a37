"""`fleet:dns` and the certificate keys of `fleet:tls`: each bad value named by its key, before anything is declared."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.config import MAX_ADDITIONAL_CERTIFICATES, DnsConfig, TlsConfig, fleet_keys, parse_config, region_problems
from fleet.schema import describe
from tests.checkout import ROOT, stack_file
from tests.config.test_config import problems

ZONE = {"zoneId": "Z08393152MPN1ODRL6P3L", "zoneName": "example.com"}
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
OTHER_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


def staging(**keys: Any) -> dict[str, Any]:
    return {**fleet_keys(stack_file("staging")), **keys}


def test_a_zone_alone_turns_on_https_with_a_managed_certificate():
    config = parse_config(staging(dns=ZONE), "staging", ROOT)

    assert config.dns == DnsConfig(zone_id="Z08393152MPN1ODRL6P3L", zone_name="example.com")
    assert (config.tls, config.managed_certificate, config.https) == (None, True, True)


def test_a_zone_with_a_certificate_arn_uses_that_certificate():
    config = parse_config(staging(dns=ZONE, tls={"certificateArn": CERTIFICATE}), "staging", ROOT)

    assert (config.managed_certificate, config.https) == (False, True)


def test_without_zone_or_certificate_the_stack_speaks_http():
    config = parse_config(staging(), "staging", ROOT)

    assert (config.dns, config.managed_certificate, config.https) == (None, False, False)


@pytest.mark.parametrize(
    "zone_id",
    ["z08393152MPN1", "/hostedzone/Z08393152MPN1", "Z", "Z" + "A" * 32, "Z0839-3152", 8393152, "X08393152MPN1"],
)
def test_a_zone_id_of_the_wrong_shape_is_refused_naming_the_key(zone_id):
    assert problems(staging(dns={**ZONE, "zoneId": zone_id})) == [
        "fleet:dns.zoneId: must be a Route 53 hosted zone id: Z and 1-31 upper-case letters or digits, such as "
        f"Z08393152MPN1; got {describe(zone_id)}"
    ]


def test_the_longest_zone_id_route53_allows_is_accepted():
    # botocore route53 `ResourceId`: max 32.
    config = parse_config(staging(dns={**ZONE, "zoneId": "Z" + "A" * 31}), "staging", ROOT)

    assert config.dns is not None
    assert len(config.dns.zone_id) == 32


@pytest.mark.parametrize("zone_name", ["Example.com", "example.com.", "example", "-a.example.com", "a..com"])
def test_a_zone_name_that_is_no_lower_case_domain_is_refused_naming_the_key(zone_name):
    assert problems(staging(dns={**ZONE, "zoneName": zone_name})) == [
        "fleet:dns.zoneName: must be the hosted zone's domain name in lower case, without a trailing dot, such as "
        f"example.com; got {zone_name!r}"
    ]


def test_a_zone_needs_its_name_and_its_id():
    assert problems(staging(dns={})) == [
        "fleet:dns.zoneId: must be a Route 53 hosted zone id: Z and 1-31 upper-case letters or digits, such as "
        "Z08393152MPN1; got nothing",
        "fleet:dns.zoneName: is required: the hosted zone's domain name, such as example.com (hostnames are "
        "checked against it)",
    ]


def test_tls_without_a_certificate_or_a_zone_is_refused_naming_the_key():
    assert problems(staging(tls={})) == [
        "fleet:tls.certificateArn: is required: the ACM certificate the HTTPS listeners present. Without it, set "
        "fleet:dns.zoneId and zoneName and fleet requests and validates one for the stack's hostnames"
    ]


def test_additional_certificates_are_read_in_order():
    config = parse_config(
        staging(tls={"certificateArn": CERTIFICATE, "additionalCertificateArns": [OTHER_CERTIFICATE]}),
        "staging",
        ROOT,
    )

    assert config.tls == TlsConfig(certificate_arn=CERTIFICATE, additional_certificate_arns=(OTHER_CERTIFICATE,))


@pytest.mark.parametrize(
    "arns",
    [
        ["arn:aws:iam::123456789012:server-certificate/web"],
        [OTHER_CERTIFICATE, OTHER_CERTIFICATE],
        [],
        OTHER_CERTIFICATE,
        [OTHER_CERTIFICATE[:-1] + "g"] * 1,
        [f"{OTHER_CERTIFICATE[:-12]}{index:012d}" for index in range(MAX_ADDITIONAL_CERTIFICATES + 1)],
    ],
)
def test_additional_certificates_of_the_wrong_shape_are_refused_naming_the_key(arns):
    [problem] = problems(staging(tls={"certificateArn": CERTIFICATE, "additionalCertificateArns": arns}))

    assert problem.startswith(
        "fleet:tls.additionalCertificateArns: must be a list of distinct ACM certificate ARNs in the stack's region "
        f"(arn:aws:acm:<region>:<12 digits>:certificate/<id>), at most {MAX_ADDITIONAL_CERTIFICATES}; got "
    )


def test_as_many_additional_certificates_as_a_load_balancer_serves_are_accepted():
    arns = [f"{OTHER_CERTIFICATE[:-12]}{index:012d}" for index in range(MAX_ADDITIONAL_CERTIFICATES)]

    config = parse_config(staging(tls={"certificateArn": CERTIFICATE, "additionalCertificateArns": arns}), "staging")

    assert config.tls is not None
    assert len(config.tls.additional_certificate_arns) == 25


def test_an_additional_certificate_in_another_region_is_refused_naming_its_place_in_the_list():
    elsewhere = OTHER_CERTIFICATE.replace("eu-west-1", "us-east-1")
    config = parse_config(
        staging(tls={"certificateArn": CERTIFICATE, "additionalCertificateArns": [OTHER_CERTIFICATE, elsewhere]}),
        "staging",
    )

    assert region_problems(config, "eu-west-1") == [
        (
            "tls.additionalCertificateArns[1]",
            "is in us-east-1, but the stack is in eu-west-1 (aws:region): use one in eu-west-1",
        )
    ]


def test_additional_certificates_beside_a_managed_one_are_refused():
    assert problems(staging(dns=ZONE, tls={"additionalCertificateArns": [OTHER_CERTIFICATE]})) == [
        "fleet:tls.additionalCertificateArns: needs tls.certificateArn: a managed certificate (fleet:dns.zoneId "
        "without tls.certificateArn) already covers every hostname of the stack; remove these or set "
        "tls.certificateArn"
    ]


def test_an_https_port_with_a_managed_certificate_is_accepted():
    raw = staging(dns=ZONE)
    raw["services"]["web"]["httpsPort"] = 8443

    (web,) = parse_config(raw, "staging", ROOT).services

    assert web.https_port == 8443
