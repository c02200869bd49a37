"""The pack as the engine runs it: every rule registered, mandatory, fed through pulumi-policy's own objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from fleet.resource_types import (
    AUTOSCALING_GROUP,
    LAUNCH_TEMPLATE,
    LISTENER,
    SCALING_POLICY,
    SECURITY_GROUP,
    TARGET_GROUP,
)
from policy import __main__ as pack
from policy.records import UNKNOWN, declared, plain
from tests.policy.policy_samples import TARGET_GROUP_ARN

PACK = Path(__file__).resolve().parents[2] / "policy"


def engine_props(props: dict[str, Any]) -> Any:
    """Properties as the analyzer server hands them to policies: deserialized, behind the unknown-checking proxy."""
    return unknown_checking_proxy(deserialize_properties(props))


def engine_options(delete_before_replace: bool | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], delete_before_replace, [], None, [])  # type: ignore[arg-type]


def run_resource_policy(name: str, resource_type: str, props: dict[str, Any]) -> list[str]:
    policy = next(p for p in pack.POLICIES if p.name == name)
    assert isinstance(policy, ResourceValidationPolicy)
    args = ResourceValidationArgs(resource_type, engine_props(props), "urn:x", "web", engine_options(), None)
    reported: list[str] = []
    policy.validate(args, lambda message, urn: reported.append(message))
    return reported


def test_every_rule_is_a_policy_once() -> None:
    rule_names = [*(rule.name for rule in pack.RESOURCE_RULES), *(rule.name for rule in pack.STACK_RULES)]
    assert sorted(policy.name for policy in pack.POLICIES) == sorted(set(rule_names)) == sorted(rule_names)


def test_every_policy_is_mandatory() -> None:
    assert {policy.enforcement_level for policy in pack.POLICIES} == {EnforcementLevel.MANDATORY}


def test_pulumi_policy_yaml_runs_python_in_the_projects_virtualenv() -> None:
    project = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "../.venv"}}


def test_unknown_values_become_unknown_in_records() -> None:
    props = engine_props({"userData": UNKNOWN_STRING_VALUE, "tags": {"a": "b"}, "ids": ["x", UNKNOWN_STRING_VALUE]})
    assert plain(props) == {"userData": UNKNOWN, "tags": {"a": "b"}, "ids": ["x", UNKNOWN]}


def test_resource_policy_reports_violations_from_engine_args() -> None:
    reported = run_resource_policy("launch-template-has-no-key-pair", LAUNCH_TEMPLATE, {"keyName": "ops"})
    assert len(reported) == 1


def test_resource_policy_skips_a_value_unknown_during_preview_instead_of_failing() -> None:
    reported = run_resource_policy(
        "launch-template-pins-image-digest", LAUNCH_TEMPLATE, {"userData": UNKNOWN_STRING_VALUE}
    )
    assert reported == []


def test_resource_policy_ignores_other_resource_types() -> None:
    assert run_resource_policy("launch-template-has-no-key-pair", SECURITY_GROUP, {"keyName": "ops"}) == []


def test_stack_policy_reads_property_dependencies_from_engine_args() -> None:
    """During preview the ARNs are unknown; the engine's property dependencies still tie ASG, group and listener."""
    target_group = PolicyResource(
        TARGET_GROUP,
        engine_props({"arn": UNKNOWN_STRING_VALUE}),
        "urn:tg",
        "tg",
        engine_options(),
        None,
        None,
        [],
        {},
    )

    def depending(resource_type: str, urn: str, prop: str, value: Any) -> PolicyResource:
        props = engine_props({prop: value})
        return PolicyResource(resource_type, props, urn, urn, engine_options(), None, None, [], {prop: [target_group]})

    unknown_forward = [{"type": "forward", "targetGroupArn": UNKNOWN_STRING_VALUE}]
    resources = [
        target_group,
        depending(LISTENER, "urn:listener", "defaultActions", unknown_forward),
        depending(AUTOSCALING_GROUP, "urn:asg", "targetGroupArns", [UNKNOWN_STRING_VALUE]),
    ]
    policy = next(p for p in pack.POLICIES if p.name == "autoscaling-groups-receive-traffic")
    assert isinstance(policy, StackValidationPolicy)
    reported: list[tuple[str, str | None]] = []
    policy.validate(StackValidationArgs(resources[:1] + resources[2:]), lambda m, urn: reported.append((m, urn)))
    assert [urn for _, urn in reported] == ["urn:asg"]
    reported.clear()
    policy.validate(StackValidationArgs(resources), lambda m, urn: reported.append((m, urn)))
    assert reported == []


def scaling_policy(group: Any) -> Any:
    """A target-tracking policy of `group`, referring to it as the engine records it (a property dependency)."""
    return declared(
        SCALING_POLICY,
        "web-scale-cpu",
        {"policyType": "TargetTrackingScaling", "autoscalingGroupName": UNKNOWN},
        property_dependencies={"autoscalingGroupName": [group.urn]},
    )


def test_evaluate_names_the_policy_and_resource_of_each_violation(group_inputs: dict[str, Any]) -> None:
    group_inputs["healthCheckType"] = "EC2"
    asg = declared(AUTOSCALING_GROUP, "web-group", group_inputs)
    target_group = declared(TARGET_GROUP, "web-tg", {"arn": TARGET_GROUP_ARN})
    listener = declared(LISTENER, "l", {"defaultActions": [{"type": "forward", "targetGroupArn": TARGET_GROUP_ARN}]})
    violations = pack.evaluate([asg, target_group, listener, scaling_policy(asg)])
    assert [(v.policy, v.urn) for v in violations] == [("autoscaling-group-uses-elb-health-check", asg.urn)]


def test_evaluate_passes_a_compliant_release(
    launch_template_inputs: dict[str, Any], group_inputs: dict[str, Any], security_group_inputs: dict[str, Any]
) -> None:
    stack = [
        declared(LAUNCH_TEMPLATE, "web-launch-template", launch_template_inputs),
        asg := declared(AUTOSCALING_GROUP, "web-group", group_inputs),
        scaling_policy(asg),
        declared(TARGET_GROUP, "web-tg", {"arn": TARGET_GROUP_ARN}),
        declared(LISTENER, "l", {"defaultActions": [{"type": "forward", "targetGroupArn": TARGET_GROUP_ARN}]}),
        declared(SECURITY_GROUP, "web-sg", security_group_inputs),
    ]
    assert pack.evaluate(stack) == []
