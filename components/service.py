"""A web service: what outlives its releases (target group, listener, firewall, identity, logs) and the live release.

The target group is the service's fixed point. Each release's autoscaling group attaches to it, so the load
balancer moves traffic from one release to the next by target health, with no DNS or listener change.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.canary import TRACK_HEADER, Canary, CanaryArgs, weighted_forward
from components.host_role import HostRole, HostRoleArgs
from components.listeners import declare_listeners, declare_target_group
from components.release import Release, ReleaseArgs
from components.service_args import ServiceArgs
from components.service_image import ServiceImage, ServiceImageArgs
from components.settings import Settings, SettingsArgs
from fleet import rollout
from fleet.config import ServiceConfig, canary_release
from fleet.names import (
    INSTANCES_ROLE,
    LIVE_TRACK,
    ROLE_TAG,
    log_group_name,
    release_tags,
    service_tags,
    settings_path,
)
from fleet.outputs import (
    CanaryRelease,
    CapacityOutputs,
    DeployedRelease,
    ReleaseEntry,
    ServiceOutputs,
    release_history,
    write_service,
)

LOG_RETENTION_DAYS = 30


class Service(pulumi.ComponentResource):
    release: Release
    outputs: pulumi.Output[dict[str, Any]]
    """What the stack exports for this service: URL, live release, built digest, release history."""

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:service:Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = args.config
        tags = service_tags(args.stack, config.name)
        parameters_path = settings_path(args.stack, config.name)

        target_group = declare_target_group(f"{name}-tg", config, args.vpc_id, tags, child)
        entrypoint = (
            declare_listeners(
                name,
                config,
                args.load_balancer_arn,
                target_group.arn,
                args.certificate_arn,
                [args.load_balancer_security_group],
                tags,
                child,
                args.listener_aliases,
            )
            if config.public_port is not None
            else None
        )
        route = args.host_route if config.hostnames else None
        assert entrypoint or route, "a service has its own listener, hostnames, or both"
        alarms = Alarms(
            f"{name}-alarms",
            AlarmsArgs(
                stack=args.stack,
                service=config.name,
                thresholds=config.alarms,
                target_group_arn_suffix=target_group.arn_suffix,
                load_balancer_arn_suffix=args.load_balancer_arn_suffix,
                topic_arn=args.alarm_topic_arn,
                tags=tags,
            ),
            opts=child,
        )

        instances = aws.ec2.SecurityGroup(
            f"{name}-instances-sg",
            description=f"fleet {args.stack}/{config.name}: hosts, reached only through the load balancer",
            vpc_id=args.vpc_id,
            ingress=[
                {
                    "description": "service port, from the load balancer only",
                    "protocol": "tcp",
                    "from_port": config.port,
                    "to_port": config.port,
                    "security_groups": [args.load_balancer_security_group_id],
                }
            ],
            egress=[
                {
                    "description": "HTTPS out: ECR, SSM, CloudWatch Logs and the OS package mirror",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": ["0.0.0.0/0"],
                }
            ],
            tags={**tags, ROLE_TAG: INSTANCES_ROLE},
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(args.stack, config.name),
            retention_in_days=LOG_RETENTION_DAYS,
            tags=tags,
            opts=child,
        )
        image = ServiceImage(
            f"{name}-image",
            ServiceImageArgs(
                stack=args.stack,
                service=config.name,
                source=config.image,
                instance_type=config.instance_type,
                project_root=args.project_root,
                tags=tags,
                keep_images=args.images_promoted,
                replica=args.image_replicated,
            ),
            opts=child,
        )
        image_ref = args.image_ref if args.image_ref is not None else image.image_ref
        host_role = HostRole(
            f"{name}-host",
            HostRoleArgs(
                region=args.region,
                account_id=args.account_id,
                repository_arn=image.repository_arn,
                settings_path=parameters_path,
                log_group_arn=log_group.arn,
                tags=tags,
            ),
            opts=child,
        )

        settings = (
            Settings(f"{name}-settings", SettingsArgs(path=parameters_path, settings=config.settings, tags=tags), child)
            if config.settings
            else None
        )

        def boot_values(release: ServiceConfig, release_id: str, ref: pulumi.Output[str]) -> dict[str, Any]:
            """The boot script's FLEET_* variables for a release of this service (live or canary)."""
            return {
                "FLEET_STACK": args.stack,
                "FLEET_SERVICE": config.name,
                "FLEET_RELEASE": release_id,
                "FLEET_VERSION": release.image.version,
                "FLEET_IMAGE_REF": ref,
                "FLEET_PORT": str(config.port),
                "FLEET_REGION": args.region,
                "FLEET_LOG_GROUP": log_group.name,
                "FLEET_SETTINGS_PATH": parameters_path,
                "FLEET_SETTINGS": settings.pinned if settings else "",
            }

        live = rollout.LiveService.from_outputs(args.previous)
        # On the shared listener: requests with `X-Fleet-Track: live` reach the live release alone. The rule attaches
        # the target group before the host rule sends the service's hostnames to it, so a new service's release is
        # health-checked, and gated, before any of its hostnames' requests reach it (components/canary.py does the
        # same for a canary).
        track_rule = (
            aws.lb.ListenerRule(
                f"{name}-track-rule",
                listener_arn=route.listener.arn,
                priority=route.priority - 1,
                conditions=[
                    {"host_header": {"values": list(config.hostnames)}},
                    {"http_header": {"http_header_name": TRACK_HEADER, "values": [LIVE_TRACK]}},
                ],
                actions=[{"type": "forward", "target_group_arn": target_group.arn}],
                tags=tags,
                opts=child,
            )
            if route is not None
            else None
        )
        self.release = Release(
            f"{name}-release",
            ReleaseArgs(
                stack=args.stack,
                service=config,
                release_id=args.release_id,
                boot_script=args.boot_script,
                boot_values=boot_values(config, args.release_id, image_ref),
                subnet_ids=args.subnet_ids,
                security_group_id=instances.id,
                instance_profile_arn=host_role.instance_profile_arn,
                target_group_arn=target_group.arn,
                desired_capacity=rollout.planned_desired(config.capacity, live, args.release_id, args.live_desired),
                live=live,
                attempt=args.attempt,
                request_count_label=pulumi.Output.concat(args.load_balancer_arn_suffix, "/", target_group.arn_suffix),
                tags=release_tags(args.stack, config.name, args.release_id),
                attached_by=[track_rule] if track_rule else (),
            ),
            opts=child,
        )

        canary: pulumi.Output[CanaryRelease | None] = pulumi.Output.from_input(None)
        canary_resources = None
        if config.canary is not None:
            assert args.canary_release_id is not None, "a service with a canary has a canary release id"
            canary_config, weight, hosts = canary_release(config), config.canary.weight, config.canary.instances
            canary_name = f"{name}-canary"
            canary_ref = (
                args.canary_image_ref
                if args.canary_image_ref is not None
                else image.another(f"{canary_name}-image", canary_config.image, canary_config.instance_type, child)
            )
            canary_resources = Canary(
                canary_name,
                CanaryArgs(
                    service=args,
                    boot_values=boot_values(canary_config, args.canary_release_id, canary_ref),
                    security_group_id=instances.id,
                    instance_profile_arn=host_role.instance_profile_arn,
                    listener=entrypoint.listener if entrypoint else route.listener,  # type: ignore[union-attr]
                    live_target_group_arn=target_group.arn,
                    host_route=None if entrypoint else route,
                    tags=tags,
                ),
                opts=child,
            )
            canary = pulumi.Output.all(
                release=deployed_release(args.canary_release_id, canary_config, canary_ref, canary_resources.release),
                target_group_arn=canary_resources.target_group.arn,
            ).apply(
                lambda v: CanaryRelease(
                    **{**vars(v["release"]), "target_group_arn": v["target_group_arn"]},
                    weight=weight,
                    instances=hosts,
                    alarms=tuple(canary_resources.alarm_names),
                )
            )

        if route is not None:
            # After the release (and the canary): the hostnames reach hosts that passed their gate.
            aws.lb.ListenerRule(
                f"{name}-host-rule",
                listener_arn=route.listener.arn,
                priority=route.priority,
                conditions=[{"host_header": {"values": list(config.hostnames)}}],
                actions=[
                    weighted_forward(target_group.arn, canary_resources.target_group.arn, config.canary.weight)
                    if canary_resources is not None and config.canary is not None
                    else {"type": "forward", "target_group_arn": target_group.arn}
                ],
                tags=tags,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[self.release.group, *([canary_resources.release.group] if canary_resources else [])],
                ),
            )
        url = (lambda dns: entrypoint.url(dns)) if entrypoint else (lambda dns: route.url(config.hostnames))  # type: ignore[union-attr]

        self.outputs = pulumi.Output.all(
            release=deployed_release(args.release_id, config, image_ref, self.release),
            canary=canary,
            dns=args.load_balancer_dns_name,
            target_group_arn=target_group.arn,
            digest=image.built_digest,
        ).apply(
            lambda v: write_service(
                ServiceOutputs(
                    url=url(v["dns"]),
                    alarms=tuple(alarms.names),
                    target_group_arn=v["target_group_arn"],
                    image_digest=v["digest"],
                    port=config.port,
                    public_port=config.public_port,
                    health_check_path=config.health_check_path,
                    capacity=CapacityOutputs(**asdict(config.capacity)),
                    release=v["release"],
                    history=release_history(entry_of(v["release"]), args.previous),
                    canary=v["canary"],
                    hostnames=config.hostnames or None,
                    rule_priority=route.priority if route else None,
                )
            )
        )
        self.register_outputs({"outputs": self.outputs})


def deployed_release(
    release_id: str, config: ServiceConfig, image_ref: pulumi.Output[str], release: Release
) -> pulumi.Output[DeployedRelease]:
    """A release as the outputs give it (`services.<name>.release`, and the start of `.canary`): what runs, and the
    group it runs on."""
    return pulumi.Output.all(
        ref=image_ref,
        asg_name=release.group_name,
        template_id=release.launch_template_id,
        template_version=release.launch_template_version,
        group_trigger=release.group_trigger,
    ).apply(
        lambda v: DeployedRelease(
            release_id=release_id,
            version=config.image.version,
            image_ref=v["ref"],
            host_image=config.host_image,
            instance_type=config.instance_type,
            asg_name=v["asg_name"],
            launch_template_id=v["template_id"],
            launch_template_version=v["template_version"],
            group_trigger=v["group_trigger"],
        )
    )


def entry_of(release: DeployedRelease) -> ReleaseEntry:
    """The history entry of a deployed release: what identifies it, without the resources it ran on."""
    return ReleaseEntry(**{spec.name: getattr(release, spec.name) for spec in fields(ReleaseEntry)})
