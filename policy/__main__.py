"""fleet's policy pack, `fleet-immutability`: every rule, by what it guards, all mandatory.

`pulumi preview --policy-pack policy` serves it to the engine: pulumi's policy host runs this folder as `__main__`
(the SDK's `pulumi/policy/__main__.py`: `runpy.run_path(program, run_name="__main__")`), which constructs the
`PolicyPack`: that starts the analyzer's gRPC server and blocks. Imported as `policy.__main__`, the module only
lists the rules; run them without the engine with `evaluate(records)`, e.g. over a program run under mocks:

    from policy.__main__ import evaluate
    from policy.records import declared
    records = [declared(args.typ, args.name, args.inputs, resource_id=mock_id) for args, mock_id in seen]
    assert evaluate(records) == []

Each rule's check lives in the module of what it guards; the lists group the rules by module, the modules in
alphabetical order, and a new module's rules go in as a group of their own. Values unknown during preview are
`UNKNOWN`: a rule that cannot decide on an unknown value passes it, because the same check runs again at
`pulumi up`, when the value is known.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

# The policy host runs this folder with runpy, which puts the folder itself on sys.path: add the repository so
# the pack imports as the `policy` package, as the tests do.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from fleet.names import TLS_POLICY
from fleet.resource_types import (
    AUTOSCALING_GROUP,
    INGRESS_RULE,
    LAUNCH_TEMPLATE,
    LISTENER,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SSM_PARAMETER,
    TARGET_GROUP,
)
from policy import hostnames, hosts, network, releases, traffic
from policy.base import ResourceRule, StackRule, Violation
from policy.records import Resource

RESOURCE_RULES: tuple[ResourceRule, ...] = (
    # what a host is and boots (policy/hosts.py)
    ResourceRule(
        "launch-template-requires-imdsv2",
        "Launch templates require IMDSv2 session tokens.",
        frozenset({LAUNCH_TEMPLATE}),
        hosts.launch_template_requires_imdsv2,
    ),
    ResourceRule(
        "launch-template-has-no-key-pair",
        "Launch templates install no SSH key pair: hosts are replaced, never logged into and changed.",
        frozenset({LAUNCH_TEMPLATE}),
        hosts.launch_template_has_no_key_pair,
    ),
    ResourceRule(
        "launch-template-encrypts-root-volume",
        "Launch templates encrypt their EBS volumes.",
        frozenset({LAUNCH_TEMPLATE}),
        hosts.launch_template_encrypts_root_volume,
    ),
    ResourceRule(
        "launch-template-pins-image-digest",
        "The boot script runs the container image by @sha256 digest, never by a mutable tag.",
        frozenset({LAUNCH_TEMPLATE}),
        hosts.launch_template_pins_image_digest,
    ),
    ResourceRule(
        "launch-template-installs-nothing",
        "Boot scripts install no packages (dnf, yum, apt...): the host image carries what hosts need.",
        frozenset({LAUNCH_TEMPLATE}),
        hosts.launch_template_installs_nothing,
    ),
    ResourceRule(
        "secret-setting-is-secure-string",
        "A setting set as a secret is stored as a SecureString SSM parameter, never a plaintext String.",
        frozenset({SSM_PARAMETER}),
        hosts.secret_setting_is_secure_string,
    ),
    # what the network lets in (policy/network.py)
    ResourceRule(
        "security-group-opens-no-admin-ports",
        "No security group ingress on SSH (22) or RDP (3389).",
        frozenset({SECURITY_GROUP, INGRESS_RULE, SECURITY_GROUP_RULE}),
        network.security_group_opens_no_admin_ports,
    ),
    ResourceRule(
        "instance-security-group-is-not-public",
        "Only the load balancer's security group is open to 0.0.0.0/0 or ::/0.",
        frozenset({SECURITY_GROUP}),
        network.instance_security_group_is_not_public,
    ),
    ResourceRule(
        "https-listener-uses-tls13-policy",
        "HTTPS listeners negotiate with a TLS 1.3 security policy (ELBSecurityPolicy-TLS13-*).",
        frozenset({LISTENER}),
        network.https_listener_uses_tls13_policy,
    ),
    # how a release replaces the last (policy/releases.py)
    ResourceRule(
        "autoscaling-group-uses-elb-health-check",
        "Autoscaling groups replace instances the load balancer finds unhealthy.",
        frozenset({AUTOSCALING_GROUP}),
        releases.autoscaling_group_uses_elb_health_check,
    ),
    ResourceRule(
        "autoscaling-group-waits-for-capacity",
        "Autoscaling group creation waits, for a bounded time, until its instances are healthy in the target group.",
        frozenset({AUTOSCALING_GROUP}),
        releases.autoscaling_group_waits_for_capacity,
    ),
    ResourceRule(
        "autoscaling-group-is-not-named",
        "Autoscaling groups use name_prefix or auto-naming, so a replacement can exist beside the old group.",
        frozenset({AUTOSCALING_GROUP}),
        releases.autoscaling_group_is_not_named,
    ),
    ResourceRule(
        "autoscaling-group-declares-its-desired-capacity",
        "Autoscaling groups never ignore desiredCapacity: the program declares the live value and carries it over.",
        frozenset({AUTOSCALING_GROUP}),
        releases.autoscaling_group_declares_its_desired_capacity,
    ),
    ResourceRule(
        "autoscaling-group-pins-launch-template-version",
        "Autoscaling groups run a fixed launch template version, not $Latest or $Default.",
        frozenset({AUTOSCALING_GROUP}),
        releases.autoscaling_group_pins_launch_template_version,
    ),
    ResourceRule(
        "release-resources-create-before-delete",
        "Launch templates, autoscaling groups and target groups are replaced create-before-delete.",
        frozenset({LAUNCH_TEMPLATE, AUTOSCALING_GROUP, TARGET_GROUP}),
        releases.release_resource_is_created_before_delete,
    ),
    # where requests go (policy/traffic.py)
    ResourceRule(
        "autoscaling-group-has-target-groups",
        "Autoscaling groups register their instances with a target group.",
        frozenset({AUTOSCALING_GROUP}),
        traffic.autoscaling_group_has_target_groups,
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    # where each hostname is served (policy/hostnames.py)
    StackRule(
        "hostnames-are-claimed-once",
        "No two services' listener rules match the same hostname on a listener.",
        hostnames.hostnames_are_claimed_once,
    ),
    StackRule(
        "host-rules-forward-to-their-own-service",
        "A listener rule with a host-header condition forwards only to target groups of its own service.",
        hostnames.host_rules_forward_to_their_own_service,
    ),
    StackRule(
        "https-listeners-use-the-tls-policy",
        f"Every HTTPS listener uses the TLS policy {TLS_POLICY}.",
        hostnames.https_listeners_use_the_tls_policy,
    ),
    # what the network lets in (policy/network.py)
    StackRule(
        "security-group-rules-open-only-load-balancer",
        "Standalone ingress rules open only the load balancer's security group to 0.0.0.0/0 or ::/0.",
        network.standalone_rules_open_only_load_balancer,
    ),
    # how a release replaces the last (policy/releases.py)
    StackRule(
        "autoscaling-groups-scale-themselves",
        "Every autoscaling group has a target-tracking policy, or is tagged fleet:scaling=off.",
        releases.autoscaling_groups_scale_themselves,
    ),
    # where requests go (policy/traffic.py)
    StackRule(
        "weighted-forwards-bound-the-canary-share",
        "Weighted forwards share 100 between their target groups, and give a canary's 1-50 of it.",
        traffic.weighted_forwards_bound_the_canary_share,
    ),
    StackRule(
        "autoscaling-groups-receive-traffic",
        "Every autoscaling group is in target groups that a load balancer listener forwards to.",
        traffic.autoscaling_groups_receive_traffic,
    ),
)

RULES: tuple[ResourceRule | StackRule, ...] = (*RESOURCE_RULES, *STACK_RULES)


def evaluate(resources: Iterable[Resource]) -> list[Violation]:
    """Every violation of the pack in a set of resources, as the engine would report them, without the engine."""
    records = list(resources)
    return [violation for rule in RULES for violation in rule.violations(records)]


POLICIES: list[Policy] = [rule.policy() for rule in RULES]

if __name__ == "__main__":
    PolicyPack(name="fleet-immutability", policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
