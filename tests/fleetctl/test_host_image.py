"""`fleetctl host-image STACK`: the recommended host image from AWS's public SSM parameters (a real moto_server),
pinned as `hostImage` with every other byte of the stack file kept."""

from __future__ import annotations

import difflib

import boto3
import pytest

from fleetctl.commands.host_image import RECOMMENDED_IMAGE
from tests.fleetctl.fleetctl_samples import AMI_OLD


@pytest.fixture
def recommended(aws: boto3.Session) -> dict[str, str]:
    """What moto_server's public parameters hold for eu-west-1, per architecture."""
    ssm = aws.client("ssm", region_name="eu-west-1")
    return {arch: ssm.get_parameter(Name=name)["Parameter"]["Value"] for arch, name in RECOMMENDED_IMAGE.items()}


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_every_service_gets_the_recommended_image_and_nothing_else_changes(project, fleetctl, recommended):
    before = project.read("Pulumi.staging.yaml")

    result = fleetctl("host-image", "staging")

    assert result.code == 0, result.err
    assert recommended["x86_64"].startswith("ami-")
    one_service = [f"-      hostImage: {AMI_OLD}", f"+      hostImage: {recommended['x86_64']}"]
    assert changed_lines(before, project.read("Pulumi.staging.yaml")) == one_service * 2
    assert f"  web: host image {AMI_OLD} → {recommended['x86_64']} (x86_64): a release" in result.out


def test_a_graviton_instance_type_gets_the_arm64_image(project, fleetctl, recommended):
    project.edit("Pulumi.staging.yaml", "instanceType: t3.small", "instanceType: t4g.small")

    result = fleetctl("host-image", "staging", "--service", "web")

    assert result.code == 0, result.err
    assert f"hostImage: {recommended['arm64']}\n      instanceType: t4g.small" in project.read("Pulumi.staging.yaml")
    assert recommended["arm64"] != recommended["x86_64"]


def test_only_the_named_service_is_pinned(project, fleetctl, recommended):
    fleetctl("host-image", "staging", "--service", "api")

    text = project.read("Pulumi.staging.yaml")
    assert text.count(f"hostImage: {recommended['x86_64']}") == 1
    assert f"hostImage: {recommended['x86_64']}\n      publicPort: 8081" in text


def test_an_architecture_the_instance_type_cannot_run_is_refused(project, fleetctl, recommended):
    before = project.read("Pulumi.staging.yaml")

    result = fleetctl("host-image", "staging", "--arch", "arm64")

    assert result.code == 2
    assert "service web runs t3.small, which needs an x86_64 host image, not arm64" in result.err
    assert project.read("Pulumi.staging.yaml") == before


def test_a_dry_run_writes_nothing(project, fleetctl, recommended):
    before = project.read("Pulumi.staging.yaml")

    result = fleetctl("host-image", "staging", "--dry-run")

    assert "not written (--dry-run)" in result.out
    assert project.read("Pulumi.staging.yaml") == before


def test_a_current_image_is_left_as_it_is(project, fleetctl, recommended):
    fleetctl("host-image", "staging")
    pinned = project.read("Pulumi.staging.yaml")

    result = fleetctl("host-image", "staging")

    assert "already pins these releases; nothing to write" in result.out
    assert project.read("Pulumi.staging.yaml") == pinned


def test_the_image_comes_from_the_stack_region_not_the_shell_region(project, fleetctl, aws, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    in_stack_region = aws.client("ssm", region_name="eu-west-1").get_parameter(Name=RECOMMENDED_IMAGE["x86_64"])

    fleetctl("host-image", "staging", "--service", "web")

    assert f"hostImage: {in_stack_region['Parameter']['Value']}" in project.read("Pulumi.staging.yaml")


def test_a_promoted_stack_is_pinned_with_a_warning(project, fleetctl, recommended):
    result = fleetctl("host-image", "prod")

    assert result.code == 0, result.err
    assert "warning: stack prod is promoted" in result.err
    assert "# The public site." in project.read("Pulumi.prod.yaml")
