"""fleet: web services on AWS as immutable servers. Reads and validates the stack config, builds, exports."""

from __future__ import annotations

import functools
import gc
import json
import secrets
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.certificate import Certificate, CertificateArgs
from components.dns_records import DnsRecords, DnsRecordsArgs
from components.front_door import host_routes
from components.listener_certificates import ListenerCertificates, ListenerCertificatesArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.registry_grant import RegistryGrant
from components.replication import Replication, ReplicationArgs
from components.service import Service
from components.service_args import ServiceArgs
from fleet import clock, rollout
from fleet.config import fleet_keys
from fleet.config_types import ConfigError, canary_release, problem
from fleet.dns import certificate_names
from fleet.image_use import repositories_in_use
from fleet.names import NAMESPACE, SERVICES_KEY, repository_name, stack_tags
from fleet.outputs import (
    DNS,
    LOAD_BALANCER_DNS,
    NETWORK,
    PROMOTION,
    REGISTRY,
    SERVICES,
    STACK,
    VPC_ID,
    DnsOutputs,
    parse_services,
    write_dns,
)
from fleet.release import BOOT_SCRIPT, identify_on_disk
from fleet.routing import listener_ports
from fleet.secret_settings import with_secret_settings
from fleet.slots import plan_services, refusals, retry_afresh
from fleet.stack_files import others, project_stack_files, stack_file_name
from fleet.validation import validate
from program.engine import require_replacement_triggers
from program.lookups import becoming_live_sizes, last_outputs, live_desired_capacity, rollback_markers
from program.network import resolve_network
from program.promotion import PromotionGuard, qualified_stack_name
from program.registry_access import check_registry_access

PROJECT_ROOT = Path(__file__).resolve().parent

# The program builds one graph of resources and Outputs and keeps nearly all of it until the engine is done with
# it, so the cyclic garbage collector finds almost nothing to free: peak memory of 100 services under the mocks is
# 282 MB without it, 277 MB with it. Its passes over the growing graph cost about 370 ms of the 3.3 s of CPU that
# evaluating 50 services takes, more per service the more there are (bench/evaluate.py). Off for the program's run.
gc.disable()


def stack_config() -> dict[str, Any]:
    """Every `fleet:` key the engine passes, unknown ones included (so typos are reported, not ignored)."""
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    return {key: _decode(value) for key, value in fleet_keys(raw).items()}


def services_config_is_secret() -> bool:
    """Whether Pulumi passed `fleet:services` as a secret: it holds a `secure:` value somewhere."""
    return pulumi.runtime.is_config_secret(SERVICES_KEY) or SERVICES_KEY in pulumi.runtime.get_config_secret_keys_env()


def _decode(value: Any) -> Any:
    """Structured config values reach the program as JSON text."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


require_replacement_triggers()
stack = pulumi.get_stack()
stack_files = project_stack_files(PROJECT_ROOT)
own_file = fleet_keys(stack_files.get(stack_file_name(stack), {}))
resolve = functools.cache(resolve_network)
validated = validate(
    with_secret_settings(stack_config(), own_file, stack, services_config_is_secret()),
    pulumi.Config("aws").get("region"),
    stack,
    project_root=PROJECT_ROOT,
    other_stack_files=others(stack_files, stack),
    # The stack's own last outputs (written only once every group passed its gate): what serves now, which every
    # change is checked against.
    read_last_outputs=lambda: last_outputs(qualified_stack_name(stack)),
    vpc_of=lambda network_config: resolve(network_config).vpc_id,
)
config, region, previous = validated.config, validated.region, validated.last_outputs
for warning in validated.warnings:
    pulumi.log.warn(warning)
previous_services = parse_services(previous)
live = rollout.live_services(previous_services)
# Whether the hosts can pull each image: lookups, so only for a config without problems.
access = check_registry_access(config, config.promotion, region, live) if config.promotion else None
if access and access.problems:
    raise ConfigError([problem(key, message) for key, message in access.problems])
if access:
    config = access.declared(config)
network = resolve(config.network)
promoted_repositories = repositories_in_use(list(validated.promoted))
identities = identify_on_disk(config.services, PROJECT_ROOT)
canary_identities = identify_on_disk(
    [canary_release(service) for service in config.services if service.canary], PROJECT_ROOT
)
boot_script = (PROJECT_ROOT / BOOT_SCRIPT).read_text()
attempt = secrets.token_hex(4)
# Which slot runs what (fleet/slots.py), refused like any bad config before the first resource: no free slot, or a
# release its alarms rolled back (fleetctl watch's markers).
live_desired = {service.name: live_desired_capacity(live.get(service.name)) for service in config.services}
markers = rollback_markers(stack)
plans = plan_services(
    stack,
    config,
    {name: identity.release_id for name, identity in identities.items()},
    {name: identity.release_id for name, identity in canary_identities.items()},
    previous_services,
    clock.now(),
    markers,
    live_desired,
)
if slot_problems := refusals(plans):
    raise ConfigError(slot_problems)
# A switch or finish whose earlier attempt changed its group's sizes boots that release afresh (fleet/slots.py).
plans = {
    service.name: retry_afresh(
        plans[service.name],
        previous_services.get(service.name),
        becoming_live_sizes(plans[service.name]),
        markers.get(service.name, {}),
    )
    for service in config.services
}

load_balancer = LoadBalancer(
    f"{NAMESPACE}-alb",
    LoadBalancerArgs(
        stack=stack,
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        subnet_ids=network.subnet_ids,
        listener_ports=listener_ports(config).http,
        target_ports=[service.port for service in config.services],
        https_ports=listener_ports(config).https,
    ),
)
hostnames = {hostname: service.name for service in config.services for hostname in service.hostnames}
# A managed certificate reaches the listeners only once validated; otherwise the user's, or none (HTTP only).
certificate_arn: pulumi.Input[str] | None = config.tls.certificate_arn if config.tls else None
if config.managed_certificate:
    assert config.dns is not None
    certificate_arn = Certificate(
        f"{NAMESPACE}-certificate",
        CertificateArgs(names=certificate_names(hostnames), zone_id=config.dns.zone_id, tags=stack_tags(stack)),
    ).validated_arn
routing = host_routes(
    config,
    previous_services,
    load_balancer.arn,
    certificate_arn,
    [load_balancer.security_group],
)
front_door = routing.front_door
if front_door and front_door.https_listener_arn and config.tls and config.tls.additional_certificate_arns:
    ListenerCertificates(
        f"{NAMESPACE}-sni",
        ListenerCertificatesArgs(
            listener_arn=front_door.https_listener_arn, certificate_arns=config.tls.additional_certificate_arns
        ),
    )
if config.dns:
    DnsRecords(
        f"{NAMESPACE}-dns",
        DnsRecordsArgs(
            hostnames=tuple(hostnames),
            zone_id=config.dns.zone_id,
            load_balancer_dns_name=load_balancer.dns_name,
            load_balancer_zone_id=load_balancer.zone_id,
            ip_address_type=load_balancer.ip_address_type,
        ),
    )
account_id = aws.get_caller_identity_output().account_id
replication = (
    Replication(
        f"{NAMESPACE}-registry",
        ReplicationArgs(stack=stack, consumers=config.registry.consumers, account_id=account_id, region=region),
    )
    if config.registry
    else None
)
grant = access.grant() if access else None
if grant:
    RegistryGrant(f"{NAMESPACE}-registry-grant", grant)
guard = PromotionGuard(config.promotion, config.services, previous_services) if config.promotion else None

services = {
    service.name: Service(
        service.name,
        ServiceArgs(
            stack=stack,
            config=service,
            release_id=identities[service.name].release_id,
            plan=plans[service.name],
            boot_script=boot_script,
            project_root=PROJECT_ROOT,
            region=region,
            account_id=account_id,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            load_balancer_arn=load_balancer.arn,
            load_balancer_arn_suffix=load_balancer.arn_suffix,
            load_balancer_dns_name=load_balancer.dns_name,
            load_balancer_security_group_id=load_balancer.security_group_id,
            load_balancer_security_group=load_balancer.security_group,
            previous=previous_services.get(service.name),
            attempt=attempt,
            live_desired=live_desired[service.name],
            image_ref=guard.image_refs[service.name] if guard else None,
            certificate_arn=certificate_arn,
            alarm_topic_arn=config.alarm_topic_arn,
            images_promoted=repository_name(stack, service.name) in promoted_repositories,
            image_replicated=bool(access and access.copies),
            canary_release_id=canary_identities[service.name].release_id if service.canary else None,
            canary_image_ref=guard.canary_image_refs.get(service.name) if guard else None,
            host_route=routing.routes.get(service.name),
            listener_aliases=routing.handbacks.get(service.name, (None, None)),
        ),
    )
    for service in config.services
}

pulumi.export(STACK, stack)
pulumi.export(LOAD_BALANCER_DNS, load_balancer.dns_name)
pulumi.export(NETWORK, {VPC_ID: network.vpc_id})
pulumi.export(SERVICES, {name: service.outputs for name, service in services.items()})
if guard:
    pulumi.export(PROMOTION, guard.outputs)
if replication:
    pulumi.export(REGISTRY, replication.outputs)
if config.dns:
    zone = config.dns
    pulumi.export(
        DNS,
        pulumi.Output.from_input(certificate_arn if config.managed_certificate else None).apply(
            lambda arn: write_dns(
                DnsOutputs(
                    zone_id=zone.zone_id,
                    zone_name=zone.zone_name,
                    hostnames=tuple(hostnames.items()),
                    certificate_arn=arn,
                )
            )
        ),
    )
