"""The stack's DNS records on their own: an alias A record per hostname to the load balancer, AAAA only for a
dual-stack one."""

from __future__ import annotations

import pytest

from components.dns_records import DnsRecords, DnsRecordsArgs
from components.load_balancer import IP_ADDRESS_TYPE
from fleet.resource_types import DNS_RECORD
from fleetctl.simulation import ELB_ZONE_ID
from tests.components.harness import declare

ZONE = "Z08393152MPN1ODRL6P3L"
LOAD_BALANCER = "fleet-alb-1234.eu-west-1.elb.amazonaws.com"


def records(*hostnames: str, ip_address_type: str = IP_ADDRESS_TYPE):
    args = DnsRecordsArgs(
        hostnames=hostnames,
        zone_id=ZONE,
        load_balancer_dns_name=LOAD_BALANCER,
        load_balancer_zone_id=ELB_ZONE_ID,
        ip_address_type=ip_address_type,
    )
    return declare(lambda: DnsRecords("fleet-dns", args).fqdns)


def test_each_hostname_is_an_alias_a_record_of_the_load_balancer_in_the_zone():
    run = records("api.example.com", "*.apps.example.com")

    assert {record.name: record.inputs for record in run.of_type(DNS_RECORD)} == {
        f"fleet-dns-{hostname}-a": {
            "zoneId": ZONE,
            "name": hostname,
            "type": "A",
            "aliases": [{"name": LOAD_BALANCER, "zoneId": ELB_ZONE_ID, "evaluateTargetHealth": True}],
        }
        for hostname in ("api.example.com", "*.apps.example.com")
    }
    assert run.outputs["result"] == ["api.example.com", "*.apps.example.com"]


def test_the_load_balancer_today_is_ipv4_only_so_no_aaaa_record():
    run = records("api.example.com")

    assert IP_ADDRESS_TYPE == "ipv4"
    assert [record.inputs["type"] for record in run.of_type(DNS_RECORD)] == ["A"]


@pytest.mark.parametrize("ip_address_type", ["dualstack", "dualstack-without-public-ipv4"])
def test_a_dual_stack_load_balancer_gets_an_aaaa_alias_too(ip_address_type):
    run = records("api.example.com", ip_address_type=ip_address_type)

    aaaa = run.one(DNS_RECORD, "fleet-dns-api.example.com-aaaa").inputs
    assert (aaaa["type"], aaaa["aliases"][0]["name"]) == ("AAAA", LOAD_BALANCER)


def test_a_record_is_named_by_its_hostname_alone_so_the_order_of_hostnames_changes_nothing():
    first = records("api.example.com", "web.example.com").by_name()
    second = records("web.example.com", "api.example.com").by_name()

    assert {name: r.inputs for name, r in first.items()} == {name: r.inputs for name, r in second.items()}
