"""Rules on what the network lets in: no admin ports, only the load balancer open to the internet, HTTPS on
TLS 1.3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fleet.names import LOAD_BALANCER_ROLE, ROLE_TAG
from fleet.resource_types import INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE

from .base import as_dict, as_list, number, tags_of
from .records import UNKNOWN, Resource

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}


WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


@dataclass(frozen=True)
class _Ingress:
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: tuple[Any, ...]


def _ingress_entries(resource: Resource) -> list[_Ingress]:
    """Ingress a security group or a standalone rule opens, in one shape for all three resource types."""
    props = resource.props
    if resource.type == SECURITY_GROUP:
        return [
            _Ingress(
                entry.get("protocol"),
                entry.get("fromPort"),
                entry.get("toPort"),
                (*as_list(entry.get("cidrBlocks")), *as_list(entry.get("ipv6CidrBlocks"))),
            )
            for entry in map(as_dict, as_list(props.get("ingress")))
        ]
    if resource.type == INGRESS_RULE:
        cidrs = (props.get("cidrIpv4"), props.get("cidrIpv6"))
        return [_Ingress(props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"), cidrs)]
    if resource.type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        cidrs = (*as_list(props.get("cidrBlocks")), *as_list(props.get("ipv6CidrBlocks")))
        return [_Ingress(props.get("protocol"), props.get("fromPort"), props.get("toPort"), cidrs)]
    return []


def _admin_ports_opened(ingress: _Ingress) -> list[int]:
    protocol = str(ingress.protocol).lower()
    if protocol in ("-1", "all"):
        return list(ADMIN_PORTS)
    low, high = number(ingress.from_port), number(ingress.to_port)
    if protocol not in ("tcp", "udp", "6", "17") or low is None or high is None:
        return []
    return [port for port in ADMIN_PORTS if low <= port <= high]


def _world_open(ingress: _Ingress) -> bool:
    return any(cidr in WORLD_CIDRS for cidr in ingress.cidrs)


def security_group_opens_no_admin_ports(resource: Resource) -> list[str]:
    return [
        f"Security group ingress opens port {port} ({ADMIN_PORTS[port]}): remove it. Hosts are never changed by "
        "hand; use SSM Session Manager to look at one."
        for ingress in _ingress_entries(resource)
        for port in _admin_ports_opened(ingress)
    ]


_PUBLIC_FIX = (
    f"only the load balancer's security group (tagged {ROLE_TAG}={LOAD_BALANCER_ROLE}) may accept traffic from "
    "anywhere; let instances accept traffic from that group (security_groups / referenced_security_group_id)."
)


def instance_security_group_is_not_public(resource: Resource) -> list[str]:
    if tags_of(resource).get(ROLE_TAG) == LOAD_BALANCER_ROLE:
        return []
    if any(_world_open(ingress) for ingress in _ingress_entries(resource)):
        return [f"Security group {resource.name!r} is open to the internet: {_PUBLIC_FIX}"]
    return []


TLS13_POLICY_PREFIX = "ELBSecurityPolicy-TLS13-"


def https_listener_uses_tls13_policy(resource: Resource) -> list[str]:
    """Without an explicit policy an HTTPS listener created through the API gets ELBSecurityPolicy-2016-08 (TLS 1.0)."""
    if resource.props.get("protocol") != "HTTPS":
        return []
    policy = resource.props.get("sslPolicy")
    if policy is UNKNOWN or (isinstance(policy, str) and policy.startswith(TLS13_POLICY_PREFIX)):
        return []
    return [
        f"HTTPS listener {resource.name!r} has security policy {policy!r}: set ssl_policy to a TLS 1.3 policy "
        f"({TLS13_POLICY_PREFIX}*, such as ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09)."
    ]


def standalone_rules_open_only_load_balancer(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Standalone rules name their group by id, unknown during preview for a new group; the group's URN in the
    rule's property dependencies identifies it then."""
    groups = [resource for resource in resources if resource.type == SECURITY_GROUP]
    by_reference = {ref: group for group in groups for ref in (group.urn, group.resource_id) if ref}
    violations = []
    for rule in resources:
        if rule.type == SECURITY_GROUP or not any(map(_world_open, _ingress_entries(rule))):
            continue
        group_id = rule.props.get("securityGroupId")
        references = (group_id, *rule.property_dependencies.get("securityGroupId", ()))
        group = next((by_reference[ref] for ref in references if isinstance(ref, str) and ref in by_reference), None)
        if group is None and group_id is UNKNOWN:
            continue
        if group is None or tags_of(group).get(ROLE_TAG) != LOAD_BALANCER_ROLE:
            target = repr(group.name) if group else f"{group_id!r} (not declared in this stack)"
            violations.append((rule.urn, f"Ingress rule opens security group {target} to the internet: {_PUBLIC_FIX}"))
    return violations
