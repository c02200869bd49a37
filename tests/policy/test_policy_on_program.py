"""The policy pack passes what the real program declares for staging and prod, and catches a broken variant."""

from __future__ import annotations

import pytest

import components.release
from fleet.resource_types import TARGET_GROUP
from fleetctl.simulation import mock_arn, qualified
from policy.__main__ import evaluate
from policy.records import Resource, declared


def records_of(run) -> list[Resource]:
    """Target groups come with their ARN, as a stack policy sees their outputs: forwards name them by it."""
    return [
        declared(
            r.type,
            r.name,
            {**r.inputs, "arn": mock_arn(r.type, r.name)} if r.type == TARGET_GROUP else r.inputs,
            r.options,
            resource_id=r.resource_id,
        )
        for r in run.resources
        if not r.type.startswith(("fleet:", "pulumi:"))
    ]


def violations(run) -> list[tuple[str, str]]:
    return [(violation.policy, violation.urn.rsplit("::", 1)[-1]) for violation in evaluate(records_of(run))]


def test_staging_passes_every_policy(program, staging_config):
    assert violations(program("staging", staging_config)) == []


def test_prod_passes_every_policy(program, prod_config, staging_outputs):
    run = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})

    assert violations(run) == []


def test_launch_template_without_imdsv2_is_caught(program, staging_config, monkeypatch):
    real = components.release.aws.ec2.LaunchTemplate

    def imdsv1(name, **kwargs):
        kwargs["metadata_options"] = {**kwargs["metadata_options"], "http_tokens": "optional"}
        return real(name, **kwargs)

    monkeypatch.setattr(components.release.aws.ec2, "LaunchTemplate", imdsv1)

    found = violations(program("staging", staging_config))

    assert [name for _, name in found] == ["web-release-launch-template"]
    assert "imds" in found[0][0].lower()


@pytest.mark.parametrize(
    ("change", "resource"),
    [
        ({"health_check_type": "EC2"}, "web-release-group"),
        ({"wait_for_capacity_timeout": "0"}, "web-release-group"),
        ({"name": "fleet-staging-web"}, "web-release-group"),
    ],
)
def test_group_that_breaks_the_health_gate_or_naming_is_caught(program, staging_config, monkeypatch, change, resource):
    real = components.release.aws.autoscaling.Group

    def broken(name, **kwargs):
        kwargs.update(change)
        if "name" in change:
            kwargs.pop("name_prefix")
        return real(name, **kwargs)

    monkeypatch.setattr(components.release.aws.autoscaling, "Group", broken)

    assert {name for _, name in violations(program("staging", staging_config))} == {resource}


def test_staging_with_scaling_turned_off_passes_every_policy(program, staging_config, with_service):
    assert violations(program("staging", with_service(staging_config, scaling={"enabled": False}))) == []


def test_group_whose_scaling_policy_is_missing_is_caught(program, staging_config, monkeypatch):
    monkeypatch.setattr(components.release, "target_tracking_metrics", lambda *_: {})

    assert violations(program("staging", staging_config)) == [
        ("autoscaling-groups-scale-themselves", "web-release-group")
    ]
