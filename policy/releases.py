"""Rules on how a release replaces the last: its autoscaling group is health-gated, bounded in time, free to
exist beside the old one, on a fixed launch template version, at the capacity the program declares, and
scaling itself; release resources are created before the old ones are deleted."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fleet.names import MAX_CUTOVER_MINUTES, SCALING_OFF, SCALING_TAG, TRACK_TAG, WARM_TRACK
from fleet.resource_types import AUTOSCALING_GROUP, SCALING_POLICY

from .base import as_dict, as_list, number, references
from .records import UNKNOWN, Resource

MAX_CAPACITY_WAIT_SECONDS = MAX_CUTOVER_MINUTES * 60


# Default Pulumi auto-naming: "<logical name>-<7 hex>" (the engine passes policies the provider-checked inputs).
_AUTONAME_SUFFIX = r"-[0-9a-f]{7}"


def parse_duration(text: str) -> float | None:
    """Seconds in a Go duration such as "10m", "600s" or "1m30s" (the provider's format); None if malformed."""
    if text == "0":
        return 0.0
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    part = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"
    if not re.fullmatch(f"(?:{part})+", text):
        return None
    return sum(float(amount) * units[unit] for amount, unit in re.findall(part, text))


def autoscaling_group_uses_elb_health_check(resource: Resource) -> list[str]:
    check_type = resource.props.get("healthCheckType")
    if check_type in ("ELB", UNKNOWN):
        return []
    return [
        f'Autoscaling group health_check_type is {check_type!r}: set health_check_type="ELB" so instances failing '
        "the target group's health check are replaced."
    ]


def autoscaling_group_waits_for_capacity(resource: Resource) -> list[str]:
    props = resource.props
    waits = [props.get("waitForElbCapacity"), props.get("minElbCapacity")]
    problems = []
    if UNKNOWN not in waits and not any((number(value) or 0) > 0 for value in waits):
        problems.append(
            "Autoscaling group does not wait for healthy targets: set wait_for_elb_capacity (or min_elb_capacity) "
            "to the desired capacity so a release is only live once its instances pass the health check."
        )
    timeout = props.get("waitForCapacityTimeout")
    if timeout is None or timeout is UNKNOWN:  # absent: the provider's default, "10m"
        return problems
    seconds = parse_duration(str(timeout))
    if seconds == 0 and group_tags(resource).get(TRACK_TAG) == WARM_TRACK:
        # A warm group is out of traffic: its update to the warm role must not wait for its hosts (a release that
        # replaces a sick live release); becoming live again sets a bounded timeout back, and that update waits.
        return problems
    limit = f'a duration like "10m" or "600s", above 0 and at most {MAX_CAPACITY_WAIT_SECONDS // 60}m'
    if seconds is None:
        problems.append(f"Autoscaling group wait_for_capacity_timeout={timeout!r} is not a duration: use {limit}.")
    elif not 0 < seconds <= MAX_CAPACITY_WAIT_SECONDS:
        problems.append(f"Autoscaling group wait_for_capacity_timeout={timeout!r} is unbounded or off: use {limit}.")
    return problems


def group_tags(group: Resource) -> dict[str, object]:
    """An autoscaling group's tags (a list of `{key, value, propagateAtLaunch}`), by key."""
    return {str(as_dict(tag).get("key")): as_dict(tag).get("value") for tag in as_list(group.props.get("tags"))}


def autoscaling_group_is_not_named(resource: Resource) -> list[str]:
    """Names must not be fixed: a fixed name forces delete-before-create. With `namePrefix` the provider leaves
    `name` unset; without either, the engine hands policies the auto-name `<logical name>-<7 hex>`, so only a
    `name` that is neither is one the program chose."""
    name = resource.props.get("name")
    if not name or name is UNKNOWN or resource.props.get("namePrefix"):
        return []
    if isinstance(name, str) and re.fullmatch(re.escape(resource.name) + _AUTONAME_SUFFIX, name):
        return []
    return [
        f"Autoscaling group has the fixed name {name!r}, which forces the old group to be deleted before its "
        "replacement exists: remove name and set name_prefix (or rely on auto-naming)."
    ]


def autoscaling_group_declares_its_desired_capacity(resource: Resource) -> list[str]:
    if "desiredCapacity" not in resource.ignore_changes:
        return []
    return [
        f"Autoscaling group {resource.name!r} ignores changes to desiredCapacity: its replacement would start at the "
        "stale value in state (fewer hosts than serve now) and a deliberate scale would never apply. Declare the "
        "live desired capacity instead, as fleet.rollout.planned_desired does."
    ]


def autoscaling_group_pins_launch_template_version(resource: Resource) -> list[str]:
    template = resource.props.get("launchTemplate")
    version = as_dict(template).get("version")
    if UNKNOWN in (template, version) or version not in (None, "", "$Latest", "$Default"):
        return []
    shown = repr(version) if version else "unset (AWS then uses $Default)"
    return [
        f"Autoscaling group launch template version is {shown}, which moves when the template changes: set "
        'launch_template={"id": template.id, "version": template.latest_version.apply(str)}.'
    ]


def release_resource_is_created_before_delete(resource: Resource) -> list[str]:
    if not resource.delete_before_replace:
        return []
    return [
        f"{resource.type} {resource.name!r} sets delete_before_replace: remove it, so the "
        "replacement is created and healthy before the old one is deleted."
    ]


def autoscaling_groups_scale_themselves(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Every autoscaling group has a target-tracking policy, or says it does not scale (tag fleet:scaling=off)."""
    scaled: set[str] = set()
    for policy in resources:
        if policy.type == SCALING_POLICY and policy.props.get("policyType") == "TargetTrackingScaling":
            scaled |= references(policy, "autoscalingGroupName", [policy.props.get("autoscalingGroupName")])
    violations = []
    for group in (resource for resource in resources if resource.type == AUTOSCALING_GROUP):
        if {group.urn, group.resource_id, group.props.get("name")} & scaled:
            continue
        if group_tags(group).get(SCALING_TAG) == SCALING_OFF:
            continue
        violations.append(
            (
                group.urn,
                f"Autoscaling group {group.name!r} has no target-tracking scaling policy: it would hold one size "
                f"whatever the load. Give it one, or tag it {SCALING_TAG}={SCALING_OFF} where scaling is deliberately "
                "off.",
            )
        )
    return violations
