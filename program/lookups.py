"""What the program reads about the live fleet before it declares anything. Lookups, never resources.

The lookups are synchronous invokes, so a config change that would cut traffic is refused, and the desired
capacity is known, before the first resource is declared; they run during `pulumi preview` too, so a preview
shows the values `pulumi up` would send.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from fleet.names import marker_release, rollback_markers_path
from fleet.resource_types import READ_STACK_OUTPUTS
from fleet.rollback_markers import RolledBack, parse_marker
from fleet.rollout import GroupSizes, LiveService
from fleet.slots import SlotPlan, becoming_live


def last_outputs(qualified_stack: str) -> dict[str, Any]:
    """This stack's outputs as its last update wrote them, empty before its first. A failed update writes only
    what the program registered, and it registers them only once every exported group passed its gate
    (tests/engine_model.py rule 7): what they name as live has served behind the load balancer."""
    result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": qualified_stack})
    return dict((result.value or {}).get("outputs") or {})


def group_sizes(group_name: str | None, left: str, instead: str) -> GroupSizes | None:
    """A group's desired capacity and min size as AWS reports them, in one lookup; None when there is no group, or
    when it is gone (with a warning: what the last update `left` it as, what the program does `instead`).

    `get_group` fails on a missing group; `get_ami_ids` (the provider's listing of groups by name) does not.
    """
    if not group_name:
        return None
    if group_name not in aws.autoscaling.get_ami_ids(names=[group_name]).names:
        pulumi.log.warn(
            f"autoscaling group {group_name}, which the last update left {left}, no longer exists: "
            f"{instead}. Run `fleetctl audit` to see what else changed outside Pulumi."
        )
        return None
    group = aws.autoscaling.get_group(name=group_name)
    return GroupSizes(desired=group.desired_capacity, min=group.min_size)


def live_desired_capacity(live: LiveService | None) -> int | None:
    """The desired capacity of the group a service's last update left serving, as AWS reports it (autoscaling may
    have moved it); None when there is none."""
    sizes = group_sizes(live.asg_name if live else None, "serving", "using the configured capacity")
    return sizes.desired if sizes else None


def becoming_live_sizes(plan: SlotPlan) -> GroupSizes | None:
    """The sizes AWS has of the group a switch or canary finish makes live (`fleet.slots.retry_afresh`); None for
    any other transition: no lookup then."""
    occupant = becoming_live(plan)
    record = occupant.record if occupant else None
    if occupant is None or record is None:
        return None
    return group_sizes(record.asg_name, f"as the {occupant.previous_role} release", "its sizes are not compared")


def rollback_markers(stack: str) -> dict[str, dict[str, RolledBack]]:
    """The releases of this stack that `fleetctl watch` rolled back (its markers under `/fleet-rollbacks/<stack>/`),
    by service and release id: the program refuses a config that asks for one of them again."""
    found = aws.ssm.get_parameters_by_path(path=rollback_markers_path(stack), recursive=True)
    markers: dict[str, dict[str, RolledBack]] = {}
    for name, value in zip(found.names, found.values, strict=True):
        where = marker_release(stack, name)
        if where is None:
            continue
        markers.setdefault(where[0], {})[where[1]] = parse_marker(value)
    return markers
