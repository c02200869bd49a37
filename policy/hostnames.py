"""The policy pack's rules for routing by host name on shared listeners (`components/front_door.py`).

Each is a stack rule over plain `Resource` records (`policy.base.StackRule`); `evaluate_hostnames(records)` runs
them without the engine, and `policy/__main__.py` lists them with the rest of the pack. A listener rule with a
`host-header` condition is a host rule; the service that owns it is its `fleet:service` tag, and so is the service of
a target group.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from fleet.names import SERVICE_TAG, TLS_POLICY
from fleet.resource_types import LISTENER, LISTENER_RULE, TARGET_GROUP
from policy.base import StackRule, Violation
from policy.records import UNKNOWN, Resource


def _tag(resource: Resource, key: str) -> Any:
    tags = resource.props.get("tags")
    return tags.get(key) if isinstance(tags, Mapping) else None


def _hostnames(rule: Resource) -> list[str]:
    """The values of a listener rule's host-header conditions (empty for any other rule)."""
    conditions = rule.props.get("conditions")
    values: list[str] = []
    for condition in conditions if isinstance(conditions, list) else []:
        header = condition.get("hostHeader") if isinstance(condition, Mapping) else None
        if isinstance(header, Mapping) and isinstance(header.get("values"), list):
            values += [value for value in header["values"] if isinstance(value, str)]
    return values


def _host_rules(resources: Iterable[Resource]) -> Iterator[Resource]:
    return (resource for resource in resources if resource.type == LISTENER_RULE and _hostnames(resource))


def hostnames_are_claimed_once(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Two services' rules matching one hostname: whichever has the lower priority takes all its requests."""
    owners: dict[tuple[Any, str], Any] = {}
    violations = []
    for rule in _host_rules(resources):
        service, listener = _tag(rule, SERVICE_TAG), rule.props.get("listenerArn")
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
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, Mapping):
            continue
        yield action.get("targetGroupArn")
        forward = action.get("forward")
        targets = forward.get("targetGroups") if isinstance(forward, Mapping) else None
        yield from (target.get("arn") for target in targets or [] if isinstance(target, Mapping))


def host_rules_forward_to_their_own_service(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """A host rule sends a service's hostnames to that service's target groups only (live or canary); a target
    group named by an ARN unknown during preview is found by the URNs the rule's actions depend on."""
    groups = [resource for resource in resources if resource.type == TARGET_GROUP]
    by_ref = {ref: group for group in groups for ref in (group.urn, group.props.get("arn")) if isinstance(ref, str)}
    violations = []
    for rule in _host_rules(resources):
        service = _tag(rule, SERVICE_TAG)
        refs = {ref for ref in _forwarded(rule.props.get("actions")) if isinstance(ref, str)}
        refs |= set(rule.property_dependencies.get("actions", ()))
        targets = {ref: by_ref.get(ref) for ref in refs if ref in by_ref or not ref.startswith("urn:")}
        for ref, group in sorted(targets.items()):
            owner = _tag(group, SERVICE_TAG) if group else None
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


STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "hostnames-are-claimed-once",
        "No two services' listener rules match the same hostname on a listener.",
        hostnames_are_claimed_once,
    ),
    StackRule(
        "host-rules-forward-to-their-own-service",
        "A listener rule with a host-header condition forwards only to target groups of its own service.",
        host_rules_forward_to_their_own_service,
    ),
    StackRule(
        "https-listeners-use-the-tls-policy",
        f"Every HTTPS listener uses the TLS policy {TLS_POLICY}.",
        https_listeners_use_the_tls_policy,
    ),
)


def evaluate_hostnames(resources: Iterable[Resource]) -> list[Violation]:
    records = list(resources)
    return [Violation(rule.name, urn, message) for rule in STACK_RULES for urn, message in rule.check(records)]
