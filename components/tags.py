"""The tags that let `fleetctl audit` and the policy pack tell fleet's resources apart."""

from __future__ import annotations

STACK_TAG = "fleet:stack"
SERVICE_TAG = "fleet:service"
RELEASE_TAG = "fleet:release"
SCALING_TAG = "fleet:scaling"
"""On an autoscaling group whose service turned scaling off: `off`."""
TRACK_TAG = "fleet:track"
"""On every resource of a canary release: `canary` (the live release's resources carry no track tag)."""
ROLE_TAG = "fleet:role"
"""On security groups: `load-balancer` (may be open to the internet) or `instances` (reached only through it)."""


def stack_tags(stack: str) -> dict[str, str]:
    return {STACK_TAG: stack}


def service_tags(stack: str, service: str) -> dict[str, str]:
    """Tags of resources that outlive releases: no release tag, so a release never touches them."""
    return {STACK_TAG: stack, SERVICE_TAG: service}


def release_tags(stack: str, service: str, release_id: str) -> dict[str, str]:
    return {**service_tags(stack, service), RELEASE_TAG: release_id}


def canary_tags(tags: dict[str, str]) -> dict[str, str]:
    """`tags` of a canary's resource: what tells it apart from the live release's (audit, policy, the console)."""
    return {**tags, TRACK_TAG: "canary"}
