"""Which of a stack's ECR repositories the stacks promoted from it still run: what must not be deleted.

A building stack (staging) owns one repository per service; a promoted stack (prod) runs images from them by
digest. Removing a service from the building stack deletes its repository with every image in it, so that is
allowed only once no promoted stack's file still points at it. The promoted stacks' files are in the same project
(`Pulumi.<stack>.yaml`), so the program reads them, before it declares anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.config import fleet_keys
from fleet.config_types import ECR_DIGEST_REF, FleetConfig
from fleet.names import repository_name, same_stack, service_of_repository, stack_prefix
from fleet.outputs import ServiceOutputs
from fleet.replication import same_image


@dataclass(frozen=True)
class PromotedImage:
    """A service of a promoted stack that runs an image from a repository of the stack it is promoted from."""

    stack_file: str
    service: str
    repository: str


def promoted_images(stack_files: Mapping[str, Mapping[str, Any]], stack: str, region: str) -> list[PromotedImage]:
    """Every image of `stack`'s repositories (in `region`) that a stack promoted from `stack` pins in its file.

    `stack_files`: the `config:` mapping of each other stack file of the project, by file name
    (`fleet.stack_files`)."""
    found = []
    for name, stack_config in sorted(stack_files.items()):
        config = fleet_keys(stack_config)
        promotion = config.get("promotion")
        source = promotion.get("from") if isinstance(promotion, dict) else None
        if not isinstance(source, str) or not same_stack(source, stack):
            continue
        services = config.get("services")
        for service, settings in (services if isinstance(services, dict) else {}).items():
            image = settings.get("image") if isinstance(settings, dict) else None
            ref = image.get("ref") if isinstance(image, dict) else None
            match = ECR_DIGEST_REF.match(ref) if isinstance(ref, str) else None
            if match and match["region"] == region and match["repository"].startswith(stack_prefix(stack)):
                found.append(PromotedImage(stack_file=name, service=service, repository=match["repository"]))
    return found


def repositories_in_use(uses: list[PromotedImage]) -> frozenset[str]:
    """The repositories whose images promoted stacks run: the ones that must keep them (no `force_delete`)."""
    return frozenset(use.repository for use in uses)


def removed_service_problems(config: FleetConfig, uses: list[PromotedImage]) -> list[tuple[str, str]]:
    """(key, message) for each service this stack no longer declares whose images a promoted stack still runs:
    removing it would delete its repository, and the promoted stack's hosts could no longer pull their image.
    """
    declared = {repository_name(config.stack, service.name) for service in config.services}
    return [
        (
            f"services.{service_of_repository(use.repository, config.stack)}",
            f"removed from this stack, but {use.stack_file} still runs its image (fleet:services.{use.service}"
            f".image.ref points at repository {use.repository}), and removing the service deletes that repository "
            f"with its images. Remove service {use.service} from {use.stack_file} and deploy that stack first, then "
            "remove it here",
        )
        for use in uses
        if use.repository not in declared
    ]


SOURCE_DEPLOYED = "deployed by the source stack"
OWN_HISTORY = "run by this stack before (its release history: a rollback)"


def image_provenance(
    image_ref: str,
    service: str,
    source_services: Mapping[str, ServiceOutputs],
    own_services: Mapping[str, ServiceOutputs],
) -> str | None:
    """Which check of the promotion guard lets a promoted stack run `image_ref` for `service`: SOURCE_DEPLOYED when
    its source stack ran it (live, canary or history), else OWN_HISTORY when this stack did; None when neither.
    Images are compared by repository and digest (`fleet.replication.same_image`): the copy ECR replicated into
    this stack's own registry is the image its source ran."""
    for services, provenance in ((source_services, SOURCE_DEPLOYED), (own_services, OWN_HISTORY)):
        outputs = services.get(service)
        if outputs is not None and same_image(image_ref) in {same_image(ref) for ref in outputs.image_refs()}:
            return provenance
    return None
