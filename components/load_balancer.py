"""The stack's internet-facing load balancer: it outlives every release, and is the only way in to the hosts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from fleet.names import LOAD_BALANCER_ROLE, ROLE_TAG, stack_tags

IP_ADDRESS_TYPE = "ipv4"
"""The load balancer's `ip_address_type`: IPv4 only, the provider's default, which the program does not pass (so
existing stacks keep their inputs). DNS records follow it: no AAAA record until this is dual-stack."""


@dataclass
class LoadBalancerArgs:
    stack: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    vpc_cidr: pulumi.Input[str]
    listener_ports: list[int]
    """One HTTP listener per service; each port is opened to the internet on the load balancer only."""
    target_ports: list[int]
    """The services' ports on their hosts: the only traffic the load balancer may send, and only into the VPC."""
    https_ports: list[int] = field(default_factory=list)
    """One HTTPS listener per service when the stack has a certificate; opened to the internet like the others."""


class LoadBalancer(pulumi.ComponentResource):
    security_group: aws.ec2.SecurityGroup
    """Its firewall, whose inline ingress rules open the listener ports to the internet."""
    security_group_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    """`app/<name>/<id>`: the CloudWatch dimension of the load balancer."""
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    """The load balancer's canonical hosted zone: where an alias record to it points."""
    ip_address_type = IP_ADDRESS_TYPE

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:load_balancer:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = stack_tags(args.stack)

        # Inline rules: the group is this component's alone.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description=f"fleet {args.stack}: internet to the load balancer",
            vpc_id=args.vpc_id,
            ingress=[_from_internet(f"HTTP listener {port}", port) for port in args.listener_ports]
            + [_from_internet(f"HTTPS listener {port}", port) for port in args.https_ports],
            egress=[
                {
                    "description": f"to service hosts on {port}",
                    "protocol": "tcp",
                    "from_port": port,
                    "to_port": port,
                    "cidr_blocks": [args.vpc_cidr],
                }
                for port in sorted(set(args.target_ports))
            ],
            tags={**tags, ROLE_TAG: LOAD_BALANCER_ROLE},
            opts=child,
        )
        load_balancer = aws.lb.LoadBalancer(
            name,
            load_balancer_type="application",
            internal=False,
            security_groups=[security_group.id],
            subnets=args.subnet_ids,
            drop_invalid_header_fields=True,
            tags=tags,
            opts=child,
        )

        self.security_group = security_group
        self.security_group_id = security_group.id
        self.arn = load_balancer.arn
        self.arn_suffix = load_balancer.arn_suffix
        self.dns_name = load_balancer.dns_name
        self.zone_id = load_balancer.zone_id
        self.register_outputs({"arn": self.arn, "dnsName": self.dns_name})


def _from_internet(description: str, port: int) -> aws.ec2.SecurityGroupIngressArgsDict:
    return {
        "description": description,
        "protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "cidr_blocks": ["0.0.0.0/0"],
    }
