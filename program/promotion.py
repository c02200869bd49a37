"""The promotion guard: a promoted stack (prod) runs only images its source stack (staging) has deployed, or that
it ran itself.

Build once, promote the same artifact: an image that staging never ran is refused at preview, before any host could
run it. Images are compared by repository and digest, so the copy ECR replicated into this stack's own registry is
the image staging deployed (`fleet.replication.same_image`). An image this stack ran before (its live release,
canary and history) passed the guard then, so a rollback past the source's shorter history stays possible. An
emergency override exists, and shows in the stack outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import pulumi

from fleet.config_types import PromotionConfig, ServiceConfig, canary_release
from fleet.image_use import image_provenance
from fleet.outputs import SERVICES, ServiceOutputs, parse_services_output


class UnpromotedImageError(Exception):
    """The image a promoted stack would run was never deployed by its source stack."""


def qualified_stack_name(name: str) -> str:
    """`staging` -> `<org>/<project>/staging`; `project/stack` gets the organization; a full name stays."""
    parts = name.split("/")
    if len(parts) == 1:
        parts = [pulumi.get_project(), *parts]
    if len(parts) == 2:
        parts = [pulumi.get_organization(), *parts]
    return "/".join(parts)


class PromotionGuard:
    """The verified image reference of each service of a promoted stack, and the `promotion` stack output.

    Reads the source stack's outputs once and checks each service's image against them and this stack's own. A
    promoted stack never builds (`fleet.config_rules`), so every service names its image by reference.
    """

    image_refs: dict[str, pulumi.Output[str]]
    """For `ServiceArgs.image_ref`, by service: its reference, resolved only once verified (or overridden)."""
    canary_image_refs: dict[str, pulumi.Output[str]]
    """For `ServiceArgs.canary_image_ref`, by service with a canary: the canary's reference, verified the same way."""
    outputs: pulumi.Output[dict[str, Any]]
    """The `promotion` stack output: where images come from, and whether the override let one through."""

    def __init__(
        self,
        config: PromotionConfig,
        services: Sequence[ServiceConfig],
        own_services: Mapping[str, ServiceOutputs],
    ) -> None:
        """`own_services`: the services of this stack's last outputs (none on its first)."""
        self.config = config
        self.source = qualified_stack_name(config.source)
        self._own_services = own_services
        # Only the `services` output: StackReference.get_output keeps it plain unless that output is a secret.
        source_services = (
            pulumi.StackReference("promotion-source", stack_name=self.source)
            .get_output(SERVICES)
            .apply(parse_services_output)
        )
        checked = {
            service.name: source_services.apply(partial(self._check, service.name, "image", _image_ref(service)))
            for service in services
        }
        canaries = {
            service.name: source_services.apply(
                partial(self._check, service.name, "canary.image", _image_ref(canary_release(service)))
            )
            for service in services
            if service.canary is not None
        }
        self.image_refs = {name: result.apply(lambda result: result[0]) for name, result in checked.items()}
        self.canary_image_refs = {name: result.apply(lambda result: result[0]) for name, result in canaries.items()}
        unverified = [
            result.apply(partial(_unless_verified, name)) for name, result in [*checked.items(), *canaries.items()]
        ]
        self.outputs = pulumi.Output.all(*unverified).apply(
            lambda names: {
                "source": self.source,
                "verified": not any(names),
                "override": config.allow_unverified,
                # A service whose image and canary image both went unverified is named once.
                "unverifiedServices": sorted({name for name in names if name}),
            }
        )

    def _check(
        self, service: str, image_key: str, image_ref: str, source_services: Mapping[str, ServiceOutputs]
    ) -> tuple[str, bool]:
        """The reference and whether it is verified; refused unless verified or overridden. `image_key` names the
        image in the service's config: `image`, or `canary.image`."""
        if image_provenance(image_ref, service, source_services, self._own_services):
            return image_ref, True
        canary = " --canary" if image_key.startswith("canary.") else ""
        # The source as the stack file names it: under `fleetctl plan` the qualified name is the mocks' invention.
        message = (
            f"fleet:services.{service}.{image_key}.ref: {image_ref} was never deployed by stack {self.config.source}, "
            f"nor run by this stack ({pulumi.get_stack()}) in its release history. "
            f"Promote what {self.config.source} runs with `fleetctl promote {self.config.source} "
            f"{pulumi.get_stack()}{canary}`"
        )
        if not self.config.allow_unverified:
            raise UnpromotedImageError(f"{message}, or set fleet:promotion.allowUnverified: true in an emergency.")
        pulumi.log.warn(f"{message}. Running it anyway: fleet:promotion.allowUnverified is true.")
        return image_ref, False


def _unless_verified(service: str, result: tuple[str, bool]) -> str | None:
    """The service, if only the override let its image through."""
    return None if result[1] else service


def _image_ref(service: ServiceConfig) -> str:
    assert service.image.ref is not None, "config guarantees a promoted stack's services run a reference"
    return service.image.ref
