"""fleet: web services on AWS as immutable servers. Reads and validates the stack config, builds, exports."""

from __future__ import annotations

import gc
import json
from functools import partial
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.network import resolve_network
from components.promotion import PromotionGuard, qualified_stack_name
from components.service import Service, ServiceArgs
from fleet.config import NAMESPACE, check_regions, fleet_keys, parse_config
from fleet.image_use import repositories_in_use, repository_name
from fleet.release import BOOT_SCRIPT, identify_on_disk

PROJECT_ROOT = Path(__file__).resolve().parent

# A short-lived process that allocates many small cyclic objects (the SDK's futures and tasks): with the default
# thresholds, garbage collection took about half of the evaluation of 50 services (bench/evaluate.py).
gc.freeze()
gc.set_threshold(50_000, 20, 20)


def stack_config() -> dict[str, Any]:
    """Every `fleet:` key the engine passes, unknown ones included (so typos are reported, not ignored)."""
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    return {key: _decode(value) for key, value in fleet_keys(raw).items()}


def _decode(value: Any) -> Any:
    """Structured config values reach the program as JSON text."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def service_outputs(name: str, services: dict[str, Any] | None) -> dict[str, Any] | None:
    return (services or {}).get(name)


stack = pulumi.get_stack()
config = parse_config(stack_config(), stack, PROJECT_ROOT)
region = pulumi.Config("aws").require("region")
check_regions(config, region)
promoted_repositories = repositories_in_use(config, PROJECT_ROOT, region)
identities = identify_on_disk(config.services, PROJECT_ROOT)
boot_script = (PROJECT_ROOT / BOOT_SCRIPT).read_text()

network = resolve_network(config.network)
load_balancer = LoadBalancer(
    f"{NAMESPACE}-alb",
    LoadBalancerArgs(
        stack=stack,
        vpc_id=network.vpc_id,
        vpc_cidr=network.vpc_cidr,
        subnet_ids=network.subnet_ids,
        listener_ports=[service.public_port for service in config.services],
        target_ports=[service.port for service in config.services],
        https_ports=[service.https_port for service in config.services] if config.tls else [],
    ),
)
account_id = aws.get_caller_identity_output().account_id
# The stack's own outputs from its last successful update: the live release each cut-over replaces.
previous = pulumi.StackReference("previous-deployment", stack_name=qualified_stack_name(stack))
previous_services = previous.get_output("services")
guard = PromotionGuard(config.promotion) if config.promotion else None

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
            load_balancer_dns_name=load_balancer.dns_name,
            load_balancer_security_group_id=load_balancer.security_group_id,
            load_balancer_arn_suffix=load_balancer.arn_suffix,
            previous=previous_services.apply(partial(service_outputs, service.name)),
            image_guard=guard.guard(service.name) if guard else None,
            certificate_arn=config.tls.certificate_arn if config.tls else None,
            alarm_topic_arn=config.alarm_topic_arn,
            images_promoted=repository_name(stack, service.name) in promoted_repositories,
        ),
    )
    for service in config.services
}

pulumi.export("stack", stack)
pulumi.export("loadBalancerDns", load_balancer.dns_name)
pulumi.export("services", {name: service.outputs for name, service in services.items()})
if guard:
    pulumi.export("promotion", guard.outputs())
