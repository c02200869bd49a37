"""Plain resource records the rules read, and adapters that build them.

Rules never see pulumi-policy objects: those wrap properties in proxies that raise on values unknown during
preview, which would abort a whole policy over one unknown field. The adapters copy properties into plain
dicts and lists with `UNKNOWN` in place of each unknown value, so every rule decides per field what an unknown
means. The same records come from the policy engine (`from_validation_args`, `from_stack_args`) or from a
program run under Pulumi mocks (`declared`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pulumi
from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy import proxy as policy_proxy
from pulumi_policy.proxy import UnknownValueError


class Unknown(Enum):
    """A value the engine cannot know yet (during preview it is computed by a resource not yet created)."""

    UNKNOWN = "<unknown during preview>"


UNKNOWN = Unknown.UNKNOWN

_UNKNOWN_SENTINELS = frozenset(
    {
        policy_proxy.UNKNOWN_BOOLEAN_VALUE,
        policy_proxy.UNKNOWN_NUMBER_VALUE,
        policy_proxy.UNKNOWN_STRING_VALUE,
        policy_proxy.UNKNOWN_ARRAY_VALUE,
        policy_proxy.UNKNOWN_ASSET_VALUE,
        policy_proxy.UNKNOWN_ARCHIVE_VALUE,
        policy_proxy.UNKNOWN_OBJECT_VALUE,
    }
)


@dataclass(frozen=True)
class Resource:
    """One resource as the rules see it: engine (camelCase) property names, plain values, `UNKNOWN` holes."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    delete_before_replace: bool = False
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """URNs of the resources each top-level property was computed from (how unknown references resolve)."""
    resource_id: str | None = None
    """The provider's physical id (`sg-...`) when known, so rules can resolve references made by id."""
    ignore_changes: tuple[str, ...] = ()


def plain(value: Any) -> Any:
    """Deep-copy `value` into dicts and lists, turning every unknown (proxy error or sentinel) into UNKNOWN."""
    if isinstance(value, Mapping):
        return {key: _plain_item(value, key) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain_item(value, index) for index in range(len(value))]
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def _plain_item(container: Any, key: Any) -> Any:
    try:
        return plain(container[key])
    except UnknownValueError:
        return UNKNOWN


def make_urn(resource_type: str, name: str, stack: str = "stack", project: str = "fleet") -> str:
    """A URN of the engine's shape, for records built outside the engine."""
    return f"urn:pulumi:{stack}::{project}::{resource_type}::{name}"


def declared(
    resource_type: str,
    name: str,
    inputs: Mapping[str, Any],
    opts: pulumi.ResourceOptions | None = None,
    *,
    urn: str | None = None,
    resource_id: str | None = None,
    property_dependencies: Mapping[str, Iterable[str]] | None = None,
) -> Resource:
    """A record from what a program declares, e.g. `Mocks.new_resource(args)`: `declared(args.typ, args.name,
    args.inputs, resource_id=<the id the mock returns>)`; pass the resource's options (seen by a stack
    transformation) to check `delete_before_replace`."""
    return Resource(
        type=resource_type,
        name=name,
        urn=urn or make_urn(resource_type, name),
        props=plain(inputs),
        delete_before_replace=bool(opts and opts.delete_before_replace),
        property_dependencies={key: tuple(urns) for key, urns in (property_dependencies or {}).items()},
        resource_id=resource_id,
        ignore_changes=tuple((opts and opts.ignore_changes) or ()),
    )


def from_validation_args(args: ResourceValidationArgs) -> Resource:
    """The record of the resource a resource policy is asked about (its checked inputs)."""
    return Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=plain(args.props),
        delete_before_replace=bool(args.opts.delete_before_replace),
        ignore_changes=tuple(args.opts.ignore_changes or ()),
    )


def _from_policy_resource(resource: PolicyResource) -> Resource:
    props = plain(resource.props)
    resource_id = props.get("id")
    return Resource(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=props,
        delete_before_replace=bool(resource.opts.delete_before_replace),
        property_dependencies={
            key: tuple(dependency.urn for dependency in dependencies)
            for key, dependencies in resource.property_dependencies.items()
        },
        resource_id=resource_id if isinstance(resource_id, str) else None,
        ignore_changes=tuple(resource.opts.ignore_changes or ()),
    )


def from_stack_args(args: StackValidationArgs) -> list[Resource]:
    """Records of every resource in the stack a stack policy is asked about."""
    return [_from_policy_resource(resource) for resource in args.resources]
