"""`fleetctl audit`'s DNS findings against a real moto_server: records that point elsewhere, names no rule serves."""

from __future__ import annotations

import pytest

from fleetctl.audit_rules import Finding
from tests.audit.moto_fleet import Fleet
from tests.audit.test_audit import findings

ZONE = "example.com"


@pytest.fixture
def named(fleet: Fleet) -> Fleet:
    """The fleet with a zone, its service on api.example.com and *.apps.example.com, each served and pointed at."""
    fleet.add_dns(ZONE, ["api.example.com", "*.apps.example.com"])
    return fleet


def kinds(found: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.kind, f.service, f.resource) for f in found]


def test_a_zone_whose_names_point_at_the_load_balancer_and_are_served_has_no_finding(named, capsys):
    assert findings(named, capsys) == (0, [])


def test_a_record_pointing_at_another_load_balancer_is_reported(named, capsys):
    named.alias("api.example.com", "other-1.eu-west-1.elb.amazonaws.com", "Z32O12XQLNTSW2")

    code, found = findings(named, capsys)

    assert code == 1
    assert kinds(found) == [("dns-record-elsewhere", "web", "api.example.com")]
    assert found[0].detail == (
        "A record points at other-1.eu-west-1.elb.amazonaws.com, not at the stack's load balancer "
        f"{named.load_balancer_dns.lower()}"
    )


def test_a_missing_record_is_reported(named, capsys):
    named.route53.change_resource_record_sets(
        HostedZoneId=named.zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "DELETE",
                    "ResourceRecordSet": next(
                        record
                        for record in named.route53.list_resource_record_sets(HostedZoneId=named.zone_id)[
                            "ResourceRecordSets"
                        ]
                        if record["Name"].startswith("api.")
                    ),
                }
            ]
        },
    )

    code, found = findings(named, capsys)

    assert (code, kinds(found)) == (1, [("missing-dns-record", "web", "api.example.com")])


def test_a_wildcard_hostname_is_matched_as_route53_lists_it(named, capsys):
    listed = {
        r["Name"] for r in named.route53.list_resource_record_sets(HostedZoneId=named.zone_id)["ResourceRecordSets"]
    }

    assert findings(named, capsys) == (0, [])
    assert any("apps.example.com" in name for name in listed)


def test_a_record_aliasing_the_load_balancer_that_no_rule_serves_is_reported(named, capsys):
    lb_zone = named.elbv2.describe_load_balancers()["LoadBalancers"][0]["CanonicalHostedZoneId"]
    named.alias("old.example.com", named.load_balancer_dns, lb_zone)

    code, found = findings(named, capsys)

    assert code == 1
    assert kinds(found) == [("unserved-hostname", "-", "old.example.com")]
    assert found[0].detail == "points at the load balancer but no listener rule matches it: requests get the fixed 404"


def test_a_hostname_of_the_stack_that_no_rule_serves_is_reported(fleet, capsys):
    fleet.add_dns(ZONE, ["api.example.com"])
    fleet.dns = {**(fleet.dns or {}), "hostnames": {"api.example.com": "web", "www.example.com": "web"}}
    lb_zone = fleet.elbv2.describe_load_balancers()["LoadBalancers"][0]["CanonicalHostedZoneId"]
    fleet.alias("www.example.com", fleet.load_balancer_dns, lb_zone)
    fleet.write_export()

    code, found = findings(fleet, capsys)

    assert (code, kinds(found)) == (1, [("unserved-hostname", "web", "www.example.com")])
    assert found[0].detail.startswith("is a hostname of the stack but no listener rule matches it")


def test_a_zone_name_that_is_not_the_zones_is_reported(named, capsys):
    named.dns = {**(named.dns or {}), "zoneName": "example.org"}
    named.write_export()

    code, found = findings(named, capsys)

    assert ("zone-name-mismatch", "-", named.zone_id) in kinds(found)
    assert code == 1


def test_a_zone_that_is_gone_is_reported(named, capsys):
    named.dns = {**(named.dns or {}), "zoneId": "Z0000000000000NOZONE"}
    named.write_export()

    code, found = findings(named, capsys)

    assert (code, kinds(found)) == (1, [("missing-zone", "-", "Z0000000000000NOZONE")])


def test_https_presenting_an_issued_certificate_for_every_hostname_has_no_finding(named, capsys):
    named.add_https(named.imported_certificate("api.example.com", "*.apps.example.com"))

    assert findings(named, capsys) == (0, [])


def test_a_hostname_no_certificate_on_the_https_listener_names_is_reported(named, capsys):
    listener = named.add_https(named.imported_certificate("api.example.com"))
    named.elbv2.add_listener_certificates(
        ListenerArn=listener, Certificates=[{"CertificateArn": named.imported_certificate("*.example.com")}]
    )

    code, found = findings(named, capsys)

    # *.example.com names one label below example.com: not x.apps.example.com, so not *.apps.example.com either.
    assert (code, kinds(found)) == (1, [("uncovered-hostname", "web", "*.apps.example.com")])
    assert found[0].detail.startswith("no issued certificate on the HTTPS listener names it")


def test_a_certificate_acm_has_not_issued_is_reported(named, capsys):
    acm = named.session.client("acm")
    pending = acm.request_certificate(
        DomainName="api.example.com", SubjectAlternativeNames=["*.apps.example.com"], ValidationMethod="DNS"
    )["CertificateArn"]
    named.add_https(pending)

    code, found = findings(named, capsys)

    assert code == 1
    assert ("certificate-not-issued", "-", pending) in kinds(found)
    assert "presents a certificate ACM reports as PENDING_VALIDATION" in found[0].detail
