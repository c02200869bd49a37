"""A consumer's side of replication: its registry lets the source stack's account replicate into it."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from fleet.replication import ReplicationGrant, registry_policy

RegistryGrantArgs = ReplicationGrant
"""The grant is plain data, computed before anything is declared (`program.registry_access`)."""


class RegistryGrant(pulumi.ComponentResource):
    """The registry policy of this stack's account and region, granting the source ecr:ReplicateImage and
    ecr:CreateRepository on its repositories only.

    ECR keeps one registry policy per registry (account and region): this resource owns it, and PutRegistryPolicy
    replaces whatever policy the registry had (docs/cross-account.md).
    """

    def __init__(self, name: str, args: RegistryGrantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:registry_grant:RegistryGrant", name, None, opts)
        document = registry_policy(args.source_account, args.repository_prefix, args.account, args.region)
        self.policy = aws.ecr.RegistryPolicy(
            f"{name}-policy", policy=json.dumps(document), opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({})
