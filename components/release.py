"""A release: the launch template and autoscaling group that run one exact version of a service, and its scaling.

A release runs in one of its service's slots (`fleet/slots.py`) in a role: `live` (serving, scaling), `warm` (the
previous release after a cut-over: healthy, out of traffic, pinned at the capacity it served with, scaling
suspended) or `canary` (a fixed share). The role is a tag of the group and its sizes, never an input of the launch
template, so changing roles (a switch, a canary finish) updates the group in place and boots nothing.

Nothing here is ever updated to run something else. A new release identity (`fleet.release.identify`) replaces
both resources create-before-delete: the new group is created, attached to the service's long-lived target group,
and its creation waits until its instances pass the target group's health checks. Only then does Pulumi delete
the old group, whose instances drain from the target group. If the new instances never get healthy, the update
fails and the old group keeps serving; every later update replaces the failed group with a fresh, health-gated one
before the old group can be deleted (`fleet.rollout.group_trigger`). A change of capacity alone updates the group
in place.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from fleet import rollout
from fleet.config_types import Scaling, ServiceConfig
from fleet.limits import template_description
from fleet.names import FIRST_SLOT, LIVE_TRACK, SCALING_OFF, SCALING_TAG, TRACK_TAG, WARM_TRACK, slot_prefix
from fleet.slots import warm_min_size
from fleet.timeouts import GROUP_DELETE_MINUTES

INIT_ERROR = "#initerror"
"""The engine's key for a resource's init errors in `replace_on_changes` (step_generator.go `initErrorSpecialKey`)."""
WARM_CAPACITY_TIMEOUT = "0"
"""A warm group's `wait_for_capacity_timeout`: no capacity wait on its updates (the provider skips it at 0)."""
WARM_SUSPENDED_PROCESS = "AlarmNotification"
"""Suspended on a warm group: its target-tracking policies stay declared but cannot scale it ("scaling off")."""
TEMPLATE_INPUTS = (
    "description",
    "imageId",
    "instanceType",
    "iamInstanceProfile",
    "vpcSecurityGroupIds",
    "userData",
    "metadataOptions",
    "blockDeviceMappings",
    "monitoring",
    "tagSpecifications",
    "tags",
)
"""Every input of a launch template but its name prefix: what a warm release keeps as the state has it."""
ROOT_VOLUME_GIB = 20
ROOT_DEVICE = "/dev/xvda"
"""The root device of Amazon Linux 2023, the host image family the boot script is written for."""


@dataclass
class ReleaseArgs:
    stack: str
    service: ServiceConfig
    release_id: str
    """Known at preview time: the replacement trigger of both resources."""
    boot_script: str
    """The body of the boot script; the release's values are prepended as readonly shell variables."""
    boot_values: Mapping[str, pulumi.Input[str]]
    """FLEET_* variables for the boot script, the digest-pinned image reference among them."""
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    instance_profile_arn: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    desired_capacity: int
    """`fleet.rollout.planned_desired`: never below what the live fleet runs, unless the config says so."""
    live: rollout.LiveService | None
    """What the stack's last outputs say serves, None before the first."""
    attempt: str
    """Unique to this run of the program: the trigger of a group that has not yet passed a successful update."""
    request_count_label: pulumi.Input[str]
    """`<load balancer arn suffix>/<target group arn suffix>`: the target group's ALBRequestCountPerTarget."""
    tags: dict[str, str]
    """Release tags: they reach the instances and volumes through the launch template and the group."""
    slot: str = FIRST_SLOT
    """The slot it runs in: its launch template's and group's name prefix."""
    role: str = LIVE_TRACK
    """`live`, `warm` or `canary`: the group's `fleet:track` tag. A warm group keeps `desired_capacity`, has
    `min_size` 0 and its AlarmNotification process suspended, so its scaling policies cannot move it."""
    attached_by: Sequence[pulumi.Resource] = ()
    """What attaches the target group to the load balancer, if the group must wait for it: the load balancer
    health-checks only the targets of a group a listener or rule uses, so the health gate would never pass."""
    after: Sequence[pulumi.Resource] = ()
    """What the group waits for besides: a live release turning warm waits for the incoming live group (it keeps
    scaling while it still serves)."""
    keeps_template: bool = False
    """A release the last update ran in another role (warm): its launch template was made from a config this one
    no longer has, so its inputs are kept as they are in the state (`ignore_changes`), never replaced."""


class Release(pulumi.ComponentResource):
    launch_template_id: pulumi.Output[str]
    launch_template_version: pulumi.Output[int]
    group: aws.autoscaling.Group
    group_name: pulumi.Output[str]
    group_trigger: pulumi.Output[str]

    def __init__(self, name: str, args: ReleaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:release:Release", name, None, opts)
        service = args.service
        prefix = slot_prefix(args.stack, service.name, args.slot)
        warm = args.role == WARM_TRACK

        launch_template = aws.ec2.LaunchTemplate(
            f"{name}-launch-template",
            # name_prefix, never name: a fixed name would force Pulumi to delete the old template first.
            name_prefix=prefix,
            description=template_description(args.stack, service.name, args.release_id, service.image.version),
            image_id=service.host_image,
            instance_type=service.instance_type,
            iam_instance_profile={"arn": args.instance_profile_arn},
            vpc_security_group_ids=[args.security_group_id],
            user_data=render_user_data(args.boot_script, args.boot_values),
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 2,
            },
            block_device_mappings=[
                {
                    "device_name": ROOT_DEVICE,
                    "ebs": {
                        "encrypted": "true",
                        "volume_type": "gp3",
                        "volume_size": ROOT_VOLUME_GIB,
                        "delete_on_termination": "true",
                    },
                }
            ],
            monitoring={"enabled": True},
            tag_specifications=[
                {"resource_type": "instance", "tags": args.tags},
                {"resource_type": "volume", "tags": args.tags},
            ],
            tags=args.tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                replacement_trigger=args.release_id,
                # Whatever else changes in the template is also a new release, never an in-place new version.
                replace_on_changes=["*"],
                ignore_changes=list(TEMPLATE_INPUTS) if args.keeps_template else None,
            ),
        )

        # Unknown during a preview that replaces the template: the engine then assumes a replacement, as it will be.
        group_trigger = launch_template.id.apply(
            lambda template_id: rollout.group_trigger(args.release_id, args.live, template_id, args.attempt)
        )
        group = aws.autoscaling.Group(
            f"{name}-group",
            name_prefix=prefix,
            launch_template={
                "id": launch_template.id,
                "version": launch_template.latest_version.apply(str),
            },
            vpc_zone_identifiers=args.subnet_ids,
            target_group_arns=[args.target_group_arn],
            min_size=warm_min_size(service.capacity.min, args.desired_capacity) if warm else service.capacity.min,
            max_size=max(service.capacity.max, args.desired_capacity),
            desired_capacity=args.desired_capacity,
            suspended_processes=[WARM_SUSPENDED_PROCESS] if warm else None,
            # The health gate: creation succeeds only once this many instances are healthy in the target group.
            wait_for_elb_capacity=args.desired_capacity,
            # A group turning warm leaves traffic: its min_size change must not wait for its hosts, which may be
            # what the release replacing it replaces them for (a sick live release): "0" skips the wait
            # (terraform-provider-aws 00a919d1 internal/service/autoscaling/group.go `resourceGroupUpdate` waits
            # only `if timeout > 0`). Becoming live again sets the cut-over timeout back, and its min_size change
            # then waits with it: the switch's health gate.
            wait_for_capacity_timeout=WARM_CAPACITY_TIMEOUT if warm else f"{service.cutover_timeout_minutes}m",
            health_check_type="ELB",
            health_check_grace_period=service.boot_grace_seconds,
            # A release fails when one launch fails (bad AMI, the type not offered or out of capacity in a zone):
            # the provider ends the capacity wait at once instead of retrying until the timeout. The old group keeps
            # serving, the error names the cause within minutes, and the retry health-gates a fresh group
            # (tests/program/test_engine_rules.py). Ignoring it would still fail a lasting cause, only
            # cutoverTimeoutMinutes later, and pass a transient one with the group unbalanced across zones.
            ignore_failed_scaling_activities=False,
            termination_policies=["OldestLaunchTemplate", "OldestInstance"],
            tags=group_tags(args.tags, args.role, scaling_off=not service.scaling.enabled),
            opts=pulumi.ResourceOptions(
                parent=self,
                replacement_trigger=group_trigger,
                replace_with=[launch_template],
                # A group left with init errors by a failed update (a switch or finish whose capacity wait failed)
                # is replaced by a fresh, health-gated one on the next, not given an empty update that waits on
                # nothing (pulumi/pulumi pkg/resource/deploy/step_generator.go `applyReplaceOnChanges` at 1b594989:
                # a `replace_on_changes` path covering `#initerror` turns an init error into a replacement).
                replace_on_changes=[INIT_ERROR],
                depends_on=[*args.attached_by, *args.after] or None,
                # Deleting the group waits for its hosts to drain: up to the longest drainSeconds (fleet.timeouts).
                custom_timeouts=pulumi.CustomTimeouts(delete=f"{GROUP_DELETE_MINUTES}m"),
            ),
        )
        if service.scaling.enabled:
            # While the old group still shares the target group, the new one sees part of the load: scaling it in
            # then would leave the service short once the old group is deleted. Scale-in resumes on the next update.
            in_cutover = launch_template.id.apply(lambda template_id: not rollout.is_live_group(args.live, template_id))
            for suffix, metric in target_tracking_metrics(service.scaling, args.request_count_label).items():
                aws.autoscaling.Policy(
                    f"{name}-scale-{suffix}",
                    autoscaling_group_name=group.name,
                    policy_type="TargetTrackingScaling",
                    estimated_instance_warmup=service.scaling.instance_warmup_seconds,
                    target_tracking_configuration=aws.autoscaling.PolicyTargetTrackingConfigurationArgs(
                        disable_scale_in=in_cutover, **metric
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )

        self.launch_template_id = launch_template.id
        self.launch_template_version = launch_template.latest_version
        self.group = group
        self.group_name = group.name
        self.group_trigger = group_trigger
        self.register_outputs(
            {
                "launchTemplateId": self.launch_template_id,
                "launchTemplateVersion": self.launch_template_version,
                "groupName": self.group_name,
                "groupTrigger": self.group_trigger,
            }
        )


def group_tags(tags: Mapping[str, str], role: str, *, scaling_off: bool) -> list[aws.autoscaling.GroupTagArgs]:
    """The release tags, for the group and its instances; the role, for the group alone (it changes in place);
    where scaling is off, a tag that says it is deliberate."""
    group = [
        aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=True) for key, value in tags.items()
    ]
    group.append(aws.autoscaling.GroupTagArgs(key=TRACK_TAG, value=role, propagate_at_launch=False))
    if scaling_off:
        # What the policy pack reads as a deliberate choice, not a forgotten scaling policy.
        group.append(aws.autoscaling.GroupTagArgs(key=SCALING_TAG, value=SCALING_OFF, propagate_at_launch=False))
    return group


def target_tracking_metrics(scaling: Scaling, request_count_label: pulumi.Input[str]) -> dict[str, dict[str, Any]]:
    """One target-tracking configuration per tracked metric: the group scales out when any is above its target."""
    metrics: dict[str, dict[str, Any]] = {}
    if scaling.cpu_percent is not None:
        metrics["cpu"] = {
            "predefined_metric_specification": {"predefined_metric_type": "ASGAverageCPUUtilization"},
            "target_value": scaling.cpu_percent,
        }
    if scaling.requests_per_instance is not None:
        metrics["requests"] = {
            "predefined_metric_specification": {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": request_count_label,
            },
            "target_value": scaling.requests_per_instance,
        }
    return metrics


def render_user_data(boot_script: str, values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """The boot script with the release's values prepended as quoted readonly variables, base64 for EC2."""
    names = sorted(values)

    def render(resolved: list[str]) -> str:
        header = "".join(
            f"readonly {name}={shlex.quote(str(value))}\n" for name, value in zip(names, resolved, strict=True)
        )
        script = f"#!/bin/bash\n{header}{boot_script}"
        return base64.b64encode(script.encode()).decode()

    return pulumi.Output.all(*(values[name] for name in names)).apply(render)
