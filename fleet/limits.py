"""The physical names AWS gives fleet's resources, their longest form for a stack and service, and AWS's limits.

The mocks never autoname and never run the provider's checks, so a name AWS rejects would pass every test and
fail at the first preview. Each name here is derived the way the provider derives it:

- autonamed (no `name` given): `<logical name>-<7 random characters>` within the type's limit (pulumi/pulumi
  sdk/go/common/resource/resource_id.go `NewUniqueName`, which fails when the logical name leaves no room;
  pulumi-aws provider/aliases.go `AutoName("name", 32, "-")` for target groups, commit 0c5f6583ebfb);
- `name_prefix`: the prefix and terraform's 26-character unique suffix (terraform-plugin-sdk helper/id
  `UniqueIDSuffixLength`);
- given names as they are.

The limits are AWS's, from the API models botocore ships (`LaunchTemplateName` 3-128, `roleNameType` 64,
`LogGroupName` 512, `RepositoryName` 2-256 and its pattern, `AlarmName` 255...), and terraform-provider-aws's
validators where the model states none (target group and load balancer names: 32, internal/service/elbv2).
tests/program/test_name_limits.py runs the program on the longest config these rules accept and checks every
name it declares against the same limits, so a logical name that grows is caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fleet.names import (
    CANARY_TRACK,
    FIRST_SLOT,
    SLOTS,
    log_group_name,
    repository_name,
    service_prefix,
    slot_name,
    slot_prefix,
    slot_target_group_name,
)

AUTONAME_SUFFIX = len("-abcdefg")
"""What the engine's autonaming adds to a logical name: a dash and 7 random characters."""
NAME_PREFIX_SUFFIX = 26
"""What terraform adds to a `name_prefix`: a timestamp and a counter."""
ECR_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")
"""ECR's `RepositoryName` pattern (botocore ecr model): lowercase only."""


@dataclass(frozen=True)
class Name:
    """One physical name of a service's resource, at its longest."""

    what: str
    """The resource, as a message names it."""
    shape: str
    """The name with its parts spelled out, as a message shows it."""
    length: int
    limit: int
    with_stack: bool = True
    """Whether the stack's name is part of it (autonamed resources carry only the service's)."""


def service_names(stack: str, service: str, *, canary: bool) -> list[Name]:
    """Every physical name of a service's resources (and its canary's) that grows with the stack or service name.

    Each release slot (fleet/slots.py) has its target group (`<service>-tg`, `-tgb`, `-tgc`, autonamed) and its
    launch template and group prefixes (`fleet-<stack>-<service>-`, `-b-`, `-c-`); the longest are slot b's and c's,
    so those are checked. A canary runs in a slot; only its alarms carry its own name."""
    prefix = service_prefix(stack, service)
    longest = SLOTS[-1]
    names = [
        _autonamed("hosts' security group", f"{service}-instances-sg", 255),
        _autonamed("host role", f"{service}-host-role", 64),
        _autonamed("host role's policy", f"{service}-host-policy", 128),
        _autonamed("instance profile", f"{service}-host-profile", 128),
        _autonamed("scaling policy", f"{slot_name(service, longest, 'release')}-scale-requests", 255),
        Name("log group", log_group_name(stack, service), len(log_group_name(stack, service)), 512),
        Name("ECR repository", repository_name(stack, service), len(repository_name(stack, service)), 256),
    ]
    for slot in (FIRST_SLOT, longest):
        what = "" if slot == FIRST_SLOT else f"slot {slot}'s "
        names += [
            _autonamed(f"{what}target group", slot_target_group_name(service, slot), 32),
            _prefixed(f"{what}launch template", slot_prefix(stack, service, slot), 128),
            _prefixed(f"{what}autoscaling group", slot_prefix(stack, service, slot), 255),
        ]
    alarms = [prefix] + ([f"{prefix}-{CANARY_TRACK}"] if canary else [])
    for start in alarms:
        what = "canary's p99 alarm" if start != prefix else "p99 alarm"
        names.append(Name(what, f"{start}-p99-response-time", len(f"{start}-p99-response-time"), 255))
    return names


def _autonamed(what: str, logical: str, limit: int) -> Name:
    return Name(what, f"{logical}-<7 random>", len(logical) + AUTONAME_SUFFIX, limit, with_stack=False)


def _prefixed(what: str, prefix: str, limit: int) -> Name:
    return Name(what, f"{prefix}<26 unique>", len(prefix) + NAME_PREFIX_SUFFIX, limit)


def name_problems(stack: str, service: str, *, canary: bool) -> list[str]:
    """What AWS would reject of a service's names: each too-long name, a security group name starting `sg-`
    (reserved for group ids), an ECR repository name with upper case."""
    problems = [
        f"its {name.what} would be named {name.shape}, {name.length} characters; AWS allows {name.limit}: use a "
        f"{'stack or service' if stack in name.shape else 'service'} name {name.length - name.limit} "
        f"character(s) shorter"
        for name in service_names(stack, service, canary=canary)
        if name.length > name.limit
    ]
    if service == "sg" or service.startswith("sg-"):
        problems.append(
            f"its hosts' security group would be named {service}-instances-sg-<7 random>, and EC2 refuses group "
            "names starting with sg- (the prefix of group ids): choose another service name"
        )
    return problems


def repository_problem(stack: str, service: str) -> str | None:
    """Why ECR would refuse the repository a building stack pushes the service's images to, if it would."""
    name = repository_name(stack, service)
    if ECR_REPOSITORY.match(name):
        return None
    return (
        f"the stack builds its images into ECR repository {name}, and ECR repository names are lowercase letters "
        "and digits joined by single '.', '_', '__' or dashes: build in a stack whose name is (promote to "
        f"{stack} from it) or rename the stack"
    )


def template_description(stack: str, service: str, release_id: str, version: str) -> str:
    """A launch template version's description: what the console shows for a release. EC2 allows 255 characters
    (`VersionDescription`); the stack and service names the launch template name leaves room for, with the
    longest version, stay within them (tests/program/test_name_limits.py)."""
    return f"fleet {stack}/{service} release {release_id} ({version})"
