"""The building stack's replication rule: ECR copies every image it pushes to its consumers' registries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_aws as aws

from fleet.config_types import Consumer
from fleet.outputs import write_record
from fleet.replication import registry_outputs, replication_configuration


@dataclass
class ReplicationArgs:
    stack: str
    consumers: tuple[Consumer, ...]
    """`fleet:registry.consumers`: the registries (account, region) of the stacks promoted from this one."""
    account_id: pulumi.Input[str]
    """This stack's account: its registry, which the `registry` output names for the consumers' checks."""
    region: str


class Replication(pulumi.ComponentResource):
    """One replication rule for this stack's repositories (`fleet-<stack>-`), to every consumer.

    ECR keeps one replication configuration per registry (account and region): this resource owns it, and a
    change rewrites it whole (PutReplicationConfiguration). Deleting it puts an empty one. A second building stack
    in the same account and region would overwrite this one: docs/cross-account.md.
    """

    outputs: pulumi.Output[dict[str, object]]
    """The stack's `registry` output (`fleet.outputs.RegistryOutputs`)."""

    def __init__(self, name: str, args: ReplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:replication:Replication", name, None, opts)
        aws.ecr.ReplicationConfiguration(
            f"{name}-rule",
            replication_configuration=cast(
                aws.ecr.ReplicationConfigurationReplicationConfigurationArgsDict,
                replication_configuration(args.stack, args.consumers),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs = pulumi.Output.from_input(args.account_id).apply(
            lambda account: write_record(registry_outputs(args.stack, account, args.region, args.consumers))
        )
        self.register_outputs({"registry": self.outputs})
