"""`fleetctl rollback`: pin a release the stack ran before, from its own outputs' history, nothing rebuilt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from fleet.clock import iso
from fleet.config import fleet_keys, parse_config
from fleet.release import identify_on_disk
from tests.fleetctl.fleetctl_samples import AMI_NEW, AMI_OLD, image_ref, outputs, release

# prod's web history, newest first: 1.2.0 is live, on a new host image.
HISTORY = [release("web", "1.2.0", AMI_NEW), release("web", "1.1.0", AMI_OLD), release("web", "1.0.0", AMI_OLD)]


@pytest.fixture
def prod_on_1_2_0(project) -> str:
    """prod's file pinning web 1.2.0, as after its last promotion."""
    project.edit("Pulumi.prod.yaml", '"1.0.0"', '"1.2.0"')
    project.edit("Pulumi.prod.yaml", image_ref("web", "1.0.0"), image_ref("web", "1.2.0"))
    web_host = "hostImage: {}\n      instanceType"
    project.edit("Pulumi.prod.yaml", web_host.format(AMI_OLD), web_host.format(AMI_NEW))
    return project.read("Pulumi.prod.yaml")


def pinned_web(text: str) -> tuple[str, str, str]:
    web = text.split("    web:\n", 1)[1].split("    api:\n", 1)[0]
    version = web.split("version: ", 1)[1].split()[0].strip('"')
    ref = web.split("ref: ", 1)[1].split()[0]
    host_image = web.split("hostImage: ", 1)[1].split()[0]
    return version, ref, host_image


def test_rollback_pins_the_release_before_the_live_one(project, fleetctl, pulumi, prod_on_1_2_0):
    pulumi.record("prod", outputs("prod", {"web": HISTORY}))

    result = fleetctl("rollback", "prod", "--service", "web")

    assert result.code == 0, result.err
    assert pulumi.calls() == [["stack", "output", "--json", "--stack", "prod"]]
    assert pinned_web(project.read("Pulumi.prod.yaml")) == ("1.1.0", image_ref("web", "1.1.0"), AMI_OLD)
    assert "web: version 1.2.0 → 1.1.0" in result.out


def test_rollback_changes_only_the_pinned_lines(project, fleetctl, write_outputs, prod_on_1_2_0):
    stack_outputs = write_outputs(outputs("prod", {"web": HISTORY}))

    result = fleetctl("rollback", "prod", "--service", "web", "--from-outputs", stack_outputs)

    assert result.code == 0, result.err
    expected = (
        prod_on_1_2_0.replace('"1.2.0"', '"1.1.0"')
        .replace(image_ref("web", "1.2.0"), image_ref("web", "1.1.0"))
        .replace(f"hostImage: {AMI_NEW}", f"hostImage: {AMI_OLD}")
    )
    assert project.read("Pulumi.prod.yaml") == expected


def test_rollback_to_a_version_pins_that_release(project, fleetctl, write_outputs, prod_on_1_2_0):
    stack_outputs = write_outputs(outputs("prod", {"web": HISTORY}))

    result = fleetctl("rollback", "prod", "--service", "web", "--to", "1.0.0", "--from-outputs", stack_outputs)

    assert result.code == 0, result.err
    assert pinned_web(project.read("Pulumi.prod.yaml")) == ("1.0.0", image_ref("web", "1.0.0"), AMI_OLD)


@pytest.mark.parametrize(
    ("history", "options", "message"),
    [
        pytest.param([], [], "prod outputs services.web.history is missing or empty", id="no-history"),
        pytest.param(
            HISTORY[:1],
            [],
            "prod outputs services.web.history has no release before the live one (1.2.0)",
            id="live-release-is-the-oldest",
        ),
        pytest.param(
            HISTORY,
            ["--to", "0.9.0"],
            "has no release of version 0.9.0; versions available: 1.2.0, 1.1.0, 1.0.0",
            id="unknown-version",
        ),
    ],
)
def test_rollback_fails_when_the_history_has_no_release_to_go_back_to(
    project, fleetctl, write_outputs, prod_on_1_2_0, history, options, message
):
    stack_outputs = outputs("prod", {"web": HISTORY})
    stack_outputs["services"]["web"]["history"] = history

    result = fleetctl("rollback", "prod", "--service", "web", *options, "--from-outputs", write_outputs(stack_outputs))

    assert result.code == 2
    assert message in result.err
    assert project.read("Pulumi.prod.yaml") == prod_on_1_2_0


def test_rollback_refuses_a_stack_that_builds_its_images(project, fleetctl, write_outputs):
    before = project.read("Pulumi.staging.yaml")
    staging = write_outputs(outputs("staging", {"web": HISTORY}))

    result = fleetctl("rollback", "staging", "--service", "web", "--from-outputs", staging)

    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "fleetctl rollback: Pulumi.staging.yaml builds web from images/web: a stack that builds its images is "
        "released by changing its files and image.version, never pinned to a built image\n"
    )
    assert project.read("Pulumi.staging.yaml") == before


def test_rollback_refuses_outputs_of_another_stack(project, fleetctl, write_outputs, prod_on_1_2_0):
    staging = write_outputs(outputs("staging", {"web": HISTORY}))

    result = fleetctl("rollback", "prod", "--service", "web", "--from-outputs", staging)

    assert result.code == 2
    assert result.out == ""
    assert result.err == f"fleetctl rollback: {staging} holds the outputs of stack staging, not of prod\n"
    assert project.read("Pulumi.prod.yaml") == prod_on_1_2_0


def test_rollback_prints_no_change_before_an_error_that_cancels_it(project, fleetctl, write_outputs, prod_on_1_2_0):
    # web can go back; api's history ends at its live release, which stops the whole rollback.
    api = [release("api", "2.0.0")]
    stack_outputs = write_outputs(outputs("prod", {"web": HISTORY, "api": api}))

    result = fleetctl("rollback", "prod", "--from-outputs", stack_outputs)

    assert result.code == 2
    assert result.out == ""
    assert result.err.splitlines() == [
        "fleetctl rollback: prod outputs services.api.history has no release before the live one (2.0.0)"
    ]


def test_rollback_refuses_a_release_built_for_another_architecture_than_the_hosts_now_run(
    project, fleetctl, write_outputs, prod_on_1_2_0
):
    arm_release = {**release("web", "1.1.0", AMI_OLD), "instanceType": "t4g.small"}
    history = [HISTORY[0], arm_release, HISTORY[2]]

    result = fleetctl(
        "rollback", "prod", "--service", "web", "--from-outputs", write_outputs(outputs("prod", {"web": history}))
    )

    assert result.code == 2
    assert "service web: its image 1.1.0 ran on t4g.small, so it is built for linux/arm64" in result.err
    assert project.read("Pulumi.prod.yaml") == prod_on_1_2_0


def web_release_id(project) -> str:
    """The release id the program computes for prod's web from the stack file as it is now."""
    config = parse_config(fleet_keys(yaml.safe_load(project.read("Pulumi.prod.yaml"))["config"]), "prod")
    (web,) = [service for service in config.services if service.name == "web"]
    return identify_on_disk([web], project.root)["web"].release_id


def with_warm(stack_outputs, release_id: str, retires_in: timedelta):
    """prod's outputs with web's release `release_id` warm, its window closing `retires_in` from now."""
    retires_at = datetime.now(UTC) + retires_in
    web = stack_outputs["services"]["web"]
    web["history"][1]["releaseId"] = release_id
    web["warm"] = {
        **web["history"][1],
        "slot": "b",
        "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-b/1",
        "desired": 2,
        "warmSince": iso(retires_at - timedelta(minutes=60)),
        "retiresAt": iso(retires_at),
    }
    return stack_outputs


@pytest.fixture
def id_of_1_1_0(project, prod_on_1_2_0) -> str:
    """The release id of web 1.1.0 on prod as the stack file will pin it (computed on a scratch edit, undone)."""
    project.edit("Pulumi.prod.yaml", '"1.2.0"', '"1.1.0"')
    project.edit("Pulumi.prod.yaml", image_ref("web", "1.2.0"), image_ref("web", "1.1.0"))
    project.edit("Pulumi.prod.yaml", f"hostImage: {AMI_NEW}", f"hostImage: {AMI_OLD}")
    release_id = web_release_id(project)
    project.write("Pulumi.prod.yaml", prod_on_1_2_0)
    return release_id


def test_a_rollback_to_the_warm_release_in_its_window_says_the_next_update_is_a_switch(
    fleetctl, write_outputs, id_of_1_1_0
):
    stack_outputs = write_outputs(with_warm(outputs("prod", {"web": HISTORY}), id_of_1_1_0, timedelta(minutes=30)))

    result = fleetctl("rollback", "prod", "--service", "web", "--from-outputs", stack_outputs)

    assert result.code == 0, result.err
    assert (
        f"web: the next `pulumi up` is a switch to warm release {id_of_1_1_0}: traffic moves back with one load "
        "balancer change, no boot, if it runs before " in result.out
    )


def test_a_rollback_to_the_warm_release_past_its_window_says_the_next_update_is_a_full_release(
    fleetctl, write_outputs, id_of_1_1_0
):
    stack_outputs = write_outputs(with_warm(outputs("prod", {"web": HISTORY}), id_of_1_1_0, timedelta(minutes=-5)))

    result = fleetctl("rollback", "prod", "--service", "web", "--from-outputs", stack_outputs)

    assert result.code == 0, result.err
    assert (
        f"web: the next `pulumi up` is a full release of {id_of_1_1_0} (new hosts boot, health-gated, then "
        f"traffic moves): the warm window of {id_of_1_1_0} closed at " in result.out
    )


def test_a_rollback_without_a_warm_release_says_the_next_update_is_a_full_release(
    project, fleetctl, write_outputs, prod_on_1_2_0
):
    stack_outputs = write_outputs(outputs("prod", {"web": HISTORY}))

    result = fleetctl("rollback", "prod", "--service", "web", "--from-outputs", stack_outputs)

    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == (
        f"web: the next `pulumi up` is a full release of {web_release_id(project)} (new hosts boot, health-gated, "
        "then traffic moves): no warm release"
    )


def test_a_rollback_whose_file_makes_another_release_than_the_warm_one_says_it_is_a_full_release(
    project, fleetctl, write_outputs, id_of_1_1_0
):
    # The boot script changed since 1.1.0 left traffic: the same image is a new release, not the warm one.
    project.write("components/boot.sh", project.read("components/boot.sh") + "# hardened\n")
    stack_outputs = write_outputs(with_warm(outputs("prod", {"web": HISTORY}), id_of_1_1_0, timedelta(minutes=30)))

    result = fleetctl("rollback", "prod", "--service", "web", "--from-outputs", stack_outputs)

    assert result.code == 0, result.err
    assert result.out.splitlines()[-1].endswith(f": the warm release is {id_of_1_1_0}, not the one pinned")
