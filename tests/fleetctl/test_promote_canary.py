"""`fleetctl promote SOURCE TARGET --canary`: the source's release becomes the target's canary, live stays as it is."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from fleet.config import fleet_keys, parse_config
from tests.fleetctl.fleetctl_samples import AMI_NEW, AMI_OLD, image_ref, outputs, release

WEB_IMAGE_END = f"        ref: {image_ref('web', '1.0.0')}\n"


def canary_block(version: str, host_image: str | None = None, weight: int = 10) -> str:
    """The lines `promote --canary` adds under prod's web, right after its image."""
    host = f"        hostImage: {host_image}\n" if host_image else ""
    return (
        f'      canary:\n        image:\n          version: "{version}"\n'
        f"          ref: {image_ref('web', version)}\n{host}        weight: {weight}\n"
    )


@pytest.fixture
def staging_web(write_outputs):
    """`--from-outputs` of staging running web `version` on `host_image`, and api 2.0.0 (what prod runs)."""

    def write(version: str, host_image: str = AMI_OLD):
        return write_outputs(
            outputs("staging", {"web": [release("web", version, host_image)], "api": [release("api", "2.0.0")]})
        )

    return write


def test_promote_canary_adds_a_canary_block_after_the_image_and_changes_no_other_line(project, fleetctl, staging_web):
    before = project.read("Pulumi.prod.yaml")

    result = fleetctl("promote", "staging", "prod", "--canary", "--from-outputs", staging_web("1.1.0"))

    assert result.code == 0, result.err
    assert project.read("Pulumi.prod.yaml") == before.replace(WEB_IMAGE_END, WEB_IMAGE_END + canary_block("1.1.0"))


def test_promote_canary_writes_the_host_image_only_when_it_differs_from_the_services(project, fleetctl, staging_web):
    before = project.read("Pulumi.prod.yaml")

    result = fleetctl("promote", "staging", "prod", "--canary", "--from-outputs", staging_web("1.1.0", AMI_NEW))

    assert result.code == 0, result.err
    expected = before.replace(WEB_IMAGE_END, WEB_IMAGE_END + canary_block("1.1.0", host_image=AMI_NEW))
    assert project.read("Pulumi.prod.yaml") == expected


def test_promote_canary_writes_the_weight_given(project, fleetctl, staging_web):
    result = fleetctl(
        "promote", "staging", "prod", "--canary", "--weight", "25", "--from-outputs", staging_web("1.1.0")
    )

    assert result.code == 0, result.err
    assert canary_block("1.1.0", weight=25) in project.read("Pulumi.prod.yaml")
    assert "web: canary 1.1.0" in result.out
    assert "25% of requests" in result.out


def test_promote_canary_leaves_a_service_already_running_the_release_alone(project, fleetctl, staging_web):
    result = fleetctl("promote", "staging", "prod", "--canary", "--from-outputs", staging_web("1.1.0"))

    assert result.code == 0, result.err
    assert "api: prod already runs 2.0.0" in result.out
    assert "canary" not in project.read("Pulumi.prod.yaml").split("    api:", 1)[1]


def test_promote_canary_repins_a_canary_already_there_keeping_its_weight(project, fleetctl, staging_web):
    project.edit("Pulumi.prod.yaml", WEB_IMAGE_END, WEB_IMAGE_END + canary_block("1.1.0", weight=20))
    before = project.read("Pulumi.prod.yaml")

    result = fleetctl("promote", "staging", "prod", "--canary", "--from-outputs", staging_web("1.2.0"))

    assert result.code == 0, result.err
    expected = before.replace(canary_block("1.1.0", weight=20), canary_block("1.2.0", weight=20))
    assert project.read("Pulumi.prod.yaml") == expected
    assert "web canary: version 1.1.0 → 1.2.0" in result.out


def test_promote_canary_changes_the_weight_of_a_canary_already_there(project, fleetctl, staging_web):
    project.edit("Pulumi.prod.yaml", WEB_IMAGE_END, WEB_IMAGE_END + canary_block("1.1.0"))

    result = fleetctl(
        "promote", "staging", "prod", "--canary", "--weight", "30", "--from-outputs", staging_web("1.1.0")
    )

    assert result.code == 0, result.err
    assert canary_block("1.1.0", weight=30) in project.read("Pulumi.prod.yaml")
    assert "web canary: weight 10 → 30" in result.out


def test_promote_canary_validates_the_result_as_the_program_reads_it(project, fleetctl, staging_web):
    fleetctl("promote", "staging", "prod", "--canary", "--from-outputs", staging_web("1.1.0", AMI_NEW))

    document = YAML(typ="safe").load(project.read("Pulumi.prod.yaml"))
    web = next(s for s in parse_config(fleet_keys(document["config"]), "prod").services if s.name == "web")
    assert web.image.version == "1.0.0"
    assert web.canary is not None
    assert (web.canary.image.version, web.canary.host_image, web.canary.weight) == ("1.1.0", AMI_NEW, 10)


@pytest.mark.parametrize("weight", ["0", "51", "ten"])
def test_promote_canary_refuses_a_weight_out_of_range(project, fleetctl, staging_web, capsys, weight):
    before = project.read("Pulumi.prod.yaml")

    with pytest.raises(SystemExit) as exit_info:
        fleetctl("promote", "staging", "prod", "--canary", "--weight", weight, "--from-outputs", staging_web("1.1.0"))

    assert exit_info.value.code == 2
    assert "must be a whole number of percent from 1 to 50" in capsys.readouterr().err
    assert project.read("Pulumi.prod.yaml") == before


def test_weight_without_canary_is_refused_in_one_line(project, fleetctl, staging_web):
    before = project.read("Pulumi.prod.yaml")

    result = fleetctl("promote", "staging", "prod", "--weight", "20", "--from-outputs", staging_web("1.1.0"))

    assert result.code == 2
    assert result.err == "fleetctl promote: --weight is the canary's share of requests: pass it with --canary\n"
    assert project.read("Pulumi.prod.yaml") == before


def test_promote_canary_refuses_an_image_the_hosts_cannot_run(project, fleetctl, write_outputs):
    before = project.read("Pulumi.prod.yaml")
    graviton = {**release("web", "1.1.0"), "instanceType": "t4g.small"}

    result = fleetctl(
        "promote",
        "staging",
        "prod",
        "--canary",
        "--from-outputs",
        write_outputs(outputs("staging", {"web": [graviton]})),
    )

    assert result.code == 2
    assert "built for linux/arm64" in result.err
    assert project.read("Pulumi.prod.yaml") == before
