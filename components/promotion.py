"""The promotion guard: a promoted stack (prod) runs only images its source stack (staging) has deployed, or that
it ran itself.

Build once, promote the same artifact: an image reference that staging never ran is refused at preview, before
any host could run it. An image this stack ran before (its live release and history) passed the guard then, so a
rollback past the source's shorter history stays possible. An emergency override exists, and shows in the stack
outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from fleet.config import PromotionConfig
from fleet.outputs import ServiceOutputs, parse_services


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


def deployed_image_refs(services: Mapping[str, ServiceOutputs], service: str) -> set[str]:
    """Every image reference a stack ran for `service`: its live release and its release history."""
    outputs = services.get(service)
    return outputs.image_refs() if outputs else set()


class PromotionGuard:
    """Reads the source stack's outputs once and checks each service's image against them and this stack's own."""

    def __init__(self, config: PromotionConfig, own_services: Mapping[str, ServiceOutputs]) -> None:
        """`own_services`: the services of this stack's last successful update (none on its first)."""
        self.config = config
        self.source = qualified_stack_name(config.source)
        source = pulumi.StackReference("promotion-source", stack_name=self.source)
        self._source_services = source.outputs.apply(parse_services)
        self._own_services = own_services
        self._unverified: list[pulumi.Output[str | None]] = []

    def guard(self, service: str) -> Callable[[pulumi.Output[str]], pulumi.Output[str]]:
        """For `ServiceArgs.image_guard`: the reference, resolved only once verified (or overridden)."""

        def verify(image_ref: pulumi.Output[str]) -> pulumi.Output[str]:
            checked = pulumi.Output.all(image_ref, self._source_services).apply(
                lambda values: self._check(service, values[0], values[1])
            )
            self._unverified.append(checked.apply(lambda result: None if result[1] else service))
            return checked.apply(lambda result: result[0])

        return verify

    def _check(
        self,
        service: str,
        image_ref: str,
        source_services: Mapping[str, ServiceOutputs],
    ) -> tuple[str, bool]:
        own_services = self._own_services
        if image_ref in deployed_image_refs(source_services, service) | deployed_image_refs(own_services, service):
            return image_ref, True
        message = (
            f"fleet:services.{service}.image.ref: {image_ref} was never deployed by stack {self.source}, "
            f"nor run by this stack ({pulumi.get_stack()}) in its release history. "
            f"Promote what {self.config.source} runs with `fleetctl promote {self.config.source} "
            f"{pulumi.get_stack()}`"
        )
        if not self.config.allow_unverified:
            raise UnpromotedImageError(f"{message}, or set fleet:promotion.allowUnverified: true in an emergency.")
        pulumi.log.warn(f"{message}. Running it anyway: fleet:promotion.allowUnverified is true.")
        return image_ref, False

    def outputs(self) -> pulumi.Output[dict[str, Any]]:
        """The `promotion` stack output: where images come from, and whether the override let one through."""
        return pulumi.Output.all(*self._unverified).apply(
            lambda services: {
                "source": self.source,
                "verified": not any(services),
                "override": self.config.allow_unverified,
                "unverifiedServices": sorted(s for s in services if s),
            }
        )
