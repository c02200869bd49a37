"""The stack's names in its Route 53 zone: each hostname an alias of the stack's load balancer.

The records point at the load balancer, which outlives every release, never at a release: a deploy moves traffic
between target groups behind it and never changes a record. An alias (not a CNAME) works at a zone's apex, costs
no queries (Route 53 does not bill alias queries to AWS resources) and follows the load balancer's addresses.
`evaluate_target_health` lets Route 53 withhold the name when the load balancer has no healthy target anywhere.

Updates are in place: a record's alias target and type are updated with an UPSERT, only its `name` and `zone_id`
are ForceNew (terraform-provider-aws internal/service/route53/record.go at 6f9f4734). Each record is named by its
hostname, so a hostname moving between services, or a service renamed, keeps its record.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.dns import dual_stack


@dataclass
class DnsRecordsArgs:
    hostnames: tuple[str, ...]
    """Every hostname of the stack, each once; all inside the zone (`fleet.config_rules` refuses others)."""
    zone_id: str
    load_balancer_dns_name: pulumi.Input[str]
    load_balancer_zone_id: pulumi.Input[str]
    """The load balancer's canonical hosted zone (its region's ELB zone): the alias target's zone."""
    ip_address_type: str
    """The load balancer's `ip_address_type`: AAAA records only for a dual-stack one (`fleet.dns.dual_stack`)."""


class DnsRecords(pulumi.ComponentResource):
    fqdns: pulumi.Output[list[str]]

    def __init__(self, name: str, args: DnsRecordsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:dns_records:DnsRecords", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        alias: aws.route53.RecordAliasArgsDict = {
            "name": args.load_balancer_dns_name,
            "zone_id": args.load_balancer_zone_id,
            "evaluate_target_health": True,
        }
        types = ("A", "AAAA") if dual_stack(args.ip_address_type) else ("A",)
        records = [
            aws.route53.Record(
                f"{name}-{hostname}-{record_type.lower()}",
                zone_id=args.zone_id,
                name=hostname,
                type=record_type,
                aliases=[alias],
                opts=child,
            )
            for hostname in args.hostnames
            for record_type in types
        ]
        self.fqdns = pulumi.Output.all(*[record.fqdn for record in records])
        self.register_outputs({"fqdns": self.fqdns})
