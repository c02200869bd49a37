"""A release: the launch template and autoscaling group that run one exact version of a service.

Nothing here is ever updated to run something else. A new release identity (`fleet.release.identify`) replaces
both resources create-before-delete: the new group is created, attached to the service's long-lived target group,
and its creation waits until its instances pass the target group's health checks. Only then does Pulumi delete
the old group, whose instances drain from the target group. If the new instances never get healthy, the update
fails and the old group keeps serving. A change of capacity alone updates the group in place.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.config import ServiceConfig

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
    desired_capacity: pulumi.Input[int]
    """At least the live desired capacity of the release being replaced: a cut-over never shrinks the fleet."""
    tags: dict[str, str]
    """Release tags: they reach the instances and volumes through the launch template and the group."""


class Release(pulumi.ComponentResource):
    launch_template_id: pulumi.Output[str]
    launch_template_version: pulumi.Output[int]
    group_name: pulumi.Output[str]

    def __init__(self, name: str, args: ReleaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:release:Release", name, None, opts)
        service = args.service
        prefix = f"fleet-{args.stack}-{service.name}-"

        launch_template = aws.ec2.LaunchTemplate(
            f"{name}-launch-template",
            # name_prefix, never name: a fixed name would force Pulumi to delete the old template first.
            name_prefix=prefix,
            description=f"fleet {args.stack}/{service.name} release {args.release_id} ({service.image.version})",
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
            ),
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
            min_size=service.capacity.min,
            max_size=service.capacity.max,
            desired_capacity=args.desired_capacity,
            # The health gate: creation succeeds only once this many instances are healthy in the target group.
            wait_for_elb_capacity=args.desired_capacity,
            wait_for_capacity_timeout=f"{service.cutover_timeout_minutes}m",
            health_check_type="ELB",
            health_check_grace_period=service.boot_grace_seconds,
            termination_policies=["OldestLaunchTemplate", "OldestInstance"],
            tags=[{"key": key, "value": value, "propagate_at_launch": True} for key, value in args.tags.items()],
            opts=pulumi.ResourceOptions(
                parent=self,
                replacement_trigger=args.release_id,
                replace_with=[launch_template],
            ),
        )

        self.launch_template_id = launch_template.id
        self.launch_template_version = launch_template.latest_version
        self.group_name = group.name
        self.register_outputs(
            {
                "launchTemplateId": self.launch_template_id,
                "launchTemplateVersion": self.launch_template_version,
                "groupName": self.group_name,
            }
        )


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
