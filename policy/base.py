"""What every rule module shares: the rule records, as the pack lists them, and readers of plain property values.

A rule's `check` reads `Resource` records (`policy.records`) and returns fix-it messages; `violations` runs it as
the pack does without the engine, `policy` wraps it for pulumi-policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .records import Resource, from_stack_args, from_validation_args


@dataclass(frozen=True)
class Violation:
    """One broken rule: which policy, on which resource (or "" for the stack), and how to fix it."""

    policy: str
    urn: str
    message: str


@dataclass(frozen=True)
class ResourceRule:
    """A rule over one resource of the given types."""

    name: str
    description: str
    resource_types: frozenset[str]
    check: Callable[[Resource], list[str]]

    def violations(self, resources: Sequence[Resource]) -> list[Violation]:
        return [
            Violation(self.name, resource.urn, message)
            for resource in resources
            if resource.type in self.resource_types
            for message in self.check(resource)
        ]

    def policy(self) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if args.resource_type in self.resource_types:
                for message in self.check(from_validation_args(args)):
                    report_violation(message, None)

        return ResourceValidationPolicy(
            self.name, self.description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
        )


@dataclass(frozen=True)
class StackRule:
    """A rule over all resources of a stack; `check` yields (urn, message) pairs."""

    name: str
    description: str
    check: Callable[[Sequence[Resource]], list[tuple[str, str]]]

    def violations(self, resources: Sequence[Resource]) -> list[Violation]:
        return [Violation(self.name, urn, message) for urn, message in self.check(resources)]

    def policy(self) -> StackValidationPolicy:
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            for urn, message in self.check(from_stack_args(args)):
                report_violation(message, urn)

        return StackValidationPolicy(
            self.name, self.description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
        )


def as_list(value: Any) -> list[Any]:
    """A list property as a list; absent, null and wholly unknown lists are empty."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def number(value: Any) -> float | None:
    """Numbers arrive as floats from the engine and ints from mocks; anything else is not a number."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def tags_of(resource: Resource) -> Mapping[str, Any]:
    return {**as_dict(resource.props.get("tagsAll")), **as_dict(resource.props.get("tags"))}


def references(resource: Resource, prop: str, values: Iterable[Any]) -> set[str]:
    """Known ARNs in `values` plus the URNs the property was computed from."""
    return {value for value in values if isinstance(value, str)} | set(resource.property_dependencies.get(prop, ()))
