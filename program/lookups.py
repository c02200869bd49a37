"""What the program reads about the live fleet before it declares anything. Lookups, never resources.

Both lookups are synchronous invokes, so a config change that would cut traffic is refused, and the desired
capacity is known, before the first resource is declared; they run during `pulumi preview` too, so a preview
shows the values `pulumi up` would send.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from fleet.resource_types import READ_STACK_OUTPUTS
from fleet.rollout import LiveService


def last_outputs(qualified_stack: str) -> dict[str, Any]:
    """This stack's outputs as its last update wrote them, empty before its first. A failed update writes only
    what the program registered, and it registers them only once every exported group passed its gate
    (tests/engine_model.py rule 7): what they name as live has served behind the load balancer."""
    result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": qualified_stack})
    return dict((result.value or {}).get("outputs") or {})


def live_desired_capacity(live: LiveService | None) -> int | None:
    """The desired capacity of the group a service's last update left serving, as AWS reports it; None when there
    is none, or (with a warning) when the group is gone.

    `get_group` fails on a missing group; `get_ami_ids` (the provider's listing of groups by name) does not.
    """
    group_name = live.asg_name if live else None
    if not group_name:
        return None
    if group_name not in aws.autoscaling.get_ami_ids(names=[group_name]).names:
        pulumi.log.warn(
            f"autoscaling group {group_name}, which the last update left serving, no longer exists: "
            "using the configured capacity. Run `fleetctl audit` to see what else changed outside Pulumi."
        )
        return None
    return aws.autoscaling.get_group(name=group_name).desired_capacity
