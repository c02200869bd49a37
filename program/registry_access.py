"""Whether a promoted stack's hosts can pull the images it pins: checked before any resource is declared.

The source stack's `registry` output says which registries it replicates to; this stack's account is asked of
AWS. An image that nothing lets this stack pull is refused here, never found out at a release's health gate. In a
replicated registry an image arrives asynchronously, and only if it was pushed after replication was set up
(Amazon ECR User Guide, "Private image replication": "Any preexisting content in a repository isn't replicated"),
so each pinned image is looked up there too: a live service's absent image is refused, a new service waits (it is
not declared: the first deploy of a consumer creates the registry grant replication needs), and an image already
there runs even if the source no longer replicates here (with a warning), so a rollback never waits on staging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pulumi
import pulumi_aws as aws

from fleet.config_types import FleetConfig, PromotionConfig
from fleet.outputs import RegistryOutputs, parse_registry
from fleet.replication import (
    PinnedImage,
    ReplicationGrant,
    copies_here,
    needs_registry_policy,
    not_replicated,
    pinned_images,
    pull_problems,
)
from fleet.rollout import LiveService
from program.lookups import last_outputs
from program.promotion import qualified_stack_name


@dataclass
class RegistryAccess:
    """What the program learnt about where a promoted stack's images come from."""

    account: str
    region: str
    source_registry: RegistryOutputs | None
    problems: list[tuple[str, str]] = field(default_factory=list)
    """Images the hosts could not pull: refused with the other problems, before anything is declared."""
    waiting: list[str] = field(default_factory=list)
    """New services whose image has not reached this registry yet: not declared in this update."""

    @property
    def copies(self) -> bool:
        """This stack pulls from copies in its own registry, apart from its source's."""
        return copies_here(self.source_registry, self.account, self.region)

    def grant(self) -> ReplicationGrant | None:
        """The registry policy this stack declares so that its source can replicate here; None when none is
        needed (the source is in this account, or does not replicate here)."""
        source = self.source_registry
        if source is None or not needs_registry_policy(source, self.account, self.region):
            return None
        assert source.account, "a registry output names its account"
        assert source.repository_prefix, "a registry output names its repositories' prefix"
        return ReplicationGrant(
            source_account=source.account,
            repository_prefix=source.repository_prefix,
            account=self.account,
            region=self.region,
        )

    def declared(self, config: FleetConfig) -> FleetConfig:
        """The config without the services still waiting for their image."""
        return replace(config, services=tuple(s for s in config.services if s.name not in self.waiting))


def check_registry_access(
    config: FleetConfig, promotion: PromotionConfig, region: str, live: Mapping[str, LiveService]
) -> RegistryAccess:
    """Look up this stack's account and its source's `registry` output, and check every pinned image."""
    account = aws.get_caller_identity().account_id
    source_registry = parse_registry(last_outputs(qualified_stack_name(promotion.source)))
    images = pinned_images(config)
    access = RegistryAccess(
        account=account,
        region=region,
        source_registry=source_registry,
        problems=pull_problems(images, promotion.source, account, region),
    )
    if access.problems or not access.copies:
        return access
    source = promotion.source
    replicated = source_registry is not None and source_registry.replicates_to(account, region)
    for image in images:
        absent = _absent(image)
        if absent is None and not replicated:
            pulumi.log.warn(
                f"fleet:{image.key}: is in this stack's registry, but {not_replicated(source, account, region)}"
            )
        elif absent is None:
            continue
        elif not replicated:
            access.problems.append(
                (image.key, f"is not in this stack's registry ({absent}): {not_replicated(source, account, region)}")
            )
        elif image.service not in live:
            if image.service not in access.waiting:
                access.waiting.append(image.service)
                granted = f"This update grants {source} replication here; " if access.grant() else ""
                pulumi.log.warn(
                    f"fleet:{image.key}: not in this stack's registry yet ({absent}): service {image.service} is "
                    f"not declared in this update. {granted}ECR copies what {source} pushes once replication "
                    f"here is set up (never what it pushed before). Deploy a new build of {source}, `fleetctl "
                    "promote` it, and deploy this stack again"
                )
        else:
            access.problems.append(
                (
                    image.key,
                    f"is not in this stack's registry ({absent}): ECR has not replicated it (yet). It copies what "
                    f"{source} pushes after replication to {account} in {region} was set up, usually within "
                    "minutes; retry, or promote a build pushed since",
                )
            )
    return access


def _absent(image: PinnedImage) -> str | None:
    """None when the image is in its registry; else what the lookup said (DescribeImages by digest)."""
    try:
        aws.ecr.get_image(registry_id=image.account, repository_name=image.repository, image_digest=image.digest)
    except Exception as error:  # the provider reports a missing image or repository as a failed invoke
        return " ".join(str(error).split()) or type(error).__name__
    return None
