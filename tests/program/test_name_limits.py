"""Every physical name the program's resources get fits AWS's limits, on the longest config the rules accept.

The mocks autoname nothing, so this test does it as the provider does (fleet/limits.py says how and where that is
written) for every resource the program declares, and checks the result against AWS's limits. The configs are the
longest the config accepts: its longest service name (with and without a canary), the longest stack name it then
accepts, versions and settings names at their longest.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet import resource_types as types
from fleet.config import fleet_keys, parse_config
from fleet.config_types import ConfigError
from fleet.limits import AUTONAME_SUFFIX, ECR_REPOSITORY, NAME_PREFIX_SUFFIX
from tests.checkout import ROOT, stack_file

PULUMI_MAX_STACK_NAME = 100
"""pulumi/pulumi sdk/go/common/tokens/stack_name.go: "a stack name cannot exceed 100 characters"."""

AUTONAMED = {
    types.TARGET_GROUP: 32,  # pulumi-aws provider/aliases.go AutoName("name", 32, "-"); elbv2 validators
    types.LOAD_BALANCER: 32,  # terraform-provider-aws internal/service/elbv2 validName
    types.SECURITY_GROUP: 255,  # EC2 CreateSecurityGroup GroupName
    types.IAM_ROLE: 64,  # botocore iam roleNameType
    types.IAM_ROLE_POLICY: 128,  # botocore iam policyNameType
    types.INSTANCE_PROFILE: 128,  # botocore iam instanceProfileNameType
    types.SCALING_POLICY: 255,  # botocore autoscaling ResourceName (XmlStringMaxLen255)
}
"""Types the provider names `<logical>-<7 random>` when the program gives no name, and AWS's limit."""
NAMED = {
    types.LOG_GROUP: 512,  # botocore logs LogGroupName
    types.SSM_PARAMETER: 2048,  # botocore ssm PSParameterName
    types.ECR_REPOSITORY: 256,  # botocore ecr RepositoryName
    types.METRIC_ALARM: 255,  # botocore cloudwatch AlarmName
}
PREFIXED = {
    types.LAUNCH_TEMPLATE: 128,  # botocore ec2 LaunchTemplateName
    types.AUTOSCALING_GROUP: 255,  # botocore autoscaling XmlStringMaxLen255
}
NAMELESS = {
    types.LISTENER,
    types.LISTENER_RULE,
    types.ECR_LIFECYCLE_POLICY,
    types.DOCKER_IMAGE,
    types.STACK_REFERENCE,
}
"""Types with no name of their own in AWS (an ARN or id only), or not AWS resources."""


def longest_config(canary: bool) -> tuple[str, dict[str, Any]]:
    """The stack name and stack file of the longest names the config accepts: a 20-character service (14 with
    a canary, the most its canary's target group leaves), 50 settings of 128-character names, 128-character
    versions, and the longest stack name accepted with those."""
    raw = fleet_keys(stack_file("staging"))
    web = raw["services"].pop("web")
    web["image"]["version"] = "1" * 128
    web["settings"] = {f"S{index:02d}".ljust(128, "X"): "value" for index in range(50)}
    if canary:
        web["canary"] = {"image": {**web["image"], "version": "2" * 128}}
    raw["services"]["s" * (14 if canary else 20)] = web
    for length in range(PULUMI_MAX_STACK_NAME, 0, -1):
        try:
            parse_config(raw, "s" * length, ROOT)
        except ConfigError:
            continue
        return "s" * length, {f"fleet:{key}": value for key, value in raw.items()} | {"aws:region": "eu-west-1"}
    raise AssertionError("no stack name is accepted")


@pytest.fixture(scope="module")
def _runs() -> dict[bool, tuple[str, Any]]:
    return {}


@pytest.fixture
def deploy_longest(program, project: Path, _runs: dict[bool, tuple[str, Any]]) -> Callable[[bool], Any]:
    """Run the program on `longest_config(canary)`, its stack file written where the program reads it; once per
    `canary` in this module (the tests only read the run)."""

    def run(canary: bool):
        if canary not in _runs:
            stack, config = longest_config(canary)
            (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
            _runs[canary] = stack, program(stack, config, project_root=project)
        return _runs[canary]

    return run


def physical_name(declared) -> tuple[str, int] | None:
    """(the name, its longest length) as AWS would get it, None for a type with no name."""
    inputs = declared.inputs
    if declared.type in NAMED:
        return inputs["name"], len(inputs["name"])
    if declared.type in PREFIXED:
        assert "name" not in inputs, f"{declared.name}: a fixed name would defeat create-before-delete"
        return inputs["namePrefix"], len(inputs["namePrefix"]) + NAME_PREFIX_SUFFIX
    if declared.type in AUTONAMED:
        assert "name" not in inputs, f"{declared.name}: given a name, which the tests do not expect"
        return declared.name, len(declared.name) + AUTONAME_SUFFIX
    assert declared.type in NAMELESS, f"{declared.type} is not classified: add its name limit to this test"
    return None


@pytest.mark.parametrize("canary", [False, True], ids=["service", "service-with-canary"])
def test_every_name_of_the_longest_config_accepted_fits_awss_limit(deploy_longest, canary):
    stack, run = deploy_longest(canary)

    limits = {**AUTONAMED, **NAMED, **PREFIXED}
    too_long = []
    for declared in run.resources:
        if declared.type.startswith("fleet:") or (named := physical_name(declared)) is None:
            continue
        name, length = named
        if length > limits[declared.type]:
            too_long.append((declared.type, name, length, limits[declared.type]))
    assert too_long == []
    assert len(stack) >= 70  # the rules leave long stack names usable


@pytest.mark.parametrize("canary", [False, True], ids=["service", "service-with-canary"])
def test_one_more_character_of_stack_name_is_refused(canary):
    stack, config = longest_config(canary)
    raw = fleet_keys(copy.deepcopy(config))

    with pytest.raises(ConfigError):
        parse_config(raw, stack + "s", ROOT)


def test_security_group_names_never_start_with_sg_dash_and_repositories_are_lowercase(deploy_longest):
    _, run = deploy_longest(True)

    assert all(not group.name.startswith("sg-") for group in run.of_type(types.SECURITY_GROUP))
    assert all(ECR_REPOSITORY.match(repository.inputs["name"]) for repository in run.of_type(types.ECR_REPOSITORY))


@pytest.mark.parametrize("canary", [False, True], ids=["service", "service-with-canary"])
def test_the_launch_template_description_fits_ec2s_255_characters(deploy_longest, canary):
    _, run = deploy_longest(canary)

    assert all(len(template.inputs["description"]) <= 255 for template in run.of_type(types.LAUNCH_TEMPLATE))
