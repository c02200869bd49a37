"""Where each hostname is served, on the shared listeners (`components/front_door.py`): stack checks over plain
`Resource` records, listed in the pack by `policy/__main__.py`. A listener rule with a `host-header` condition is
a host rule; the service that owns it is its `fleet:service` tag, and so is the service of a target group.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from fleet.names import SERVICE_TAG, TLS_POLICY
from fleet.resource_types import LISTENER, LISTENER_RULE, TARGET_GROUP
from policy.base import as_dict, as_list, tags_of
from policy.records import UNKNOWN, Resource


def _hostnames(rule: Resource) -> list[str]:
    """The values of a listener rule's host-header conditions (empty for any other rule)."""
    return [
        value
        for condition in as_list(rule.props.get("conditions"))
        for value in as_list(as_dict(as_dict(condition).get("hostHeader")).get("values"))
        if isinstance(value, str)
    ]


def _host_rules(resources: Iterable[Resource]) -> Iterator[Resource]:
    return (resource for resource in resources if resource.type == LISTENER_RULE and _hostnames(resource))


def hostnames_are_claimed_once(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Two services' rules matching one hostname: whichever has the lower priority takes all its requests."""
    owners: dict[tuple[Any, str], Any] = {}
    violations = []
    for rule in _host_rules(resources):
        service, listener = tags_of(rule).get(SERVICE_TAG), rule.props.get("listenerArn")
        for name in _hostnames(rule):
            other = owners.setdefault((listener, name), service)
            if other != service:
                violations.append(
                    (
                        rule.urn,
                        f"Listener rule {rule.name!r} of service {service!r} matches host {name!r}, which a rule of "
                        f"service {other!r} on the same listener matches too: a hostname routes to one service.",
                    )
                )
    return violations


def _forwarded(actions: Any) -> Iterator[Any]:
    for action in map(as_dict, as_list(actions)):
        yield action.get("targetGroupArn")
        yield from (
            as_dict(target).get("arn") for target in as_list(as_dict(action.get("forward")).get("targetGroups"))
        )


def host_rules_forward_to_their_own_service(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """A host rule sends a service's hostnames to that service's target groups only (live or canary); a target
    group named by an ARN unknown during preview is found by the URNs the rule's actions depend on."""
    groups = [resource for resource in resources if resource.type == TARGET_GROUP]
    by_ref = {ref: group for group in groups for ref in (group.urn, group.props.get("arn")) if isinstance(ref, str)}
    violations = []
    for rule in _host_rules(resources):
        service = tags_of(rule).get(SERVICE_TAG)
        refs = {ref for ref in _forwarded(rule.props.get("actions")) if isinstance(ref, str)}
        refs |= set(rule.property_dependencies.get("actions", ()))
        targets = {ref: by_ref.get(ref) for ref in refs if ref in by_ref or not ref.startswith("urn:")}
        for ref, group in sorted(targets.items()):
            owner = tags_of(group).get(SERVICE_TAG) if group else None
            if owner != service or service is None:
                shown = repr(group.name) if group else f"{ref!r} (not declared in this stack)"
                violations.append(
                    (
                        rule.urn,
                        f"Host rule {rule.name!r} of service {service!r} forwards to target group {shown} of "
                        f"service {owner!r}: a service's hostnames reach only its own hosts.",
                    )
                )
    return violations


def https_listeners_use_the_tls_policy(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Every HTTPS listener of the stack, shared or a service's own, negotiates with fleet's one TLS policy: a
    listener left on another (by hand, or by an older fleet) is found, not just one weaker than TLS 1.3."""
    return [
        (
            listener.urn,
            f"HTTPS listener {listener.name!r} uses security policy {listener.props.get('sslPolicy')!r}: set "
            f"ssl_policy to {TLS_POLICY}, fleet's policy for every HTTPS listener.",
        )
        for listener in resources
        if listener.type == LISTENER
        and listener.props.get("protocol") == "HTTPS"
        and listener.props.get("sslPolicy") not in (TLS_POLICY, UNKNOWN)
    ]
