"""Fleet's immutability rules, each a function over plain `Resource` records returning fix-it messages.

Run the whole pack without the Pulumi engine with `evaluate(records)`, e.g. over a program run under mocks:

    from policy.records import declared
    from policy.rules import evaluate
    records = [declared(args.typ, args.name, args.inputs, resource_id=mock_id) for args, mock_id in seen]
    assert evaluate(records) == []

`POLICIES` wraps the same rules for pulumi-policy; `policy/__main__.py` serves them to the engine.

Values unknown during preview are `UNKNOWN`: a rule that cannot decide on an unknown value passes it, because
the same check runs again at `pulumi up`, when the value is known.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from fleet.names import (
    CANARY_TRACK,
    LOAD_BALANCER_ROLE,
    MAX_CANARY_WEIGHT,
    MAX_CUTOVER_MINUTES,
    ROLE_TAG,
    SCALING_OFF,
    SCALING_TAG,
    SECRET_TAG,
    TOTAL_WEIGHT,
    TRACK_TAG,
)
from fleet.resource_types import (
    AUTOSCALING_GROUP,
    INGRESS_RULE,
    LAUNCH_TEMPLATE,
    LISTENER,
    LISTENER_RULE,
    SCALING_POLICY,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SSM_PARAMETER,
    TARGET_GROUP,
)

from .records import UNKNOWN, Resource, from_stack_args, from_validation_args

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
MAX_CAPACITY_WAIT_SECONDS = MAX_CUTOVER_MINUTES * 60
DIGEST_PINNED_IMAGE = re.compile(r"[^\s@$]+@sha256:[0-9a-f]{64}")
# Default Pulumi auto-naming: "<logical name>-<7 hex>" (the engine passes policies the provider-checked inputs).
_AUTONAME_SUFFIX = r"-[0-9a-f]{7}"
CANARY_WEIGHTS = range(1, MAX_CANARY_WEIGHT + 1)
"""A canary's share of requests (`canary.weight`): 0 compares nothing, more than half is a cut-over."""
DEFAULT_WEIGHT = 1
"""A target group's weight when a forward leaves it out (terraform-provider-aws: hashicorp/terraform-provider-aws
#20163)."""


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


@dataclass(frozen=True)
class StackRule:
    """A rule over all resources of a stack; `check` yields (urn, message) pairs."""

    name: str
    description: str
    check: Callable[[Sequence[Resource]], list[tuple[str, str]]]


# --- value helpers -------------------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    """A list property as a list; absent, null and wholly unknown lists are empty."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    """Numbers arrive as floats from the engine and ints from mocks; anything else is not a number."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _tags(resource: Resource) -> Mapping[str, Any]:
    return {**_dict(resource.props.get("tagsAll")), **_dict(resource.props.get("tags"))}


def parse_duration(text: str) -> float | None:
    """Seconds in a Go duration such as "10m", "600s" or "1m30s" (the provider's format); None if malformed."""
    if text == "0":
        return 0.0
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    part = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"
    if not re.fullmatch(f"(?:{part})+", text):
        return None
    return sum(float(amount) * units[unit] for amount, unit in re.findall(part, text))


# --- launch templates ------------------------------------------------------------------------------------------


def launch_template_requires_imdsv2(resource: Resource) -> list[str]:
    tokens = _dict(resource.props.get("metadataOptions")).get("httpTokens")
    if tokens in ("required", UNKNOWN):
        return []
    return [
        f"Launch template must require IMDSv2 (metadataOptions.httpTokens is {tokens!r}): set metadata_options="
        '{"http_tokens": "required", "http_put_response_hop_limit": 2}.'
    ]


def launch_template_has_no_key_pair(resource: Resource) -> list[str]:
    if not resource.props.get("keyName"):
        return []
    return [
        f"Launch template sets key_name={resource.props['keyName']!r}: remove it. Hosts are immutable; ship changes "
        "as a new release and use SSM Session Manager for debugging."
    ]


def launch_template_encrypts_root_volume(resource: Resource) -> list[str]:
    mappings = resource.props.get("blockDeviceMappings")
    if mappings is UNKNOWN:
        return []
    fix = 'set block_device_mappings=[{"device_name": <root device>, "ebs": {"encrypted": "true", ...}}].'
    if not _list(mappings):
        return [f"Launch template leaves the root volume to the AMI's defaults, which may be unencrypted: {fix}"]
    return [
        f"Launch template volume {mapping.get('deviceName')!r} is not encrypted: {fix}"
        for mapping in map(_dict, _list(mappings))
        if "ebs" in mapping and _dict(mapping["ebs"]).get("encrypted") not in ("true", True, UNKNOWN)
    ]


_FLAGS_WITHOUT_VALUE = frozenset(
    {
        "--rm",
        "--detach",
        "--interactive",
        "--tty",
        "--init",
        "--privileged",
        "--read-only",
        "--publish-all",
        "--no-healthcheck",
        "--oom-kill-disable",
        "--all-tags",
        "--quiet",
        "--disable-content-trust",
    }
)
_SHORT_FLAGS_WITHOUT_VALUE = frozenset("ditPaq")
_DOCKER_IMAGE_COMMAND = re.compile(r"\bdocker\s+(?:container\s+|image\s+)?(?:run|create|pull)\s(.*)")


def _command_words(line: str) -> Iterator[str]:
    """Shell words of one command line, up to the first operator (`;`, `&&`, `|`...)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to plain words
        words = line.split()
    for word in words:
        if set(word) <= set(";&|()<>"):
            return
        yield word


def _image_operand(arguments: str) -> str | None:
    """The image of `docker run|create|pull [OPTIONS] IMAGE ...`: the first word that is not an option."""
    words = _command_words(arguments)
    for word in words:
        if not word.startswith("-"):
            return word
        takes_value = not (
            "=" in word
            or word in _FLAGS_WITHOUT_VALUE
            or (not word.startswith("--") and set(word[1:]) <= _SHORT_FLAGS_WITHOUT_VALUE)
        )
        if takes_value:
            next(words, None)
    return None


_SHELL_ASSIGNMENT = re.compile(r"(?:(?:readonly|export|declare(?:\s+-\w+)*)\s+)?([A-Za-z_]\w*)=(.*)")
_SHELL_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


def boot_script_images(script: str) -> list[str | None]:
    """Images the boot script runs, creates or pulls with docker (None where a command names no image).

    The program prepends the release's values as `readonly NAME=value` lines and the script uses "${NAME}", so
    variables assigned in the script are expanded; a variable it never assigns stays in the result."""
    lines = [line.strip() for line in script.replace("\\\n", " ").splitlines()]
    variables: dict[str, str] = {}
    images: list[str | None] = []
    for line in lines:
        if line.startswith("#"):
            continue
        if assignment := _SHELL_ASSIGNMENT.fullmatch(line):
            variables[assignment.group(1)] = next(_command_words(assignment.group(2)), "")
        elif command := _DOCKER_IMAGE_COMMAND.search(line):
            image = _image_operand(command.group(1))
            images.append(image and _SHELL_VARIABLE.sub(lambda m: variables.get(m[1] or m[2], m[0]), image))
    return images


def launch_template_pins_image_digest(resource: Resource) -> list[str]:
    user_data = resource.props.get("userData")
    if user_data is UNKNOWN or not user_data:
        return []
    fix = "run the image as <repository>@sha256:<64 hex digest> (the digest staging built and promoted)."
    try:
        script = base64.b64decode(str(user_data), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ["Launch template user_data is not base64-encoded UTF-8 text: encode the boot script with base64."]
    images = boot_script_images(script)
    if not images:
        return [f"Launch template boot script starts no container with `docker run`: {fix}"]
    return [
        f"Launch template boot script runs image {image or '(none named)'!r}, which is not pinned by digest"
        + (" (a variable the script never assigns)" if image and "$" in image else "")
        + f": {fix}"
        for image in dict.fromkeys(images)
        if image is None or not DIGEST_PINNED_IMAGE.fullmatch(image)
    ]


_PACKAGE_INSTALL = re.compile(
    r"^\s*(?:sudo\s+)?(?:(?:dnf|yum|microdnf|apt|apt-get|aptitude|zypper|apk)\s+(?:-\S+\s+)*"
    r"(?:install|reinstall|localinstall|groupinstall|update|upgrade|dist-upgrade|add)\b"
    r"|amazon-linux-extras\s+install\b|rpm\s+-[a-zA-Z]*[iU]|pip3?\s+install\b)",
    re.MULTILINE,
)
_CLOUD_CONFIG_PACKAGES = re.compile(r"^(?:packages|package_update|package_upgrade)\s*:", re.MULTILINE)


def installs_packages(script: str) -> list[str]:
    """The package installs or upgrades in a boot script or cloud-config, one line each; [] when there are none."""
    lines = [line.strip() for line in script.splitlines() if not line.lstrip().startswith("#")]
    found = [line for line in lines if _PACKAGE_INSTALL.match(line)]
    if script.startswith("#cloud-config"):
        found += [line for line in lines if _CLOUD_CONFIG_PACKAGES.match(line)]
    return found


def launch_template_installs_nothing(resource: Resource) -> list[str]:
    user_data = resource.props.get("userData")
    if user_data is UNKNOWN or not user_data:
        return []
    try:
        script = base64.b64decode(str(user_data), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return []  # launch-template-pins-image-digest reports user data that is not base64 text
    return [
        f"Launch template user data installs packages at boot ({line!r}): hosts of one release would run "
        "different software depending on when they booted, and a package mirror outage would block every release "
        "and scale-out. Use a host image that carries what the boot script needs (the Amazon ECS-optimized Amazon "
        "Linux 2023 AMI has docker and the AWS CLI; `fleetctl host-image` pins it) or bake your own."
        for line in installs_packages(script)
    ]


# --- settings ---------------------------------------------------------------------------------------------------


def secret_setting_is_secure_string(resource: Resource) -> list[str]:
    parameter_type = resource.props.get("type")
    if _tags(resource).get(SECRET_TAG) != "true" or parameter_type in ("SecureString", UNKNOWN):
        return []
    return [
        f"SSM parameter {resource.props.get('name')!r} holds a secret setting as type {parameter_type!r}: store it "
        'as type="SecureString", so that it is encrypted in SSM and only readers allowed to decrypt see it.'
    ]


# --- autoscaling groups ----------------------------------------------------------------------------------------


def autoscaling_group_uses_elb_health_check(resource: Resource) -> list[str]:
    check_type = resource.props.get("healthCheckType")
    if check_type in ("ELB", UNKNOWN):
        return []
    return [
        f'Autoscaling group health_check_type is {check_type!r}: set health_check_type="ELB" so instances failing '
        "the target group's health check are replaced."
    ]


def autoscaling_group_waits_for_capacity(resource: Resource) -> list[str]:
    props = resource.props
    waits = [props.get("waitForElbCapacity"), props.get("minElbCapacity")]
    problems = []
    if UNKNOWN not in waits and not any((_number(value) or 0) > 0 for value in waits):
        problems.append(
            "Autoscaling group does not wait for healthy targets: set wait_for_elb_capacity (or min_elb_capacity) "
            "to the desired capacity so a release is only live once its instances pass the health check."
        )
    timeout = props.get("waitForCapacityTimeout")
    if timeout is None or timeout is UNKNOWN:  # absent: the provider's default, "10m"
        return problems
    seconds = parse_duration(str(timeout))
    limit = f'a duration like "10m" or "600s", above 0 and at most {MAX_CAPACITY_WAIT_SECONDS // 60}m'
    if seconds is None:
        problems.append(f"Autoscaling group wait_for_capacity_timeout={timeout!r} is not a duration: use {limit}.")
    elif not 0 < seconds <= MAX_CAPACITY_WAIT_SECONDS:
        problems.append(f"Autoscaling group wait_for_capacity_timeout={timeout!r} is unbounded or off: use {limit}.")
    return problems


def autoscaling_group_has_target_groups(resource: Resource) -> list[str]:
    arns = resource.props.get("targetGroupArns")
    if arns is UNKNOWN or _list(arns):
        return []
    return [
        "Autoscaling group has no target_group_arns: attach the service's target group so instances are "
        "health-checked and receive traffic."
    ]


def autoscaling_group_is_not_named(resource: Resource) -> list[str]:
    """Names must not be fixed: a fixed name forces delete-before-create. With `namePrefix` the provider leaves
    `name` unset; without either, the engine hands policies the auto-name `<logical name>-<7 hex>`, so only a
    `name` that is neither is one the program chose."""
    name = resource.props.get("name")
    if not name or name is UNKNOWN or resource.props.get("namePrefix"):
        return []
    if isinstance(name, str) and re.fullmatch(re.escape(resource.name) + _AUTONAME_SUFFIX, name):
        return []
    return [
        f"Autoscaling group has the fixed name {name!r}, which forces the old group to be deleted before its "
        "replacement exists: remove name and set name_prefix (or rely on auto-naming)."
    ]


def autoscaling_group_declares_its_desired_capacity(resource: Resource) -> list[str]:
    if "desiredCapacity" not in resource.ignore_changes:
        return []
    return [
        f"Autoscaling group {resource.name!r} ignores changes to desiredCapacity: its replacement would start at the "
        "stale value in state (fewer hosts than serve now) and a deliberate scale would never apply. Declare the "
        "live desired capacity instead, as fleet.rollout.planned_desired does."
    ]


def autoscaling_group_pins_launch_template_version(resource: Resource) -> list[str]:
    template = resource.props.get("launchTemplate")
    version = _dict(template).get("version")
    if UNKNOWN in (template, version) or version not in (None, "", "$Latest", "$Default"):
        return []
    shown = repr(version) if version else "unset (AWS then uses $Default)"
    return [
        f"Autoscaling group launch template version is {shown}, which moves when the template changes: set "
        'launch_template={"id": template.id, "version": template.latest_version.apply(str)}.'
    ]


# --- replacement order -----------------------------------------------------------------------------------------


def release_resource_is_created_before_delete(resource: Resource) -> list[str]:
    if not resource.delete_before_replace:
        return []
    return [
        f"{resource.type} {resource.name!r} sets delete_before_replace: remove it, so the "
        "replacement is created and healthy before the old one is deleted."
    ]


# --- security groups -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ingress:
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: tuple[Any, ...]


def _ingress_entries(resource: Resource) -> list[_Ingress]:
    """Ingress a security group or a standalone rule opens, in one shape for all three resource types."""
    props = resource.props
    if resource.type == SECURITY_GROUP:
        return [
            _Ingress(
                entry.get("protocol"),
                entry.get("fromPort"),
                entry.get("toPort"),
                (*_list(entry.get("cidrBlocks")), *_list(entry.get("ipv6CidrBlocks"))),
            )
            for entry in map(_dict, _list(props.get("ingress")))
        ]
    if resource.type == INGRESS_RULE:
        cidrs = (props.get("cidrIpv4"), props.get("cidrIpv6"))
        return [_Ingress(props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"), cidrs)]
    if resource.type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        cidrs = (*_list(props.get("cidrBlocks")), *_list(props.get("ipv6CidrBlocks")))
        return [_Ingress(props.get("protocol"), props.get("fromPort"), props.get("toPort"), cidrs)]
    return []


def _admin_ports_opened(ingress: _Ingress) -> list[int]:
    protocol = str(ingress.protocol).lower()
    if protocol in ("-1", "all"):
        return list(ADMIN_PORTS)
    low, high = _number(ingress.from_port), _number(ingress.to_port)
    if protocol not in ("tcp", "udp", "6", "17") or low is None or high is None:
        return []
    return [port for port in ADMIN_PORTS if low <= port <= high]


def _world_open(ingress: _Ingress) -> bool:
    return any(cidr in WORLD_CIDRS for cidr in ingress.cidrs)


def security_group_opens_no_admin_ports(resource: Resource) -> list[str]:
    return [
        f"Security group ingress opens port {port} ({ADMIN_PORTS[port]}): remove it. Hosts are never changed by "
        "hand; use SSM Session Manager to look at one."
        for ingress in _ingress_entries(resource)
        for port in _admin_ports_opened(ingress)
    ]


_PUBLIC_FIX = (
    f"only the load balancer's security group (tagged {ROLE_TAG}={LOAD_BALANCER_ROLE}) may accept traffic from "
    "anywhere; let instances accept traffic from that group (security_groups / referenced_security_group_id)."
)


def instance_security_group_is_not_public(resource: Resource) -> list[str]:
    if _tags(resource).get(ROLE_TAG) == LOAD_BALANCER_ROLE:
        return []
    if any(_world_open(ingress) for ingress in _ingress_entries(resource)):
        return [f"Security group {resource.name!r} is open to the internet: {_PUBLIC_FIX}"]
    return []


TLS13_POLICY_PREFIX = "ELBSecurityPolicy-TLS13-"


def https_listener_uses_tls13_policy(resource: Resource) -> list[str]:
    """Without an explicit policy an HTTPS listener created through the API gets ELBSecurityPolicy-2016-08 (TLS 1.0)."""
    if resource.props.get("protocol") != "HTTPS":
        return []
    policy = resource.props.get("sslPolicy")
    if policy is UNKNOWN or (isinstance(policy, str) and policy.startswith(TLS13_POLICY_PREFIX)):
        return []
    return [
        f"HTTPS listener {resource.name!r} has security policy {policy!r}: set ssl_policy to a TLS 1.3 policy "
        f"({TLS13_POLICY_PREFIX}*, such as ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09)."
    ]


def standalone_rules_open_only_load_balancer(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Standalone rules name their group by id, unknown during preview for a new group; the group's URN in the
    rule's property dependencies identifies it then."""
    groups = [resource for resource in resources if resource.type == SECURITY_GROUP]
    by_reference = {ref: group for group in groups for ref in (group.urn, group.resource_id) if ref}
    violations = []
    for rule in resources:
        if rule.type == SECURITY_GROUP or not any(map(_world_open, _ingress_entries(rule))):
            continue
        group_id = rule.props.get("securityGroupId")
        references = (group_id, *rule.property_dependencies.get("securityGroupId", ()))
        group = next((by_reference[ref] for ref in references if isinstance(ref, str) and ref in by_reference), None)
        if group is None and group_id is UNKNOWN:
            continue
        if group is None or _tags(group).get(ROLE_TAG) != LOAD_BALANCER_ROLE:
            target = repr(group.name) if group else f"{group_id!r} (not declared in this stack)"
            violations.append((rule.urn, f"Ingress rule opens security group {target} to the internet: {_PUBLIC_FIX}"))
    return violations


# --- traffic reaches every release ----------------------------------------------------------------------------


def _forward_targets(actions: Any) -> Iterator[Any]:
    for action in map(_dict, _list(actions)):
        yield action.get("targetGroupArn")
        yield from (_dict(target).get("arn") for target in _list(_dict(action.get("forward")).get("targetGroups")))


def _references(resource: Resource, prop: str, values: Iterable[Any]) -> set[str]:
    """Known ARNs in `values` plus the URNs the property was computed from."""
    return {value for value in values if isinstance(value, str)} | set(resource.property_dependencies.get(prop, ()))


def autoscaling_groups_receive_traffic(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Every target group an ASG joins must be forwarded to by a listener: targets of a target group no listener
    uses never turn healthy, so the group's capacity wait would time out and its instances get no traffic."""
    target_groups = [resource for resource in resources if resource.type == TARGET_GROUP]
    canonical = {ref: group.urn for group in target_groups for ref in (group.urn, group.props.get("arn")) if ref}
    forwarded: set[str] = set()
    for resource in resources:
        prop = ACTIONS.get(resource.type)
        if prop:
            refs = _references(resource, prop, _forward_targets(resource.props.get(prop)))
            forwarded |= {canonical.get(ref, ref) for ref in refs}
    violations = []
    for group in (resource for resource in resources if resource.type == AUTOSCALING_GROUP):
        arns = group.props.get("targetGroupArns")
        joined = {canonical.get(ref, ref) for ref in _references(group, "targetGroupArns", _list(arns))}
        if not joined and (arns is UNKNOWN or UNKNOWN in _list(arns)):
            continue
        if not joined:
            violations.append(
                (
                    group.urn,
                    f"Autoscaling group {group.name!r} is in no target group: attach one a listener forwards to.",
                )
            )
        violations += [
            (
                group.urn,
                f"Autoscaling group {group.name!r} is in target group {ref!r}, which no listener forwards to: forward "
                "to it from the load balancer's listener (default action or listener rule), or detach it.",
            )
            for ref in sorted(joined - forwarded)
        ]
    return violations


def autoscaling_groups_scale_themselves(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Every autoscaling group has a target-tracking policy, or says it does not scale (tag fleet:scaling=off)."""
    scaled: set[str] = set()
    for policy in resources:
        if policy.type == SCALING_POLICY and policy.props.get("policyType") == "TargetTrackingScaling":
            scaled |= _references(policy, "autoscalingGroupName", [policy.props.get("autoscalingGroupName")])
    violations = []
    for group in (resource for resource in resources if resource.type == AUTOSCALING_GROUP):
        if {group.urn, group.resource_id, group.props.get("name")} & scaled:
            continue
        tags = {_dict(tag).get("key"): _dict(tag).get("value") for tag in _list(group.props.get("tags"))}
        if tags.get(SCALING_TAG) == SCALING_OFF:
            continue
        violations.append(
            (
                group.urn,
                f"Autoscaling group {group.name!r} has no target-tracking scaling policy: it would hold one size "
                f"whatever the load. Give it one, or tag it {SCALING_TAG}={SCALING_OFF} where scaling is deliberately "
                "off.",
            )
        )
    return violations


ACTIONS = {LISTENER: "defaultActions", LISTENER_RULE: "actions"}
"""Where listeners and listener rules hold their actions."""


def _weighted_forwards(resource: Resource) -> Iterator[list[Mapping[str, Any]]]:
    """The target groups of each forward action of a listener or listener rule that splits requests by weight."""
    for action in map(_dict, _list(resource.props.get(ACTIONS.get(resource.type, "")))):
        targets = [_dict(target) for target in _list(_dict(action.get("forward")).get("targetGroups"))]
        if len(targets) > 1:
            yield targets


def _target_group_of(
    target: Mapping[str, Any], resource: Resource, targets: list[Mapping[str, Any]], by_ref: Mapping[str, Resource]
) -> Resource | None:
    """The declared target group a weighted target names: by ARN, or while its ARN is unknown (a new target group
    during preview) the one target group the actions depend on that no known ARN names."""
    arn = target.get("arn")
    if isinstance(arn, str):
        return by_ref.get(arn)
    named = {by_ref[ref].urn for ref in (t.get("arn") for t in targets) if isinstance(ref, str) and ref in by_ref}
    unnamed = {by_ref[urn].urn for urn in resource.property_dependencies.get("actions", ()) if urn in by_ref} - named
    unknown = [t for t in targets if not isinstance(t.get("arn"), str)]
    return by_ref[unnamed.pop()] if len(unnamed) == 1 and len(unknown) == 1 else None


def weighted_forwards_bound_the_canary_share(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """A weighted forward shares 100 between its target groups and gives a canary's (tagged fleet:track=canary)
    1-50 of it: 0 would compare nothing, more would move most requests to hosts no cut-over health-gated."""
    target_groups = [resource for resource in resources if resource.type == TARGET_GROUP]
    by_ref = {ref: group for group in target_groups for ref in (group.urn, group.props.get("arn")) if ref}
    violations = []
    for resource in resources:
        for targets in _weighted_forwards(resource):
            weights = [target.get("weight", DEFAULT_WEIGHT) for target in targets]
            if any(_number(weight) is None for weight in weights):
                continue
            if sum(weights) != TOTAL_WEIGHT:
                violations.append(
                    (
                        resource.urn,
                        f"Weighted forward of {resource.name!r} has weights {weights}, which add up to {sum(weights)}: "
                        f"make them add up to {TOTAL_WEIGHT}, so each is the percentage of requests it takes.",
                    )
                )
            for target, weight in zip(targets, weights, strict=True):
                group = _target_group_of(target, resource, targets, by_ref)
                if group is not None and _tags(group).get(TRACK_TAG) == CANARY_TRACK and weight not in CANARY_WEIGHTS:
                    violations.append(
                        (
                            resource.urn,
                            f"Weighted forward of {resource.name!r} gives the canary target group {group.name!r} "
                            f"weight {weight}: a canary takes 1-50 percent of requests (fleet:services.<name>.canary"
                            ".weight). Finish the canary to move all requests to it, or remove it.",
                        )
                    )
    return violations


# --- the pack --------------------------------------------------------------------------------------------------

RESOURCE_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "launch-template-requires-imdsv2",
        "Launch templates require IMDSv2 session tokens.",
        frozenset({LAUNCH_TEMPLATE}),
        launch_template_requires_imdsv2,
    ),
    ResourceRule(
        "launch-template-has-no-key-pair",
        "Launch templates install no SSH key pair: hosts are replaced, never logged into and changed.",
        frozenset({LAUNCH_TEMPLATE}),
        launch_template_has_no_key_pair,
    ),
    ResourceRule(
        "launch-template-encrypts-root-volume",
        "Launch templates encrypt their EBS volumes.",
        frozenset({LAUNCH_TEMPLATE}),
        launch_template_encrypts_root_volume,
    ),
    ResourceRule(
        "launch-template-pins-image-digest",
        "The boot script runs the container image by @sha256 digest, never by a mutable tag.",
        frozenset({LAUNCH_TEMPLATE}),
        launch_template_pins_image_digest,
    ),
    ResourceRule(
        "launch-template-installs-nothing",
        "Boot scripts install no packages (dnf, yum, apt...): the host image carries what hosts need.",
        frozenset({LAUNCH_TEMPLATE}),
        launch_template_installs_nothing,
    ),
    ResourceRule(
        "secret-setting-is-secure-string",
        "A setting set as a secret is stored as a SecureString SSM parameter, never a plaintext String.",
        frozenset({SSM_PARAMETER}),
        secret_setting_is_secure_string,
    ),
    ResourceRule(
        "autoscaling-group-uses-elb-health-check",
        "Autoscaling groups replace instances the load balancer finds unhealthy.",
        frozenset({AUTOSCALING_GROUP}),
        autoscaling_group_uses_elb_health_check,
    ),
    ResourceRule(
        "autoscaling-group-waits-for-capacity",
        "Autoscaling group creation waits, for a bounded time, until its instances are healthy in the target group.",
        frozenset({AUTOSCALING_GROUP}),
        autoscaling_group_waits_for_capacity,
    ),
    ResourceRule(
        "autoscaling-group-has-target-groups",
        "Autoscaling groups register their instances with a target group.",
        frozenset({AUTOSCALING_GROUP}),
        autoscaling_group_has_target_groups,
    ),
    ResourceRule(
        "autoscaling-group-is-not-named",
        "Autoscaling groups use name_prefix or auto-naming, so a replacement can exist beside the old group.",
        frozenset({AUTOSCALING_GROUP}),
        autoscaling_group_is_not_named,
    ),
    ResourceRule(
        "autoscaling-group-declares-its-desired-capacity",
        "Autoscaling groups never ignore desiredCapacity: the program declares the live value and carries it over.",
        frozenset({AUTOSCALING_GROUP}),
        autoscaling_group_declares_its_desired_capacity,
    ),
    ResourceRule(
        "autoscaling-group-pins-launch-template-version",
        "Autoscaling groups run a fixed launch template version, not $Latest or $Default.",
        frozenset({AUTOSCALING_GROUP}),
        autoscaling_group_pins_launch_template_version,
    ),
    ResourceRule(
        "release-resources-create-before-delete",
        "Launch templates, autoscaling groups and target groups are replaced create-before-delete.",
        frozenset({LAUNCH_TEMPLATE, AUTOSCALING_GROUP, TARGET_GROUP}),
        release_resource_is_created_before_delete,
    ),
    ResourceRule(
        "security-group-opens-no-admin-ports",
        "No security group ingress on SSH (22) or RDP (3389).",
        frozenset({SECURITY_GROUP, INGRESS_RULE, SECURITY_GROUP_RULE}),
        security_group_opens_no_admin_ports,
    ),
    ResourceRule(
        "instance-security-group-is-not-public",
        "Only the load balancer's security group is open to 0.0.0.0/0 or ::/0.",
        frozenset({SECURITY_GROUP}),
        instance_security_group_is_not_public,
    ),
    ResourceRule(
        "https-listener-uses-tls13-policy",
        "HTTPS listeners negotiate with a TLS 1.3 security policy (ELBSecurityPolicy-TLS13-*).",
        frozenset({LISTENER}),
        https_listener_uses_tls13_policy,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "security-group-rules-open-only-load-balancer",
        "Standalone ingress rules open only the load balancer's security group to 0.0.0.0/0 or ::/0.",
        standalone_rules_open_only_load_balancer,
    ),
    StackRule(
        "autoscaling-groups-scale-themselves",
        "Every autoscaling group has a target-tracking policy, or is tagged fleet:scaling=off.",
        autoscaling_groups_scale_themselves,
    ),
    StackRule(
        "weighted-forwards-bound-the-canary-share",
        "Weighted forwards share 100 between their target groups, and give a canary's 1-50 of it.",
        weighted_forwards_bound_the_canary_share,
    ),
    StackRule(
        "autoscaling-groups-receive-traffic",
        "Every autoscaling group is in target groups that a load balancer listener forwards to.",
        autoscaling_groups_receive_traffic,
    ),
)


def evaluate(resources: Iterable[Resource]) -> list[Violation]:
    """Every violation of the pack in a set of resources, as the engine would report them, without the engine."""
    records = list(resources)
    found = [
        Violation(rule.name, resource.urn, message)
        for rule in RESOURCE_RULES
        for resource in records
        if resource.type in rule.resource_types
        for message in rule.check(resource)
    ]
    return found + [Violation(rule.name, urn, message) for rule in STACK_RULES for urn, message in rule.check(records)]


def _resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in rule.resource_types:
            for message in rule.check(from_validation_args(args)):
                report_violation(message, None)

    return ResourceValidationPolicy(
        rule.name, rule.description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


def _stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in rule.check(from_stack_args(args)):
            report_violation(message, urn)

    return StackValidationPolicy(
        rule.name, rule.description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


POLICIES: list[Policy] = [*map(_resource_policy, RESOURCE_RULES), *map(_stack_policy, STACK_RULES)]
