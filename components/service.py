"""A web service: what outlives its releases (slots' target groups, listeners, firewall, identity, logs) and the
releases in its slots: the live one, the warm previous one, the canary (`components/slots.py`, `fleet/slots.py`).

A release boots in a slot of its own, health-gated in its target group, which the track rule attaches to the load
balancer; then the traffic rule moves the service's requests to it, one load balancer change. The previous release
stays warm in its slot for `warmRollbackMinutes`, so a rollback within that window is that one change back.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import Alarms, AlarmsArgs
from components.canary import Canary, CanaryArgs
from components.host_role import HostRole, HostRoleArgs
from components.listeners import declare_listeners
from components.release import Release, ReleaseArgs
from components.service_args import ServiceArgs
from components.service_image import BUILD_INPUTS, ServiceImage, ServiceImageArgs
from components.settings import Settings, SettingsArgs
from components.slots import (
    TRACK_RULE_PRIORITY,
    declare_slot_target_groups,
    declare_track_rule,
    declare_traffic_rule,
    slot_aliases,
    track_forward,
    traffic_forward,
)
from fleet import clock, rollout
from fleet.clock import iso
from fleet.config_types import Capacity, ImageSource, Scaling, ServiceConfig, canary_release
from fleet.names import (
    CANARY_TRACK,
    FIRST_SLOT,
    INSTANCES_ROLE,
    ROLE_TAG,
    ROLES,
    WARM_TRACK,
    log_group_name,
    release_tags,
    service_tags,
    settings_path,
    slot_name,
)
from fleet.outputs import (
    CanaryRelease,
    CapacityOutputs,
    DeployedRelease,
    ReleaseEntry,
    ServiceOutputs,
    WarmRelease,
    release_history,
    write_service,
)
from fleet.slots import Occupant

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

        roles = {occupant.slot: occupant.role for occupant in args.plan.occupants}
        target_groups = declare_slot_target_groups(name, config, args.vpc_id, tags, roles, self)
        entrypoint = (
            declare_listeners(
                name,
                config,
                args.load_balancer_arn,
                # Slot a's, as before slots, and never changed: the traffic rule in front of it forwards.
                target_groups[FIRST_SLOT].arn,
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
                keeps_build=ran_before(args.plan.live, args.previous) is not None,
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

        def boot_values(release: ServiceConfig, release_id: str, ref: pulumi.Input[str]) -> dict[str, Any]:
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

        plan = args.plan
        listener = entrypoint.listener if entrypoint else route.listener  # type: ignore[union-attr]
        live_slot, canary_slot = plan.live.slot, plan.canary.slot if plan.canary else None
        # The track rule attaches every slot's target group (the live one reached by `X-Fleet-Track: live`): a
        # release is health-gated in its slot before any request reaches it.
        track_rule = declare_track_rule(
            name,
            route.listener if route is not None else listener,
            route.priority - 1 if route is not None else TRACK_RULE_PRIORITY,
            config.hostnames if route is not None else (),
            track_forward(target_groups, live_slot),
            tags,
            self,
        )
        canary_config = canary_release(config) if config.canary is not None else None
        canary_resources = None
        if config.canary is not None and canary_slot is not None:
            canary_resources = Canary(
                f"{name}-canary",
                CanaryArgs(
                    service=args,
                    listener=listener,
                    target_group=target_groups[canary_slot],
                    tags=tags,
                    host_route=None if entrypoint else route,
                ),
                opts=child,
            )
        carried_canary = plan.canary is not None and ran_before(plan.canary, args.previous) is not None
        canary_image_opts = (
            pulumi.ResourceOptions(parent=self, ignore_changes=list(BUILD_INPUTS)) if carried_canary else child
        )
        canary_ref = (
            (
                args.canary_image_ref
                or image.another(
                    f"{name}-canary-image", canary_config.image, canary_config.instance_type, canary_image_opts
                )
            )
            if canary_config is not None
            else None
        )

        def runs(occupant: Occupant) -> tuple[ServiceConfig, pulumi.Input[str]]:
            """What a slot's release runs: the config's release, its canary's, or (warm) what its outputs record."""
            record = occupant.record
            if occupant.role == WARM_TRACK and record is not None:
                return recorded_release(config, record), record.image_ref or image_ref
            # A building stack boots a release it ran before from its recorded image; a promoted one boots what its
            # guard verified (the same pinned ref: it is part of the release id).
            kept = ran_before(occupant, args.previous) if config.image.build is not None else None
            if occupant.role == CANARY_TRACK:
                assert canary_config is not None
                assert canary_ref is not None
                return canary_config, kept or canary_ref
            return config, kept or image_ref

        releases: dict[str, Release] = {}
        # Declared live first, then the canary, then the warm release, which waits for the incoming live group.
        for occupant in sorted(plan.occupants, key=lambda o: ROLES.index(o.role)):
            slot, role = occupant.slot, occupant.role
            release_config, ref = runs(occupant)
            if role == CANARY_TRACK:
                assert config.canary is not None
                fixed = config.canary.instances
                release_config = replace(
                    release_config,
                    capacity=Capacity(min=fixed, desired=fixed, max=fixed),
                    scaling=Scaling(enabled=False, cpu_percent=None),
                )
            after: list[pulumi.Resource] = []
            if role == WARM_TRACK and occupant.changes_role:
                after.append(releases[live_slot].group)
            releases[slot] = Release(
                slot_name(name, slot, "release"),
                ReleaseArgs(
                    stack=args.stack,
                    service=release_config,
                    release_id=occupant.release_id,
                    boot_script=args.boot_script,
                    boot_values=boot_values(release_config, occupant.release_id, ref),
                    subnet_ids=args.subnet_ids,
                    security_group_id=instances.id,
                    instance_profile_arn=host_role.instance_profile_arn,
                    target_group_arn=target_groups[slot].arn,
                    desired_capacity=occupant.desired,
                    # A release booted afresh (`Occupant.fresh`) is no group the outputs recorded: a fresh trigger.
                    live=rollout.LiveService.from_outputs(ServiceOutputs(release=occupant.record))
                    if occupant.record and not occupant.fresh
                    else None,
                    attempt=args.attempt,
                    request_count_label=pulumi.Output.concat(
                        args.load_balancer_arn_suffix, "/", target_groups[slot].arn_suffix
                    ),
                    tags=release_tags(args.stack, config.name, occupant.release_id),
                    slot=slot,
                    role=role,
                    attached_by=[
                        track_rule,
                        *([canary_resources.header_rule] if canary_resources and slot == canary_slot else []),
                    ],
                    after=after,
                    keeps_template=role == WARM_TRACK,
                ),
                opts=pulumi.ResourceOptions(parent=self, aliases=slot_aliases(name, slot, "release")),
            )
        self.release = releases[live_slot]
        alarms = Alarms(
            f"{name}-alarms",
            AlarmsArgs(
                stack=args.stack,
                service=config.name,
                thresholds=config.alarms,
                # The live release's, once its group passed its gate: a failed release leaves them on the slot that
                # serves. The dimension updates in place when another slot becomes live.
                target_group_arn_suffix=pulumi.Output.all(
                    target_groups[live_slot].arn_suffix, self.release.group_name
                ).apply(lambda values: str(values[0])),
                load_balancer_arn_suffix=args.load_balancer_arn_suffix,
                topic_arn=args.alarm_topic_arn,
                tags=tags,
            ),
            opts=child,
        )
        serving = [releases[live_slot].group, *([releases[canary_slot].group] if canary_slot else [])]
        forward = traffic_forward(
            target_groups, live_slot, canary_slot, config.canary.weight if config.canary is not None else 0
        )
        # After the live release (and the canary): traffic reaches hosts that passed their gate. Changing this
        # rule's forward is the switch.
        traffic_rule = (
            aws.lb.ListenerRule(
                f"{name}-host-rule",
                listener_arn=route.listener.arn,
                priority=route.priority,
                conditions=[{"host_header": {"values": list(config.hostnames)}}],
                actions=[forward],
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=serving),
            )
            if route is not None
            else None
        )
        if entrypoint is not None:
            own = declare_traffic_rule(name, entrypoint.listener, forward, tags, self, serving)
            traffic_rule = traffic_rule or own
        assert traffic_rule is not None
        url = (lambda dns: entrypoint.url(dns)) if entrypoint else (lambda dns: route.url(config.hostnames))  # type: ignore[union-attr]

        def record_of(occupant: Occupant) -> pulumi.Output[DeployedRelease]:
            release_config, ref = runs(occupant)
            release = releases[occupant.slot]
            since = (
                release.group_name.apply(lambda _: iso(clock.now()))
                if occupant.changes_role or occupant.record is None or not occupant.record.since
                else pulumi.Output.from_input(occupant.record.since)
            )
            return pulumi.Output.all(
                deployed=deployed_release(occupant.release_id, release_config, pulumi.Output.from_input(ref), release),
                target_group_arn=target_groups[occupant.slot].arn,
                since=since,
            ).apply(
                lambda v: replace(
                    v["deployed"],
                    slot=occupant.slot,
                    target_group_arn=v["target_group_arn"],
                    since=None if occupant.role == WARM_TRACK and occupant.record is not None else v["since"],
                )
            )

        live_record = record_of(plan.live)
        warm = plan.warm
        warm_record: pulumi.Output[WarmRelease | None] = (
            record_of(warm).apply(
                lambda deployed: WarmRelease(
                    **{**vars(deployed), "since": warm.record.since if warm.record else None},
                    desired=warm.desired,
                    warm_since=plan.warm_since,
                    retires_at=plan.retires_at,
                )
            )
            if warm is not None
            else pulumi.Output.from_input(None)
        )
        canary: pulumi.Output[CanaryRelease | None] = pulumi.Output.from_input(None)
        if plan.canary is not None and config.canary is not None and canary_resources is not None:
            weight, hosts, alarm_names = config.canary.weight, config.canary.instances, canary_resources.alarm_names
            canary = record_of(plan.canary).apply(
                lambda deployed: CanaryRelease(
                    **vars(deployed), weight=weight, instances=hosts, alarms=tuple(alarm_names)
                )
            )

        self.outputs = pulumi.Output.all(
            release=live_record,
            warm=warm_record,
            canary=canary,
            dns=args.load_balancer_dns_name,
            target_group_arn=target_groups[live_slot].arn,
            digest=image.built_digest,
            traffic_rule_arn=traffic_rule.arn,
            track_rule_arn=track_rule.arn,
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
                    warm=v["warm"],
                    traffic_rule_arn=v["traffic_rule_arn"],
                    track_rule_arn=v["track_rule_arn"],
                    warm_rollback_minutes=config.warm_rollback_minutes,
                )
            )
        )
        self.register_outputs({"outputs": self.outputs})


def ran_before(occupant: Occupant, previous: ServiceOutputs | None) -> str | None:
    """The image a release ran before, as the outputs record it: its slot's (a carried release), else its history
    entry's (a rollback after the window). Its hosts boot from it and nothing is built: a rebuild would push the
    tag of that build again, which the repository's immutable tags refuse. None for a release never run."""
    if occupant.record is not None and occupant.record.image_ref:
        return occupant.record.image_ref
    history = previous.history if previous else ()
    return next((e.image_ref for e in history if e.release_id == occupant.release_id and e.image_ref), None)


def recorded_release(config: ServiceConfig, record: DeployedRelease) -> ServiceConfig:
    """The service as a release its outputs record runs it (a warm one, made from an earlier config): its version,
    image, host image and instance type; the rest is today's config. Its launch template keeps what the state has
    (`ReleaseArgs.keeps_template`), so these are only what the program says it runs."""
    return replace(
        config,
        image=ImageSource(version=record.version or config.image.version, ref=record.image_ref),
        host_image=record.host_image or config.host_image,
        instance_type=record.instance_type or config.instance_type,
        canary=None,
    )


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
