"""Security groups: no SSH/RDP ingress anywhere; only the load balancer's group open to the internet."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.resource_types import INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE
from policy import network
from policy.network import ADMIN_PORTS
from policy.records import UNKNOWN, Resource, declared, make_urn

LB_GROUP = declared(SECURITY_GROUP, "alb-sg", {"tags": {"fleet:role": "load-balancer"}}, resource_id="sg-0lb")
INSTANCE_GROUP = declared(SECURITY_GROUP, "web-sg", {"tags": {"fleet:role": "instances"}}, resource_id="sg-0web")


def world_rule(group_id: Any, **options: Any) -> Resource:
    """A standalone rule opening HTTP on `group_id` to the internet."""
    inputs = {"securityGroupId": group_id, "ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": "0.0.0.0/0"}
    return declared(INGRESS_RULE, "http-in", inputs, **options)


def test_https_only_ingress_passes(security_group_inputs: dict[str, Any]) -> None:
    group = declared(SECURITY_GROUP, "web-sg", security_group_inputs)
    assert network.security_group_opens_no_admin_ports(group) == []


def test_inline_ssh_ingress_is_rejected(security_group_inputs: dict[str, Any]) -> None:
    security_group_inputs["ingress"].append(
        {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}
    )
    [message] = network.security_group_opens_no_admin_ports(declared(SECURITY_GROUP, "web-sg", security_group_inputs))
    assert "port 22 (SSH)" in message


def test_all_protocols_ingress_opens_both_admin_ports(security_group_inputs: dict[str, Any]) -> None:
    security_group_inputs["ingress"] = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.0.0.0/8"]}]
    messages = network.security_group_opens_no_admin_ports(declared(SECURITY_GROUP, "web-sg", security_group_inputs))
    assert [port for port in ADMIN_PORTS if any(f"port {port} " in message for message in messages)] == [22, 3389]


def test_standalone_ingress_rule_range_covering_rdp_is_rejected() -> None:
    rule = declared(INGRESS_RULE, "range", {"ipProtocol": "tcp", "fromPort": 3000, "toPort": 4000})
    [message] = network.security_group_opens_no_admin_ports(rule)
    assert "port 3389 (RDP)" in message


def test_security_group_rule_of_type_ingress_on_ssh_is_rejected() -> None:
    rule = declared(SECURITY_GROUP_RULE, "ssh", {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22})
    assert network.security_group_opens_no_admin_ports(rule)


def test_security_group_rule_of_type_egress_on_ssh_is_allowed() -> None:
    rule = declared(SECURITY_GROUP_RULE, "ssh", {"type": "egress", "protocol": "tcp", "fromPort": 22, "toPort": 22})
    assert network.security_group_opens_no_admin_ports(rule) == []


def test_instance_group_open_to_the_internet_is_rejected(security_group_inputs: dict[str, Any]) -> None:
    security_group_inputs["ingress"][0]["cidrBlocks"] = ["0.0.0.0/0"]
    [message] = network.instance_security_group_is_not_public(declared(SECURITY_GROUP, "web-sg", security_group_inputs))
    assert "fleet:role=load-balancer" in message


def test_untagged_group_open_to_ipv6_internet_is_rejected(security_group_inputs: dict[str, Any]) -> None:
    del security_group_inputs["tags"]
    security_group_inputs["ingress"][0]["ipv6CidrBlocks"] = ["::/0"]
    assert network.instance_security_group_is_not_public(declared(SECURITY_GROUP, "web-sg", security_group_inputs))


def test_instance_group_reached_through_the_load_balancer_passes(security_group_inputs: dict[str, Any]) -> None:
    group = declared(SECURITY_GROUP, "web-sg", security_group_inputs)
    assert network.instance_security_group_is_not_public(group) == []


def test_load_balancer_group_may_be_open_to_the_internet(security_group_inputs: dict[str, Any]) -> None:
    security_group_inputs["tags"] = {"fleet:role": "load-balancer"}
    security_group_inputs["ingress"][0]["cidrBlocks"] = ["0.0.0.0/0"]
    assert (
        network.instance_security_group_is_not_public(declared(SECURITY_GROUP, "alb-sg", security_group_inputs)) == []
    )


def test_standalone_world_rule_on_the_load_balancer_group_passes() -> None:
    assert network.standalone_rules_open_only_load_balancer([LB_GROUP, INSTANCE_GROUP, world_rule("sg-0lb")]) == []


def test_standalone_world_rule_on_an_instance_group_is_rejected() -> None:
    rule = world_rule("sg-0web")
    [(urn, message)] = network.standalone_rules_open_only_load_balancer([LB_GROUP, INSTANCE_GROUP, rule])
    assert (urn, "security group 'web-sg'" in message) == (rule.urn, True)


def test_group_unknown_during_preview_resolves_through_property_dependencies() -> None:
    rule = world_rule(UNKNOWN, property_dependencies={"securityGroupId": [INSTANCE_GROUP.urn]})
    assert network.standalone_rules_open_only_load_balancer([LB_GROUP, INSTANCE_GROUP, rule])


def test_world_rule_on_a_group_outside_the_stack_is_rejected() -> None:
    [(_, message)] = network.standalone_rules_open_only_load_balancer([LB_GROUP, world_rule("sg-0elsewhere")])
    assert "not declared in this stack" in message


def test_world_rule_on_an_unresolvable_unknown_group_is_skipped() -> None:
    assert network.standalone_rules_open_only_load_balancer([LB_GROUP, world_rule(UNKNOWN)]) == []


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", None])
def test_standalone_rule_not_open_to_the_internet_passes(cidr: str | None) -> None:
    inputs = {"securityGroupId": "sg-0web", "ipProtocol": "tcp", "fromPort": 80, "toPort": 80, "cidrIpv4": cidr}
    rule = declared(INGRESS_RULE, "in", inputs, urn=make_urn(INGRESS_RULE, "in"))
    assert network.standalone_rules_open_only_load_balancer([INSTANCE_GROUP, rule]) == []
