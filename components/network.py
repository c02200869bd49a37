"""Where a stack's load balancer and hosts live: the configured VPC, or the account's default one."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.config import NetworkConfig


@dataclass(frozen=True)
class Network:
    vpc_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]


def resolve_network(config: NetworkConfig) -> Network:
    """Looks up what the config leaves out. Lookups, not resources: fleet never creates or changes a VPC."""
    vpc_id = pulumi.Output.from_input(config.vpc_id) if config.vpc_id else aws.ec2.get_vpc_output(default=True).id
    if config.subnet_ids:
        return Network(vpc_id=vpc_id, subnet_ids=pulumi.Output.from_input(list(config.subnet_ids)))
    subnet_ids: pulumi.Output[list[str]] = vpc_id.apply(_default_subnets)
    return Network(vpc_id=vpc_id, subnet_ids=subnet_ids)


def _default_subnets(vpc_id: str) -> pulumi.Output[list[str]]:
    subnets = aws.ec2.get_subnets_output(filters=[{"name": "vpc-id", "values": [vpc_id]}])
    return subnets.ids.apply(sorted)
