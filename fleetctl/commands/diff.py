"""`fleetctl diff BASE [HEAD]`: what a change to the stack files does, as Markdown for a pull request.

Per stack and service: a **release** (new launch template and autoscaling group, replaced create-before-delete)
naming what caused it, an in-place change naming the keys, or nothing. Release identities come from
`fleet.release.identify` on each revision's files, so the reason given here is the reason the program replaces.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any

from fleet.config_types import FleetConfig, ServiceConfig, canary_release
from fleet.names import NAMESPACE
from fleet.release import BOOT_SCRIPT, BuiltImage, Change, PinnedImage, ReleaseIdentity, identify
from fleet.rollout import health_check_path_warning
from fleetctl.cli import project_dir
from fleetctl.names_report import diff_lines
from fleetctl.pinning import short_ref
from fleetctl.revisions import GitTree, ProjectTree, WorkingTree
from fleetctl.stack_check import validate_stack

RELEASE_FIELDS = {spec.name for spec in fields(ReleaseIdentity)}
# Service settings outside the release identity: Pulumi updates them in place, the hosts stay. The canary is a
# release of its own, described apart.
# Where the load balancer routes a service is neither a release nor a setting of its hosts: said apart.
ROUTING_FIELDS = ["hostnames", "public_port", "https_port"]
IN_PLACE_FIELDS = [
    spec.name for spec in fields(ServiceConfig) if spec.name not in {"name", "canary", *RELEASE_FIELDS, *ROUTING_FIELDS}
]


@dataclass(frozen=True)
class StackWide:
    """A key of the stack outside its services, whose change a deploy applies to the whole stack."""

    key: str
    """Under `fleet:` in the stack file."""
    field: str
    """The `FleetConfig` field it fills."""
    effect: str
    """What a deploy does when it changes, as the pull request says it."""


# Every stack-wide key a deploy applies: a new one is a row here (hostnames, DNS, certificates, registry consumers).
STACK_WIDE = (
    StackWide(
        "network",
        "network",
        "the VPC and subnets of the load balancer and hosts; once the stack serves, `pulumi up` refuses a move to "
        "another VPC",
    ),
    StackWide(
        "promotion",
        "promotion",
        "where this stack's images must come from (the promotion guard), and whether the override lets others in",
    ),
    StackWide(
        "tls",
        "tls",
        "HTTPS on the load balancer: with a certificate every service gets an HTTPS listener on its httpsPort and "
        "its HTTP listener only redirects to it; without one the HTTP listeners serve again (in place, no release)",
    ),
    StackWide(
        "alarms",
        "alarm_topic_arn",
        "the SNS topic every alarm notifies of its ALARM and OK transitions (in place, no release)",
    ),
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="describe what changes to the stack files do, as Markdown",
        description="Compare every Pulumi.<stack>.yaml between two git revisions and print, per service, whether "
        "it makes a new release (and why) or an in-place change. Exit code 1 when a stack is invalid at HEAD.",
    )
    parser.add_argument("base", metavar="BASE_REF", help="the revision to compare against, such as origin/main")
    parser.add_argument("head", metavar="HEAD_REF", nargs="?", help="the revision to describe (default: working tree)")
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class ParsedStack:
    """One valid stack file at one revision, with each service's release identity at that revision."""

    config: FleetConfig
    identities: dict[str, ReleaseIdentity]
    canaries: dict[str, ReleaseIdentity]
    """The release identity of each service's canary, for the services that have one."""
    other_keys: dict[str, Any]
    """Config keys outside the `fleet:` namespace (aws:region, secrets of the services)."""
    raw: dict[str, Any]
    """The file's `config:` mapping as written: what the report quotes."""


Problems = list[str]
"""Why a stack file could not be parsed, one line each."""


def run(args: argparse.Namespace) -> int:
    project = project_dir(args)
    base = GitTree(project, args.base)
    head: ProjectTree = GitTree(project, args.head) if args.head else WorkingTree(project)
    lines, invalid = describe(base, head)
    print("\n".join(lines))
    return 1 if invalid else 0


def describe(base: ProjectTree, head: ProjectTree) -> tuple[list[str], bool]:
    """The Markdown report of every stack file, and whether any is invalid at `head`."""
    lines = [f"## fleet: stack changes `{base.label}` → `{head.label}`"]
    invalid = False
    base_files, head_files = base.stack_files(), head.stack_files()
    for name in sorted({*base_files, *head_files}):
        stack = name.removeprefix("Pulumi.").removesuffix(".yaml")
        before = load_stack(base, stack) if name in base_files else None
        after = load_stack(head, stack) if name in head_files else None
        lines.append("")
        if after is None:
            lines.append(f"### `{stack}`: removed ({name} deleted; this does not destroy the stack)")
        elif isinstance(after, list):
            invalid = True
            lines.append(f"### `{stack}`: **invalid configuration** at `{head.label}`")
            lines.extend(f"- `{problem}`" for problem in after)
        else:
            lines.extend(_stack_changes(stack, before, after, base.label))
    return lines, invalid


def load_stack(tree: ProjectTree, stack: str) -> ParsedStack | Problems:
    """A stack as the program would read it at `tree` (or its problems), with each service's release identity."""
    valid = validate_stack(tree, stack)
    if isinstance(valid, list):
        return valid
    boot_script = (tree.read(BOOT_SCRIPT) or b"").decode()

    def identity(service: ServiceConfig) -> ReleaseIdentity:
        return identify(service, boot_script, tree.files_under(service.image.build) if service.image.build else None)

    services = valid.config.services
    others = {key: value for key, value in valid.raw.items() if not key.startswith(f"{NAMESPACE}:")}
    return ParsedStack(
        config=valid.config,
        identities={service.name: identity(service) for service in services},
        canaries={service.name: identity(canary_release(service)) for service in services if service.canary},
        other_keys=others,
        raw=valid.raw,
    )


def _stack_changes(stack: str, before: ParsedStack | Problems | None, after: ParsedStack, base: str) -> list[str]:
    previous = before if isinstance(before, ParsedStack) else None
    if before is None:
        heading, details = f"### `{stack}`: new stack", []
    elif previous is None:
        heading, details = f"### `{stack}`", [f"- was invalid at `{base}`: every service is new here"]
    else:
        heading, details = f"### `{stack}`", _stack_settings(previous, after)
    old = {service.name: service for service in previous.config.services} if previous else {}
    new = {service.name: service for service in after.config.services}
    services = {name: _service_lines(name, old.get(name), new.get(name), previous, after) for name in {**new, **old}}
    if not details and not any(services.values()):
        return [f"{heading}: unchanged"]
    for name, lines in services.items():
        details.extend(lines or [f"- **{name}**: unchanged"])
    return [heading, *details]


def _stack_settings(before: ParsedStack, after: ParsedStack) -> list[str]:
    """Changes outside the services: the stack-wide keys (quoted from the files, with what a deploy does), other
    namespaces' keys."""
    lines = [
        f"- {wide.key}: {_setting(before, wide.key)} → {_setting(after, wide.key)}: {wide.effect}"
        for wide in STACK_WIDE
        if getattr(before.config, wide.field) != getattr(after.config, wide.field)
    ]
    lines += diff_lines(before.config, after.config)
    lines.extend(_consumer_lines(before.config, after.config))
    changed = sorted(
        key
        for key in {*before.other_keys, *after.other_keys}
        if before.other_keys.get(key) != after.other_keys.get(key)
    )
    if changed:
        lines.append(f"- other config keys changed: {', '.join(f'`{key}`' for key in changed)}")
    return lines


def _consumer_lines(before: FleetConfig, after: FleetConfig) -> list[str]:
    """A change of `fleet:registry.consumers`: stack-wide (the registry's replication rule), never a release."""
    old = before.registry.consumers if before.registry else ()
    new = after.registry.consumers if after.registry else ()
    if old == new:
        return []
    added = [f"`{consumer.account}` in `{consumer.region}`" for consumer in new if consumer not in old]
    removed = [f"`{consumer.account}` in `{consumer.region}`" for consumer in old if consumer not in new]
    changes = [*(f"replicates to {item}" for item in added), *(f"stops replicating to {item}" for item in removed)]
    return [
        f"- registry consumers (stack-wide, no release: the registry's replication rule is updated in place): "
        f"{'; '.join(changes) or 'reordered'}. ECR copies only images pushed from then on"
    ]


def _service_lines(
    name: str, old: ServiceConfig | None, new: ServiceConfig | None, before: ParsedStack | None, after: ParsedStack
) -> list[str]:
    """What happens to one service; no lines when nothing does."""
    if new is None:
        return [f"- **{name}**: removed (its autoscaling group and instances are deleted)"]
    identity = after.identities[name]
    if old is None or before is None:
        return [
            f"- **{name}**: added, **release** `{identity.release_id}` of `{new.image.version}`",
            *_canary_lines(name, None, new, None, after),
        ]
    return (
        _live_lines(name, old, new, before, after)
        + _routing_lines(name, old, new)
        + _canary_lines(name, old, new, before, after)
    )


def _routing_lines(name: str, old: ServiceConfig, new: ServiceConfig) -> list[str]:
    """A change of where the load balancer reaches the service: listener rules and listeners, never its hosts."""
    changed = [key for key in ROUTING_FIELDS if getattr(old, key) != getattr(new, key)]
    if not changed:
        return []
    return [
        f"- **{name}**: **routing** (listener rules and listeners change in place or beside; no release, the hosts "
        f"stay): {', '.join(_camel(key) for key in changed)}",
        *(f"  - {_camel(key)}: {_value(getattr(old, key))} → {_value(getattr(new, key))}" for key in changed),
    ]


def _live_lines(
    name: str, old: ServiceConfig, new: ServiceConfig, before: ParsedStack, after: ParsedStack
) -> list[str]:
    """What happens to the service's live release: a release, an in-place change or nothing."""
    identity, previous = after.identities[name], before.identities[name]
    causes = identity.changes_since(previous)
    in_place = [key for key in IN_PLACE_FIELDS if getattr(old, key) != getattr(new, key)]
    if not causes and not in_place:
        return []
    settings = [f"  - {_camel(key)}: {_value(getattr(old, key))} → {_value(getattr(new, key))}" for key in in_place]
    path_changed = old.health_check_path != new.health_check_path
    warning = health_check_path_warning(name, old.health_check_path, new.health_check_path) if path_changed else None
    warnings = [f"  - ⚠️ **warning**: {warning}"] if warning else []
    if not causes:
        return [f"- **{name}**: in-place: {', '.join(_camel(key) for key in in_place)}", *settings, *warnings]
    lines = [
        f"- **{name}**: **release** `{previous.release_id}` → `{identity.release_id}` (new launch template and "
        f"autoscaling group, replaced once healthy) because of: "
        f"{', '.join(_reason(change, previous, identity) for change in causes)}"
    ]
    lines.extend(_release_details(previous, identity))
    if new.image.build is not None and previous.image != identity.image and previous.version == identity.version:
        lines.append(
            f"  - ⚠️ **warning**: the image's files changed but `image.version` is still `{new.image.version}`: "
            "two different images would answer to one version (in `/version`, the release history and rollback); "
            "set a new `image.version`"
        )
    return lines + [f"{line} (set on the new release)" for line in settings] + warnings


def _canary_lines(
    name: str, old: ServiceConfig | None, new: ServiceConfig, before: ParsedStack | None, after: ParsedStack
) -> list[str]:
    """What happens to the service's canary: started, changed (its release, weight, instances), finished, aborted."""
    was = before.canaries.get(name) if before else None
    now = after.canaries.get(name)
    if old is None or old.canary is None or was is None:
        if new.canary is None or now is None:
            return []
        live = after.identities[name]
        return [
            f"- **{name}**: **canary started**: release `{now.release_id}` of `{new.canary.image.version}` takes "
            f"{new.canary.weight}% of requests beside live `{live.release_id}` (its own launch template and "
            f"autoscaling group, {_hosts(new.canary.instances)}; the live release is not replaced) because it "
            f"differs from live in: {', '.join(_reason(change, live, now) for change in now.changes_since(live))}",
            *_release_details(live, now),
        ]
    if new.canary is None or now is None:
        live = after.identities[name]
        if live.release_id == was.release_id:
            return [
                f"- **{name}**: **canary finished**: its release `{was.release_id}` of `{old.canary.image.version}` "
                "becomes the live release (the release above); the canary's resources are deleted once it is healthy"
            ]
        return [
            f"- **{name}**: **canary aborted**: release `{was.release_id}` of `{old.canary.image.version}` is "
            f"removed; every request returns to live `{live.release_id}`, then the canary's hosts are deleted"
        ]
    lines = []
    changes = now.changes_since(was)
    if changes:
        lines.append(
            f"- **{name}**: **canary release** `{was.release_id}` → `{now.release_id}` (its launch template and "
            f"autoscaling group are replaced once healthy; live is not) because of: "
            f"{', '.join(_reason(change, was, now) for change in changes)}"
        )
        lines.extend(_release_details(was, now))
    for key, label, shown in (("weight", "canary weight", "{}%"), ("instances", "canary instances", "{}")):
        before_value, after_value = getattr(old.canary, key), getattr(new.canary, key)
        if before_value != after_value:
            lines.append(
                f"- **{name}**: {label} `{shown.format(before_value)}` → `{shown.format(after_value)}` (in place)"
            )
    return lines


def _release_details(previous: ReleaseIdentity, identity: ReleaseIdentity) -> list[str]:
    """One line per release field that differs, old → new."""
    return [
        f"  - {_label(change)}: `{_identity_value(change.field, change.before)}` → "
        f"`{_identity_value(change.field, change.after)}`"
        for change in identity.changes_since(previous)
        # Settings are named in the reason; a setting's value is never shown, a secret's never known here.
        if change.field != "settings"
    ]


def _hosts(count: int) -> str:
    return f"{count} host{'s' if count != 1 else ''}"


def _label(change: Change) -> str:
    """A release identity field as the pull request names it: `host_image` → `host image`."""
    return change.field.replace("_", " ")


def _reason(change: Change, previous: ReleaseIdentity, identity: ReleaseIdentity) -> str:
    """A cause of a release as the pull request reads it: settings by name, `settings (DB_PASSWORD, LOG_LEVEL)`."""
    if change.field != "settings":
        return _label(change)
    return f"{_label(change)} ({', '.join(identity.changed_settings(previous))})"


def _identity_value(field: str, value: Any) -> str:
    """A release identity value as a reviewer reads it: short digests, the build context's file fingerprint."""
    if isinstance(value, PinnedImage):
        return short_ref(value.ref)
    if isinstance(value, BuiltImage):
        return f"build {value.context} (files {value.files[:12]})"
    if field == "boot_script":
        return f"{BOOT_SCRIPT} {value[:12]}"
    return str(value)


def _setting(stack: ParsedStack, key: str) -> str:
    value = stack.raw.get(f"{NAMESPACE}:{key}")
    return "not set" if value is None else _value(value)


def _value(value: Any) -> str:
    """A value as a stack file writes it, in YAML flow style: `{from: staging, allowUnverified: false}`."""
    return f"`{_flow(value)}`"


def _flow(value: Any) -> str:
    if is_dataclass(value) and not isinstance(value, type):
        value = {_camel(key): item for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_flow(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return str(value)


def _camel(name: str) -> str:
    """The stack-file key of a config field: `drain_seconds` → `drainSeconds`."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)
