"""Prod in its own account and region: ECR replicates the building stack's repositories to its consumers.

A stack that builds (staging) lists its consumers (`fleet:registry.consumers`) and declares the registry's
replication rule; each consumer stack (prod) declares, in its own account, the registry policy that lets the
source replicate into it, and pins the copy in its own registry by the same digest. Its hosts then pull from their
own account and region: a scale-out never depends on staging's account or region, and no image crosses a region
more than once. Why replication and not a repository policy: docs/cross-account.md.

Plain Python: the documents the components declare and the rules a consumer's images are checked against, before
any resource is declared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fleet.config_types import ECR_DIGEST_REF, Consumer, FleetConfig, ImageSource
from fleet.names import stack_prefix
from fleet.outputs import ConsumerOutputs, RegistryOutputs
from fleet.regions import partition_of

PREFIX_MATCH = "PREFIX_MATCH"
"""The only repository filter type ECR has (botocore ecr service-2.json, `RepositoryFilterType`)."""
REPLICATION_ACTIONS = ("ecr:CreateRepository", "ecr:ReplicateImage")
"""What a destination registry's policy grants the source: ReplicateImage, and CreateRepository for the first
image of a service (ECR creates the repository in the destination; Amazon ECR User Guide, "Private registry
permissions")."""


def repository_prefix(stack: str) -> str:
    """The start of every repository name a building stack pushes to (`fleet.names.repository_name`)."""
    return stack_prefix(stack)


def replication_configuration(stack: str, consumers: Iterable[Consumer]) -> dict[str, Any]:
    """`aws.ecr.ReplicationConfiguration.replication_configuration`: one rule, this stack's repositories only, to
    every consumer."""
    return {
        "rules": [
            {
                "destinations": [
                    {"region": consumer.region, "registry_id": consumer.account} for consumer in consumers
                ],
                "repository_filters": [{"filter": repository_prefix(stack), "filter_type": PREFIX_MATCH}],
            }
        ]
    }


def registry_outputs(stack: str, account: str, region: str, consumers: Iterable[Consumer]) -> RegistryOutputs:
    """The source's `registry` output: what its consumers' programs check their images against."""
    return RegistryOutputs(
        account=account,
        region=region,
        repository_prefix=repository_prefix(stack),
        consumers=tuple(ConsumerOutputs(account=consumer.account, region=consumer.region) for consumer in consumers),
    )


@dataclass(frozen=True)
class ReplicationGrant:
    """What a consumer's registry policy grants: the source account replication into the source's repositories."""

    source_account: str
    """The account of the building stack (its `registry` output)."""
    repository_prefix: str
    """The source's repositories, `fleet-<source>-`: the only ones it may replicate into or create here."""
    account: str
    """The consumer's own account and region: its registry."""
    region: str


def registry_policy(source_account: str, prefix: str, account: str, region: str) -> dict[str, Any]:
    """The consumer registry's policy: the source account may replicate into (and create) the repositories of the
    source's prefix, and nothing else. Needed across accounts only; within one account replication needs none."""
    partition = partition_of(region) or "aws"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FleetReplicationFromSource",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{source_account}:root"},
                "Action": list(REPLICATION_ACTIONS),
                "Resource": f"arn:{partition}:ecr:{region}:{account}:repository/{prefix}*",
            }
        ],
    }


@dataclass(frozen=True)
class PinnedImage:
    """One digest-pinned image of a promoted stack's config: the key that names it, and where it is."""

    key: str
    """`services.web.image.ref` or `services.web.canary.image.ref`."""
    service: str
    account: str
    region: str
    repository: str
    digest: str


def pinned_images(config: FleetConfig) -> list[PinnedImage]:
    """Every image a promoted stack pins (service and canary), with its registry."""
    sources: list[tuple[str, str, ImageSource]] = []
    for service in config.services:
        sources.append((f"services.{service.name}.image.ref", service.name, service.image))
        if service.canary is not None:
            sources.append((f"services.{service.name}.canary.image.ref", service.name, service.canary.image))
    pinned = []
    for key, name, image in sources:
        match = image.ref_match
        if match is not None:
            pinned.append(
                PinnedImage(key, name, match["account"], match["region"], match["repository"], match["digest"])
            )
    return pinned


def pull_problems(images: Iterable[PinnedImage], source: str, account: str, region: str) -> list[tuple[str, str]]:
    """(key, message) for each image in a registry this stack's hosts (in `account`, `region`) never pull from,
    found before a release starts rather than at its health gate.

    A host pulls from its own registry only: another region's needs a token of that region (fleet.config_rules
    `_image_region_problems` refuses those offline), another account's needs a grant fleet never makes (the
    source replicates instead).
    """
    add = consumer_entry(account, region)
    return [
        (
            image.key,
            f"names the registry of account {image.account}, but this stack runs in account {account}, and nothing "
            f"grants it pulls from there: fleet replicates instead. Add {add} to fleet:registry.consumers of "
            f"{source}, deploy {source}, then `fleetctl promote` pins the copy in this account's registry",
        )
        for image in images
        if image.region == region and image.account != account
    ]


def not_replicated(source: str, account: str, region: str) -> str:
    """Why an image of this stack's own registry may not be there, or may be the last one to arrive."""
    add = consumer_entry(account, region)
    return (
        f"{source} does not replicate to this stack's registry ({account} in {region}; its fleet:registry.consumers "
        f"lack {add}), so new builds never arrive. Add {add} to fleet:registry.consumers of {source} and deploy it"
    )


def consumer_entry(account: str, region: str) -> str:
    """A consumer as `fleet:registry.consumers` lists it."""
    return f'{{account: "{account}", region: {region}}}'


def copies_here(source_registry: RegistryOutputs | None, account: str, region: str) -> bool:
    """Whether this stack pulls from a copy in its own registry, apart from the source's (so its images arrive
    asynchronously, by replication)."""
    return source_registry is not None and (source_registry.account, source_registry.region) != (account, region)


def needs_registry_policy(source_registry: RegistryOutputs | None, account: str, region: str) -> bool:
    """A consumer in another account grants the source replication into its registry; one in the source's own
    account needs no policy (replication within an account runs with ECR's service-linked role)."""
    return (
        source_registry is not None
        and source_registry.account != account
        and source_registry.replicates_to(account, region)
    )


def same_image(ref: str) -> tuple[str, str] | str:
    """What makes two references the same image: its repository and digest, whichever registry holds it. ECR
    replication copies an image under the same repository name and digest (a digest names the manifest's bytes),
    so the copy in this stack's registry is the image the source deployed; where the hosts may pull it from is
    checked apart (`pull_problems`)."""
    match = ECR_DIGEST_REF.match(ref)
    return (match["repository"], match["digest"]) if match else ref
