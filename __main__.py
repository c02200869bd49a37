"""fleet: web services on AWS as immutable servers. Reads and validates the stack config, builds, exports."""

from __future__ import annotations

import gc
import json
import secrets
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.front_door import host_routes
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.service import Service
from components.service_args import ServiceArgs
from fleet import rollout
from fleet.config import (
    ConfigError,
    canary_release,
    fleet_keys,
    listener_ports,
    parse_config,
    problem,
    region_problems,
)
from fleet.image_use import promoted_images, removed_service_problems, repositories_in_use
from fleet.names import NAMESPACE, SERVICES_KEY, repository_name
from fleet.outputs import LOAD_BALANCER_DNS, NETWORK, PROMOTION, SERVICES, STACK, VPC_ID, live_vpc_id, parse_services
from fleet.release import BOOT_SCRIPT, identify_on_disk
from fleet.secret_settings import stack_file_keys, with_secret_settings
from program.lookups import last_outputs, live_desired_capacity
from program.network import resolve_network
from program.promotion import PromotionGuard, qualified_stack_name

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


stack = pulumi.get_stack()
config = parse_config(
    with_secret_settings(stack_config(), stack_file_keys(PROJECT_ROOT, stack), stack, services_config_is_secret()),
    stack,
    PROJECT_ROOT,
)
region = pulumi.Config("aws").require("region")
promoted = promoted_images(PROJECT_ROOT, stack, region)
identities = identify_on_disk(config.services, PROJECT_ROOT)
canary_identities = identify_on_disk(
    [canary_release(service) for service in config.services if service.canary], PROJECT_ROOT
)
boot_script = (PROJECT_ROOT / BOOT_SCRIPT).read_text()

# The stack's own outputs from its last successful update: what serves now, which every change is checked against.
previous = last_outputs(qualified_stack_name(stack))
previous_services = parse_services(previous)
live = rollout.live_services(previous_services)
network = resolve_network(config.network)
refused = [
    *rollout.unsafe_changes(config, live, live_vpc_id(previous), network.vpc_id),
    *region_problems(config, region),
    *removed_service_problems(config, promoted),
]
if refused:
    raise ConfigError([problem(key, message) for key, message in refused])
promoted_repositories = repositories_in_use(promoted)
for warning in rollout.health_check_path_warnings(config, live):
    pulumi.log.warn(warning)
attempt = secrets.token_hex(4)

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
routing = host_routes(config, previous_services, load_balancer.arn, config.tls.certificate_arn if config.tls else None)
account_id = aws.get_caller_identity_output().account_id
guard = PromotionGuard(config.promotion, config.services, previous_services) if config.promotion else None

services = {
    service.name: Service(
        service.name,
        ServiceArgs(
            stack=stack,
            config=service,
            release_id=identities[service.name].release_id,
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
            previous=previous_services.get(service.name),
            attempt=attempt,
            live_desired=live_desired_capacity(live.get(service.name)),
            image_ref=guard.image_refs[service.name] if guard else None,
            certificate_arn=config.tls.certificate_arn if config.tls else None,
            alarm_topic_arn=config.alarm_topic_arn,
            images_promoted=repository_name(stack, service.name) in promoted_repositories,
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
