"""`fleetctl promote`: staging's live images pinned into prod's stack file, nothing else changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fleetctl.fleetctl_samples import AMI_NEW, AMI_OLD, image_ref, outputs, release

REPO = Path(__file__).resolve().parents[2]


def web_lines(version: str, ref: str, host_image: str) -> tuple[str, str, str]:
    """The three lines promote writes for prod's web service, as the fixture's prod file lays them out."""
    return (
        f'        version: "{version}"   # set by fleetctl promote\n',
        f"        ref: {ref}\n",
        f"      hostImage: {host_image}\n      instanceType",
    )


def replace_lines(text: str, old: tuple[str, ...], new: tuple[str, ...]) -> str:
    for before, after in zip(old, new, strict=True):
        assert text.count(before) == 1
        text = text.replace(before, after)
    return text


def test_promote_changes_only_the_pinned_lines_keeping_comments_order_and_secrets(project, fleetctl, write_outputs):
    before = project.read("Pulumi.prod.yaml")
    staging = outputs("staging", {"web": [release("web", "1.1.0", AMI_NEW)], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    expected = replace_lines(
        before,
        web_lines("1.0.0", image_ref("web", "1.0.0"), AMI_OLD),
        web_lines("1.1.0", image_ref("web", "1.1.0"), AMI_NEW),
    )
    assert project.read("Pulumi.prod.yaml") == expected


def test_promote_prints_old_and_new_values_and_unchanged_fields(project, fleetctl, write_outputs):
    staging = outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    web_digest = image_ref("web", "1.1.0").split("@")[1][:19]
    assert "web: version 1.0.0 → 1.1.0" in result.out
    assert f"→ fleet-staging-web@{web_digest}" in result.out
    assert f"web: host image unchanged ({AMI_OLD})" in result.out
    assert "api: version unchanged (2.0.0)" in result.out


def test_promote_of_one_service_leaves_the_others_untouched(project, fleetctl, write_outputs):
    before = project.read("Pulumi.prod.yaml")
    staging = outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.1.0")]})

    result = fleetctl("promote", "staging", "prod", "--service", "web", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    expected = replace_lines(
        before,
        web_lines("1.0.0", image_ref("web", "1.0.0"), AMI_OLD),
        web_lines("1.1.0", image_ref("web", "1.1.0"), AMI_OLD),
    )
    assert project.read("Pulumi.prod.yaml") == expected
    assert "api" not in result.out


def test_promote_reads_the_source_outputs_from_the_pulumi_cli(project, fleetctl, pulumi):
    pulumi.record("staging", outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]}))

    result = fleetctl("promote", "staging", "prod")

    assert result.code == 0, result.err
    assert pulumi.calls() == [["stack", "output", "--json", "--stack", "staging"]]
    assert f"ref: {image_ref('web', '1.1.0')}" in project.read("Pulumi.prod.yaml")


def test_promote_dry_run_prints_the_changes_and_writes_nothing(project, fleetctl, write_outputs):
    before = project.read("Pulumi.prod.yaml")
    staging = outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "staging", "prod", "--dry-run", "--from-outputs", write_outputs(staging))

    assert result.code == 0
    assert "web: version 1.0.0 → 1.1.0" in result.out
    assert "not written (--dry-run)" in result.out
    assert project.read("Pulumi.prod.yaml") == before


def test_promote_of_the_live_releases_leaves_the_file_as_it_is(project, fleetctl, write_outputs):
    before = project.read("Pulumi.prod.yaml")
    staging = outputs("staging", {"web": [release("web", "1.0.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 0
    assert "nothing to write" in result.out
    assert project.read("Pulumi.prod.yaml") == before


def test_promote_as_a_subprocess_calls_pulumi_and_writes_the_stack_file(project, pulumi):
    pulumi.record("staging", outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]}))
    environment = {**os.environ, "PYTHONPATH": str(REPO)}

    result = subprocess.run(
        [sys.executable, "-m", "fleetctl", "promote", "staging", "prod"],
        cwd=project.root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "web: version 1.0.0 → 1.1.0" in result.stdout
    assert pulumi.calls() == [["stack", "output", "--json", "--stack", "staging"]]
    assert 'version: "1.1.0"   # set by fleetctl promote' in project.read("Pulumi.prod.yaml")


@pytest.mark.parametrize(
    ("declared", "source"),
    [("staging", "staging"), ("acme/fleet/staging", "staging"), ("staging", "acme/fleet/staging")],
)
def test_promote_from_the_declared_source_is_allowed_without_warning(
    project, fleetctl, write_outputs, declared, source
):
    project.edit("Pulumi.prod.yaml", "from: staging", f"from: {declared}")
    staging = outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", source, "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    assert 'version: "1.1.0"' in project.read("Pulumi.prod.yaml")
    assert "warning" not in result.err


def test_promote_into_a_stack_without_promotion_guard_warns_and_writes(project, fleetctl, write_outputs):
    project.write(
        "Pulumi.qa.yaml", project.read("Pulumi.prod.yaml").replace("  fleet:promotion:\n    from: staging\n", "")
    )
    staging = outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "staging", "qa", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    assert result.err == (
        "warning: Pulumi.qa.yaml has no fleet:promotion: stack qa has no promotion guard, "
        "images from any stack can be promoted into it\n"
    )
    assert f"ref: {image_ref('web', '1.1.0')}" in project.read("Pulumi.qa.yaml")


# Failures: exit code 2, a message naming what is wrong, the stack file untouched.


@pytest.mark.parametrize(
    ("declared", "source"),
    [("staging", "qa"), ("acme/fleet/staging", "qa"), ("acme/fleet/staging", "other/fleet/staging")],
)
def test_promote_refuses_a_source_other_than_the_declared_promotion_source(
    project, fleetctl, write_outputs, declared, source
):
    project.edit("Pulumi.prod.yaml", "from: staging", f"from: {declared}")
    before = project.read("Pulumi.prod.yaml")
    qa = outputs("qa", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", source, "prod", "--from-outputs", write_outputs(qa))

    assert result.code == 2
    assert (
        f"Pulumi.prod.yaml declares fleet:promotion.from: {declared}, so stack prod is promoted only from "
        f"{declared}, not from {source}"
    ) in result.err
    assert project.read("Pulumi.prod.yaml") == before


@pytest.fixture
def prod_before(project) -> str:
    return project.read("Pulumi.prod.yaml")


def staging_web(**changes: Any) -> dict[str, Any]:
    """Staging's outputs with web 1.1.0 live, its release changed by `changes` (None removes a field)."""
    web = {key: value for key, value in {**release("web", "1.1.0"), **changes}.items() if value is not None}
    return outputs("staging", {"web": [web]})


@pytest.mark.parametrize(
    ("staging", "options", "message"),
    [
        pytest.param({"stack": "staging"}, [], "stack staging has no `services` output", id="no-services-output"),
        pytest.param(
            staging_web(), ["--service", "api"], "stack staging has no service api; it has: web", id="no-such-service"
        ),
        pytest.param(
            staging_web(hostImage=None),
            [],
            "staging outputs services.web.release lacks hostImage",
            id="release-without-host-image",
        ),
        pytest.param(
            staging_web(instanceType=None),
            [],
            "staging outputs services.web.release lacks instanceType",
            id="release-without-instance-type",
        ),
        pytest.param(
            staging_web(imageRef="123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web:1.1.0"),
            [],
            "staging outputs services.web.release.imageRef must be an ECR image pinned by digest",
            id="image-ref-not-pinned-by-digest",
        ),
        pytest.param(
            outputs("staging", {"worker": [release("worker", "1.0.0")]}),
            ["--service", "worker"],
            "Pulumi.prod.yaml has no service worker under fleet:services; it has: web, api",
            id="target-file-without-the-service",
        ),
    ],
)
def test_promote_fails_naming_what_the_source_outputs_or_target_file_lack(
    project, fleetctl, write_outputs, prod_before, staging, options, message
):
    result = fleetctl("promote", "staging", "prod", *options, "--from-outputs", write_outputs(staging))

    assert result.code == 2
    assert message in result.err
    assert project.read("Pulumi.prod.yaml") == prod_before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("config: [unclosed\n", "Pulumi.prod.yaml is not valid YAML", id="not-yaml"),
        pytest.param("encryptionsalt: v1:abc\n", "Pulumi.prod.yaml has no `config:` mapping", id="no-config-mapping"),
    ],
)
def test_promote_fails_on_a_target_file_it_cannot_read(project, fleetctl, write_outputs, content, message):
    project.write("Pulumi.prod.yaml", content)

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging_web()))

    assert result.code == 2
    assert message in result.err
    assert project.read("Pulumi.prod.yaml") == content


def test_promote_refuses_to_write_a_config_that_would_be_invalid(project, fleetctl, write_outputs):
    project.edit("Pulumi.prod.yaml", "drainSeconds: 60", "drainSeconds: 9000")
    before = project.read("Pulumi.prod.yaml")
    staging = outputs("staging", {"web": [release("web", "1.1.0")]})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 2
    assert "would not be a valid stack config, not written" in result.err
    assert "fleet:services.web.drainSeconds: must be from 0 to 3600; got 9000" in result.err
    assert project.read("Pulumi.prod.yaml") == before


def test_promote_refuses_a_file_it_cannot_rewrite_without_reformatting_other_lines(project, fleetctl, write_outputs):
    project.edit("Pulumi.prod.yaml", "capacity: {min: 2, desired: 3, max: 10}", "capacity: {min: 2,desired: 3,max: 10}")
    before = project.read("Pulumi.prod.yaml")
    staging = outputs("staging", {"web": [release("web", "1.1.0")]})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 2
    assert "cannot be edited without reformatting line 16" in result.err
    assert project.read("Pulumi.prod.yaml") == before


def refused(result, prod_before: str, project) -> str:
    """The one line of a refusal: exit code 2, nothing on stdout, the stack file untouched."""
    assert result.code == 2
    assert result.out == ""
    assert project.read("Pulumi.prod.yaml") == prod_before
    assert len(result.err.splitlines()) == 1
    return result.err


@pytest.mark.parametrize("source", ["prod", "acme/fleet/prod"])
def test_promote_refuses_a_stack_into_itself(project, fleetctl, write_outputs, prod_before, source):
    prod = outputs("prod", {"web": [release("web", "1.1.0")]})

    result = fleetctl("promote", source, "prod", "--from-outputs", write_outputs(prod))

    assert refused(result, prod_before, project) == (
        "fleetctl promote: cannot promote stack prod into itself: promotion pins another stack's images; "
        "to return to an earlier release use `fleetctl rollback prod`\n"
    )


def test_promote_refuses_a_target_that_builds_its_images(project, fleetctl, write_outputs, prod_before):
    staging_before = project.read("Pulumi.staging.yaml")
    prod = outputs("prod", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "prod", "staging", "--from-outputs", write_outputs(prod))

    assert refused(result, prod_before, project) == (
        "fleetctl promote: Pulumi.staging.yaml builds web from images/web: a stack that builds its images is "
        "released by changing its files and image.version, never pinned to a built image\n"
    )
    assert project.read("Pulumi.staging.yaml") == staging_before


@pytest.mark.parametrize(
    ("source_outputs", "message"),
    [
        pytest.param(
            outputs("qa", {"web": [release("web", "1.1.0")]}),
            "{path} holds the outputs of stack qa, not of staging",
            id="another-stack",
        ),
        pytest.param(
            {"services": staging_web()["services"]},
            "{path} has no `stack` output: cannot tell which stack these outputs are from",
            id="no-stack-named",
        ),
    ],
)
def test_promote_refuses_outputs_not_known_to_be_the_sources(
    project, fleetctl, write_outputs, prod_before, source_outputs, message
):
    path = write_outputs(source_outputs)

    result = fleetctl("promote", "staging", "prod", "--from-outputs", path)

    assert refused(result, prod_before, project) == f"fleetctl promote: {message.format(path=path)}\n"


def test_promote_prints_no_change_when_the_result_is_invalid(project, fleetctl, write_outputs):
    project.edit("Pulumi.prod.yaml", "desired: 3, max: 10", "desired: 30, max: 10")
    prod_before = project.read("Pulumi.prod.yaml")
    staging = outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert "would not be a valid stack config, not written" in refused(result, prod_before, project)


# Architecture: an image runs only on hosts of the CPU architecture it was built for.


def test_promote_refuses_an_arm64_image_for_a_target_that_runs_amd64_naming_the_service(
    project, fleetctl, write_outputs, prod_before
):
    web = {**release("web", "1.1.0"), "instanceType": "t4g.small"}
    staging = outputs("staging", {"web": [web], "api": [release("api", "2.0.0")]})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 2
    assert (
        "service web: its image 1.1.0 ran on t4g.small, so it is built for linux/arm64, but Pulumi.prod.yaml runs "
        "web on t3.small (linux/amd64)"
    ) in result.err
    assert project.read("Pulumi.prod.yaml") == prod_before


def test_promote_checks_against_the_default_instance_type_when_the_target_sets_none(
    project, fleetctl, write_outputs, prod_before
):
    api = {**release("api", "2.1.0"), "instanceType": "m7g.large"}
    staging = outputs("staging", {"api": [api]})

    result = fleetctl("promote", "staging", "prod", "--service", "api", "--from-outputs", write_outputs(staging))

    assert result.code == 2
    assert "service api: its image 2.1.0 ran on m7g.large, so it is built for linux/arm64" in result.err
    assert "runs api on t3.small (linux/amd64)" in result.err
    assert project.read("Pulumi.prod.yaml") == prod_before


def test_promote_accepts_an_image_for_another_instance_type_of_the_same_architecture(project, fleetctl, write_outputs):
    project.edit("Pulumi.prod.yaml", "instanceType: t3.small", "instanceType: m7g.large")
    web = {**release("web", "1.1.0"), "instanceType": "t4g.small"}
    staging = outputs("staging", {"web": [web]})

    result = fleetctl("promote", "staging", "prod", "--service", "web", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    assert f"ref: {image_ref('web', '1.1.0')}" in project.read("Pulumi.prod.yaml")
    assert "instanceType: m7g.large" in project.read("Pulumi.prod.yaml")
