"""Rules on where requests go: every release's group is in a target group a listener forwards to, and a
weighted forward gives a canary a bounded share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fleet.names import CANARY_TRACK, MAX_CANARY_WEIGHT, TOTAL_WEIGHT, TRACK_HEADER, TRACK_TAG
from fleet.resource_types import AUTOSCALING_GROUP, LISTENER, LISTENER_RULE, TARGET_GROUP

from .base import as_dict, as_list, number, references, tags_of
from .records import UNKNOWN, Resource

ACTIONS = {LISTENER: "defaultActions", LISTENER_RULE: "actions"}
"""Where listeners and listener rules hold their actions."""


CANARY_WEIGHTS = range(1, MAX_CANARY_WEIGHT + 1)
"""A canary's share of requests (`canary.weight`): 0 compares nothing, more than half is a cut-over."""


DEFAULT_WEIGHT = 1
"""A target group's weight when a forward leaves it out (terraform-provider-aws: hashicorp/terraform-provider-aws
#20163)."""


def autoscaling_group_has_target_groups(resource: Resource) -> list[str]:
    arns = resource.props.get("targetGroupArns")
    if arns is UNKNOWN or as_list(arns):
        return []
    return [
        "Autoscaling group has no target_group_arns: attach the service's target group so instances are "
        "health-checked and receive traffic."
    ]


def _forward_targets(actions: Any) -> Iterator[Any]:
    for action in map(as_dict, as_list(actions)):
        yield action.get("targetGroupArn")
        yield from (
            as_dict(target).get("arn") for target in as_list(as_dict(action.get("forward")).get("targetGroups"))
        )


def autoscaling_groups_receive_traffic(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Every target group an ASG joins must be forwarded to by a listener: targets of a target group no listener
    uses never turn healthy, so the group's capacity wait would time out and its instances get no traffic."""
    target_groups = [resource for resource in resources if resource.type == TARGET_GROUP]
    canonical = {ref: group.urn for group in target_groups for ref in (group.urn, group.props.get("arn")) if ref}
    forwarded: set[str] = set()
    for resource in resources:
        prop = ACTIONS.get(resource.type)
        if prop:
            refs = references(resource, prop, _forward_targets(resource.props.get(prop)))
            forwarded |= {canonical.get(ref, ref) for ref in refs}
    violations = []
    for group in (resource for resource in resources if resource.type == AUTOSCALING_GROUP):
        arns = group.props.get("targetGroupArns")
        joined = {canonical.get(ref, ref) for ref in references(group, "targetGroupArns", as_list(arns))}
        if not joined and (arns is UNKNOWN or UNKNOWN in as_list(arns)):
            continue
        if not joined:
            violations.append(
                (
                    group.urn,
                    f"Autoscaling group {group.name!r} is in no target group: attach one a listener forwards to.",
                )
            )
        violations += [
            (
                group.urn,
                f"Autoscaling group {group.name!r} is in target group {ref!r}, which no listener forwards to: forward "
                "to it from the load balancer's listener (default action or listener rule), or detach it.",
            )
            for ref in sorted(joined - forwarded)
        ]
    return violations


def _weighted_forwards(resource: Resource) -> Iterator[list[Mapping[str, Any]]]:
    """The target groups of each forward action of a listener or listener rule that splits requests by weight."""
    for action in map(as_dict, as_list(resource.props.get(ACTIONS.get(resource.type, "")))):
        targets = [as_dict(target) for target in as_list(as_dict(action.get("forward")).get("targetGroups"))]
        if len(targets) > 1:
            yield targets


def _target_group_of(
    target: Mapping[str, Any], resource: Resource, targets: list[Mapping[str, Any]], by_ref: Mapping[str, Resource]
) -> Resource | None:
    """The declared target group a weighted target names: by ARN, or while its ARN is unknown (a new target group
    during preview) the one target group the actions depend on that no known ARN names."""
    arn = target.get("arn")
    if isinstance(arn, str):
        return by_ref.get(arn)
    named = {by_ref[ref].urn for ref in (t.get("arn") for t in targets) if isinstance(ref, str) and ref in by_ref}
    unnamed = {by_ref[urn].urn for urn in resource.property_dependencies.get("actions", ()) if urn in by_ref} - named
    unknown = [t for t in targets if not isinstance(t.get("arn"), str)]
    return by_ref[unnamed.pop()] if len(unnamed) == 1 and len(unknown) == 1 else None


def _track_rule(resource: Resource) -> bool:
    """A service's track rule (components/slots.py): only requests marked `X-Fleet-Track` match it, and its weights
    (1 for the live slot, 0 for the others) attach every slot's target group for health checks, sharing nothing."""
    conditions = map(as_dict, as_list(resource.props.get("conditions")))
    return any(as_dict(condition.get("httpHeader")).get("httpHeaderName") == TRACK_HEADER for condition in conditions)


def weighted_forwards_bound_the_canary_share(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """A weighted forward shares 100 between its target groups and gives a canary's (tagged fleet:track=canary)
    1-50 of it: 0 would compare nothing, more would move most requests to hosts no cut-over health-gated. A track
    rule's forward, which only marked requests reach, attaches target groups and shares nothing."""
    target_groups = [resource for resource in resources if resource.type == TARGET_GROUP]
    by_ref = {ref: group for group in target_groups for ref in (group.urn, group.props.get("arn")) if ref}
    violations = []
    for resource in resources:
        if resource.type == LISTENER_RULE and _track_rule(resource):
            continue
        for targets in _weighted_forwards(resource):
            weights = [target.get("weight", DEFAULT_WEIGHT) for target in targets]
            if any(number(weight) is None for weight in weights):
                continue
            if sum(weights) != TOTAL_WEIGHT:
                violations.append(
                    (
                        resource.urn,
                        f"Weighted forward of {resource.name!r} has weights {weights}, which add up to {sum(weights)}: "
                        f"make them add up to {TOTAL_WEIGHT}, so each is the percentage of requests it takes.",
                    )
                )
            for target, weight in zip(targets, weights, strict=True):
                group = _target_group_of(target, resource, targets, by_ref)
                if group is not None and tags_of(group).get(TRACK_TAG) == CANARY_TRACK and weight not in CANARY_WEIGHTS:
                    violations.append(
                        (
                            resource.urn,
                            f"Weighted forward of {resource.name!r} gives the canary target group {group.name!r} "
                            f"weight {weight}: a canary takes 1-50 percent of requests (fleet:services.<name>.canary"
                            ".weight). Finish the canary to move all requests to it, or remove it.",
                        )
                    )
    return violations
