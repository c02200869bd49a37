"""Where a stack's load balancer and hosts live: the configured VPC, or the account's default one."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.config import NetworkConfig


@dataclass(frozen=True)
class Network:
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    """Where the load balancer may send traffic: its targets live in this VPC."""
    subnet_ids: pulumi.Output[list[str]]


def resolve_network(config: NetworkConfig) -> Network:
    """Looks up what the config leaves out. Lookups, not resources: fleet never creates or changes a VPC."""
    vpc = aws.ec2.get_vpc_output(id=config.vpc_id) if config.vpc_id else aws.ec2.get_vpc_output(default=True)
    if config.subnet_ids:
        subnet_ids = pulumi.Output.from_input(list(config.subnet_ids))
    else:
        subnet_ids = vpc.id.apply(_default_subnets)
    return Network(vpc_id=vpc.id, vpc_cidr=vpc.cidr_block, subnet_ids=subnet_ids)


def _default_subnets(vpc_id: str) -> pulumi.Output[list[str]]:
    subnets = aws.ec2.get_subnets_output(filters=[{"name": "vpc-id", "values": [vpc_id]}])
    return subnets.ids.apply(sorted)
