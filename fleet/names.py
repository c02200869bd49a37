"""The names fleet gives things in AWS, and the tags that tell its resources apart: one home for the program,
`fleetctl` (audit, retention) and the policy pack. Changing one renames resources in AWS, or hides them from the
audit and the policy pack: a name here is a contract with what is already deployed.
"""

from __future__ import annotations

import re

NAMESPACE = "fleet"
"""The config namespace (`fleet:services`), and the first word of every name fleet gives."""

SERVICES_KEY = f"{NAMESPACE}:services"
PROMOTION_KEY = f"{NAMESPACE}:promotion"

STACK_TAG = "fleet:stack"
SERVICE_TAG = "fleet:service"
RELEASE_TAG = "fleet:release"
SCALING_TAG = "fleet:scaling"
"""On an autoscaling group whose service turned scaling off (`scaling: {enabled: false}`): `SCALING_OFF`."""
SCALING_OFF = "off"
ROLE_TAG = "fleet:role"
"""On security groups: `LOAD_BALANCER_ROLE` (may be open to the internet) or `INSTANCES_ROLE` (reached only
through the load balancer)."""
LOAD_BALANCER_ROLE = "load-balancer"
INSTANCES_ROLE = "instances"
SECRET_TAG = "fleet:secret"
"""On a secret setting's parameter (`true`): the policy pack requires such a parameter to be a SecureString."""
TRACK_TAG = "fleet:track"
"""On a canary's resources (target group, header rule, alarms): `CANARY_TRACK`. On a release's autoscaling group:
its role, `LIVE_TRACK`, `WARM_TRACK` or `CANARY_TRACK` (not propagated to its hosts, updated in place when the role
changes). A launch template never carries it: its inputs must not depend on the role."""
CANARY_TRACK = "canary"
LIVE_TRACK = "live"
"""The `X-Fleet-Track` header value that reaches a service's live release alone, and the live release's role."""
WARM_TRACK = "warm"
"""The role of the previous release while its warm window is open: healthy, out of traffic."""
ROLES = (LIVE_TRACK, WARM_TRACK, CANARY_TRACK)
TRACK_HEADER = "X-Fleet-Track"
"""Requests with `X-Fleet-Track: canary` reach the canary alone, `X-Fleet-Track: live` the live release alone."""

SLOTS = ("a", "b", "c")
"""A service's release slots (fleet/slots.py): each a target group and, when it has a role, a release."""
FIRST_SLOT = SLOTS[0]
"""Slot `a` keeps the names a service had before slots: `<name>-tg`, `<name>-release`."""

ROLLBACKS_ROOT = f"/{NAMESPACE}-rollbacks"
"""Where `fleetctl watch` records the releases their alarms rolled back: outside every settings path
(`/fleet/<stack>/<service>/`), so no host's role reads it."""

MAX_CUTOVER_MINUTES = 60
"""The longest `cutoverTimeoutMinutes`: how long a release may wait for healthy hosts before the update fails."""
MAX_WARM_ROLLBACK_MINUTES = 2880
"""The longest `warmRollbackMinutes`: two days, the longest termination wait CodeDeploy blue/green allows."""
MAX_DRAIN_SECONDS = 3600
"""The longest `drainSeconds`: AWS's largest target group deregistration delay."""

TOTAL_WEIGHT = 100
"""The weights of a weighted forward (live and canary target groups) add up to this: a weight is a percentage."""
MAX_CANARY_WEIGHT = 50
"""The largest `canary.weight`, in percent of a service's requests: more than half is a cut-over, which a release
does health-gated."""

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
"""TLS 1.3 and 1.2 with forward-secret AEAD ciphers only, and hybrid post-quantum key exchange: the policy AWS
recommends for HTTPS listeners (Elastic Load Balancing user guide, "Security policies for your Application Load
Balancer"; the console's default)."""

STACK_NAME = re.compile(r"^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+){0,2}$")
"""A stack name as a stack file or `fleet:promotion.from` gives it: `stack`, `project/stack` or `org/project/stack`."""


def same_stack(declared: str, other: str) -> bool:
    """Whether two stack names agree on every segment both give: `staging` is `acme/fleet/staging`."""
    declared_parts, other_parts = declared.split("/"), other.split("/")
    common = min(len(declared_parts), len(other_parts))
    return declared_parts[-common:] == other_parts[-common:]


def stack_prefix(stack: str) -> str:
    """What the name of every resource fleet names in a stack starts with."""
    return f"{NAMESPACE}-{stack}-"


def service_prefix(stack: str, service: str) -> str:
    """`fleet-<stack>-<service>`: the start of the names of a service's alarms, launch templates and groups."""
    return f"{stack_prefix(stack)}{service}"


def repository_name(stack: str, service: str) -> str:
    """The ECR repository a building stack pushes a service's images to."""
    return service_prefix(stack, service)


def service_of_repository(repository: str, stack: str) -> str:
    """The service whose images `repository` of `stack` holds: the inverse of `repository_name`."""
    return repository.removeprefix(stack_prefix(stack))


def log_group_name(stack: str, service: str) -> str:
    """`/fleet/<stack>/<service>`: the CloudWatch log group of a service's containers."""
    return f"/{NAMESPACE}/{stack}/{service}"


def settings_path(stack: str, service: str) -> str:
    """`/fleet/<stack>/<service>/`: the SSM path of a service's settings; its host role may read only below it."""
    return f"{log_group_name(stack, service)}/"


def stack_tags(stack: str) -> dict[str, str]:
    return {STACK_TAG: stack}


def service_tags(stack: str, service: str) -> dict[str, str]:
    """Tags of resources that outlive releases: no release tag, so a release never touches them."""
    return {STACK_TAG: stack, SERVICE_TAG: service}


def release_tags(stack: str, service: str, release_id: str) -> dict[str, str]:
    return {**service_tags(stack, service), RELEASE_TAG: release_id}


def slot_prefix(stack: str, service: str, slot: str) -> str:
    """The `name_prefix` of a slot's launch template and group: slot `a` keeps the one releases had before slots."""
    return f"{service_prefix(stack, service)}-" + ("" if slot == FIRST_SLOT else f"{slot}-")


def slot_name(service: str, slot: str, what: str) -> str:
    """The logical name of a slot's release (`web-release`, `web-release-b`): slot `a` keeps the name a service's
    release had before slots, so upgrading fleet keeps its URN. The slot comes last, so no service's name can
    collide with another's slot (URNs carry the parent's type, not its name: `web-release-b` of `web` would be
    `web-b`'s `web-release-b`)."""
    return f"{service}-{what}" if slot == FIRST_SLOT else f"{service}-{what}-{slot}"


def slot_target_group_name(service: str, slot: str) -> str:
    """The logical name of a slot's target group: `web-tg`, `web-tgb`, `web-tgc`. The engine autonames it
    `<logical name>-<7 random>` within AWS's 32 characters, so it may be at most 24 long: with the longest service
    name (20) only one character is left after `-tg` (fleet/limits.py), so not `-tg-b`. No other service's target
    group can have these names: theirs end in `-tg`, `-tgb` or `-tgc` after a name that cannot end with `-`."""
    return f"{service}-tg" if slot == FIRST_SLOT else f"{service}-tg{slot}"


def rollback_markers_path(stack: str) -> str:
    """`/fleet-rollbacks/<stack>/`: every release of the stack its alarms rolled back."""
    return f"{ROLLBACKS_ROOT}/{stack}/"


def rollback_marker_path(stack: str, service: str, release_id: str) -> str:
    """`/fleet-rollbacks/<stack>/<service>/<release id>`: the marker `fleetctl watch` writes when it rolls a release
    back; the program then refuses that release until its config changes."""
    return f"{rollback_markers_path(stack)}{service}/{release_id}"


def marker_release(stack: str, name: str) -> tuple[str, str] | None:
    """(service, release id) of a marker parameter's name under `rollback_markers_path(stack)`; None for another."""
    rest = name.removeprefix(rollback_markers_path(stack))
    parts = rest.split("/")
    return (parts[0], parts[1]) if rest != name and len(parts) == 2 and all(parts) else None
