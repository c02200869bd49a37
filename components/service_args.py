"""What a service is declared from: its config, its release ids and what it shares with the stack.

A module of its own, below `components.service` and `components.canary`: the service passes these arguments on
to its canary, which declares a release from the same network, boot script and previous outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi

from components.front_door import HostRoute
from components.listeners import ListenerAliases
from fleet.config_types import ServiceConfig
from fleet.outputs import ServiceOutputs
from fleet.slots import SlotPlan


@dataclass
class ServiceArgs:
    stack: str
    config: ServiceConfig
    release_id: str
    plan: SlotPlan
    """What each of the service's slots runs in this update (`fleet.slots.plan_slots`), without problems."""
    boot_script: str
    project_root: Path
    region: str
    account_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    load_balancer_arn: pulumi.Input[str]
    load_balancer_arn_suffix: pulumi.Input[str]
    load_balancer_dns_name: pulumi.Input[str]
    load_balancer_security_group_id: pulumi.Input[str]
    load_balancer_security_group: pulumi.Resource
    """The load balancer's firewall: an HTTP listener redirects to HTTPS only once it lets HTTPS in."""
    previous: ServiceOutputs | None
    """This service's outputs as the stack last recorded them (`program.lookups.last_outputs`), None on its first."""
    attempt: str
    """Unique to this run of the program (`fleet.rollout.group_trigger`)."""
    live_desired: int | None
    """The desired capacity of the live group as AWS reports it (autoscaling may have moved it); None if none."""
    image_ref: pulumi.Output[str] | None = None
    """Promoted stacks: the verified image reference (`program.promotion`), resolved only once verified, so no host
    runs it before. None for a stack that runs what it builds."""
    certificate_arn: pulumi.Input[str] | None = None
    """The stack's ACM certificate (a managed one's ARN once validated): HTTPS on `https_port`, HTTP redirected to
    it. None: HTTP only."""
    alarm_topic_arn: str | None = None
    """The SNS topic the service's alarms notify, if any."""
    images_promoted: bool = False
    """A stack promoted from this one runs this service's images: its repository must keep them."""
    image_replicated: bool = False
    """Promoted stacks: the image ref names the copy ECR replicates into this stack's own registry."""
    canary_release_id: str | None = None
    """The release id of the service's canary (`fleet.config_types.canary_release`), when it has one."""
    canary_image_ref: pulumi.Output[str] | None = None
    """Promoted stacks: the canary's verified image reference, like `image_ref`."""
    host_route: HostRoute | None = None
    """For a service with hostnames: the front door's listener and the priority of the service's host rule."""
    listener_aliases: ListenerAliases = (None, None)
    """Listeners the service's own take over in place (the front door's, when it leaves the hostnames)."""
