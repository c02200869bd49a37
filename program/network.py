"""Where a stack's load balancer and hosts live: the configured VPC, or the account's default one."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws

from fleet.config_types import NetworkConfig


@dataclass(frozen=True)
class Network:
    vpc_id: str
    vpc_cidr: str
    """Where the load balancer may send traffic: its targets live in this VPC."""
    subnet_ids: list[str]


def resolve_network(config: NetworkConfig) -> Network:
    """Looks up what the config leaves out. Lookups, not resources: fleet never creates or changes a VPC.

    Synchronous, so a move to another VPC is refused (`fleet.rollout.unsafe_changes`) before any resource exists.
    """
    vpc = aws.ec2.get_vpc(id=config.vpc_id) if config.vpc_id else aws.ec2.get_vpc(default=True)
    if config.subnet_ids:
        subnet_ids = list(config.subnet_ids)
    else:
        subnet_ids = sorted(aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}]).ids)
    return Network(vpc_id=vpc.id, vpc_cidr=vpc.cidr_block, subnet_ids=subnet_ids)
