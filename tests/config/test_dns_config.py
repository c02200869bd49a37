"""`fleet:dns` and the certificate keys of `fleet:tls`: each bad value named by its key, before anything is declared."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.config import MAX_ADDITIONAL_CERTIFICATES, fleet_keys, parse_config
from fleet.config_rules import region_problems
from fleet.config_types import DnsConfig, TlsConfig
from fleet.dns import CERTIFICATE_NAME_QUOTA
from fleet.schema import describe
from tests.checkout import ROOT, stack_file
from tests.config.test_config import problems

ZONE = {"zoneId": "Z08393152MPN1ODRL6P3L", "zoneName": "example.com"}
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
OTHER_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


def staging(**keys: Any) -> dict[str, Any]:
    """Staging's keys with `keys`; with a zone or TLS, its web service is on web.example.com."""
    raw = {**fleet_keys(stack_file("staging")), **keys}
    if "dns" in keys or "tls" in keys:
        raw["services"]["web"]["hostnames"] = ["web.example.com"]
    return raw


def with_hostnames(**hostnames: list[str]) -> dict[str, Any]:
    """Staging in the zone with a service of these hostnames each (web's are given or web.example.com)."""
    raw = staging(dns=ZONE)
    web = raw["services"]["web"]
    for name, names in hostnames.items():
        raw["services"][name] = {**web, "hostnames": names}
    return raw


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


def test_twenty_services_on_hostnames_fit_one_managed_certificate_once_the_quota_is_raised():
    raw = with_hostnames(**{f"s{index}": [f"s{index}.example.com"] for index in range(19)})
    raw["dns"] = {**ZONE, "certificateNameQuota": 25}

    config = parse_config(raw, "staging", ROOT)

    assert config.managed_certificate
    assert config.dns is not None
    assert config.dns.certificate_name_quota == 25


@pytest.mark.parametrize(
    ("quota", "message"),
    [
        (0, "must be from 1 to 100; got 0"),
        (101, "must be from 1 to 100; got 101"),
        ("10", "must be a whole number from 1 to 100; got '10'"),
    ],
)
def test_a_certificate_name_quota_beyond_acms_limits_is_refused(quota, message):
    assert problems(staging(dns={**ZONE, "certificateNameQuota": quota})) == [
        f"fleet:dns.certificateNameQuota: {message}"
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


def test_a_hostname_outside_the_zone_is_refused_naming_the_service_key():
    assert problems(with_hostnames(api=["api.example.org", "*.api.example.com"], www=["www.examples.com"])) == [
        "fleet:services.api.hostnames: api.example.org is not in the zone example.com (fleet:dns.zoneName): fleet "
        "writes records only in that zone; use names ending in .example.com, or remove fleet:dns and point these "
        "names at the load balancer yourself",
        "fleet:services.www.hostnames: www.examples.com is not in the zone example.com (fleet:dns.zoneName): fleet "
        "writes records only in that zone; use names ending in .example.com, or remove fleet:dns and point these "
        "names at the load balancer yourself",
    ]


def test_the_zone_apex_and_wildcards_below_it_are_in_the_zone():
    config = parse_config(with_hostnames(api=["example.com", "*.example.com"]), "staging", ROOT)

    assert [service.hostnames for service in config.services] == [
        ("web.example.com",),
        ("example.com", "*.example.com"),
    ]


def test_a_zone_without_any_hostname_is_refused():
    raw = staging(dns=ZONE)
    del raw["services"]["web"]["hostnames"]

    assert problems(raw) == [
        "fleet:dns: no service has hostnames: the zone would get no record (and a managed certificate no name); set "
        "fleet:services.<name>.hostnames, or remove fleet:dns"
    ]


def test_as_many_names_as_acm_issues_on_one_certificate_are_accepted():
    raw = with_hostnames(**{f"s{index}": [f"s{index}.example.com"] for index in range(CERTIFICATE_NAME_QUOTA - 1)})

    assert parse_config(raw, "staging", ROOT).managed_certificate


def test_more_names_than_acm_issues_on_one_certificate_are_refused():
    raw = with_hostnames(**{f"s{index}": [f"s{index}.example.com"] for index in range(CERTIFICATE_NAME_QUOTA)})

    [problem] = problems(raw)
    assert problem.startswith(f"fleet:dns: the managed certificate would name {CERTIFICATE_NAME_QUOTA + 1} hostnames")
    assert (
        "ACM issues at most 10 names per certificate (dns.certificateNameQuota; ACM's default quota is 10, raised on "
        "request up to 100). Use a wildcard such as *.example.com"
    ) in problem


def test_names_a_wildcard_covers_do_not_count_against_the_certificate_quota():
    raw = with_hostnames(
        apps=["*.example.com"], **{f"s{index}": [f"s{index}.example.com"] for index in range(CERTIFICATE_NAME_QUOTA)}
    )

    assert parse_config(raw, "staging", ROOT).managed_certificate


def test_with_the_users_certificate_the_quota_of_a_managed_one_does_not_apply():
    raw = with_hostnames(**{f"s{index}": [f"s{index}.example.com"] for index in range(CERTIFICATE_NAME_QUOTA)})
    raw["tls"] = {"certificateArn": CERTIFICATE}

    assert not parse_config(raw, "staging", ROOT).managed_certificate


def test_hostnames_all_too_long_for_a_common_name_are_refused():
    long_name = f"{'a' * 53}.example.com"  # 65 characters
    raw = staging(dns=ZONE)
    raw["services"]["web"]["hostnames"] = [long_name]

    assert problems(raw) == [
        "fleet:dns: every hostname is longer than 64 characters, the longest a certificate's first name (its Common "
        "Name) may be: add a shorter hostname, or set tls.certificateArn"
    ]


def test_additional_certificates_without_a_service_on_hostnames_are_refused():
    raw = staging(tls={"certificateArn": CERTIFICATE, "additionalCertificateArns": [OTHER_CERTIFICATE]})
    del raw["services"]["web"]["hostnames"]

    assert problems(raw) == [
        "fleet:tls.additionalCertificateArns: needs a service with hostnames: these certificates are served by SNI "
        "on the shared HTTPS listener (port 443), which only services with fleet:services.<name>.hostnames use; a "
        "service on its own httpsPort presents tls.certificateArn alone"
    ]
