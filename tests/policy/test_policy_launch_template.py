"""Launch templates: IMDSv2, no key pair, encrypted volumes, and the container image pinned by digest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleet.resource_types import LAUNCH_TEMPLATE
from policy import __main__ as pack
from policy import hosts
from policy.base import ResourceRule
from policy.records import UNKNOWN, Resource, declared
from tests.policy.policy_samples import IMAGE_REF, boot_script, user_data

LAUNCH_TEMPLATE_RULES = [rule for rule in pack.RESOURCE_RULES if LAUNCH_TEMPLATE in rule.resource_types]
REPO = Path(__file__).resolve().parents[2]


def template(inputs: dict[str, Any]) -> Resource:
    return declared(LAUNCH_TEMPLATE, "web-launch-template", inputs)


@pytest.mark.parametrize("rule", LAUNCH_TEMPLATE_RULES, ids=lambda rule: rule.name)
def test_compliant_launch_template_passes(rule: ResourceRule, launch_template_inputs: dict[str, Any]) -> None:
    assert rule.check(template(launch_template_inputs)) == []


def test_optional_metadata_tokens_are_rejected(launch_template_inputs: dict[str, Any]) -> None:
    launch_template_inputs["metadataOptions"]["httpTokens"] = "optional"
    [message] = hosts.launch_template_requires_imdsv2(template(launch_template_inputs))
    assert '"http_tokens": "required"' in message


def test_missing_metadata_options_are_rejected(launch_template_inputs: dict[str, Any]) -> None:
    del launch_template_inputs["metadataOptions"]
    assert hosts.launch_template_requires_imdsv2(template(launch_template_inputs))


def test_key_pair_is_rejected(launch_template_inputs: dict[str, Any]) -> None:
    launch_template_inputs["keyName"] = "ops"
    [message] = hosts.launch_template_has_no_key_pair(template(launch_template_inputs))
    assert "remove it" in message


def test_unencrypted_volume_is_rejected(launch_template_inputs: dict[str, Any]) -> None:
    launch_template_inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"
    [message] = hosts.launch_template_encrypts_root_volume(template(launch_template_inputs))
    assert "'/dev/xvda' is not encrypted" in message


def test_encrypted_as_boolean_true_is_accepted(launch_template_inputs: dict[str, Any]) -> None:
    launch_template_inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] = True
    assert hosts.launch_template_encrypts_root_volume(template(launch_template_inputs)) == []


def test_root_volume_left_to_ami_defaults_is_rejected(launch_template_inputs: dict[str, Any]) -> None:
    del launch_template_inputs["blockDeviceMappings"]
    [message] = hosts.launch_template_encrypts_root_volume(template(launch_template_inputs))
    assert "AMI's defaults" in message


@pytest.mark.parametrize(
    ("user_data_text", "expected"),
    [
        *(
            pytest.param(
                user_data(boot_script(image)), f"runs image {image!r}, which is not pinned by digest", id=image
            )
            for image in [
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:latest",
                "nginx",
                "web:1.4.2",
                "web@sha256:abc",
            ]
        ),
        pytest.param(
            user_data('docker run --rm "${IMAGE}"\n'),
            "a variable the script never assigns",
            id="image-variable-never-assigned",
        ),
        pytest.param(
            user_data("#!/bin/bash\ndnf install -y docker\n"), "starts no container", id="no-container-started"
        ),
        pytest.param("#!/bin/bash\ndocker run web:latest\n", "not base64", id="user-data-not-base64"),
    ],
)
def test_a_boot_script_not_running_an_image_pinned_by_digest_is_rejected(
    launch_template_inputs: dict[str, Any], user_data_text: str, expected: str
) -> None:
    launch_template_inputs["userData"] = user_data_text
    [message] = hosts.launch_template_pins_image_digest(template(launch_template_inputs))
    assert expected in message


def test_user_data_unknown_during_preview_is_skipped(launch_template_inputs: dict[str, Any]) -> None:
    launch_template_inputs["userData"] = UNKNOWN
    assert hosts.launch_template_pins_image_digest(template(launch_template_inputs)) == []


def test_docker_options_and_their_values_are_not_taken_for_the_image() -> None:
    script = f"docker run -d -it --name web -p 80:8080 -e A=1 --log-opt tag=x --rm {IMAGE_REF} serve --port 80\n"
    assert hosts.boot_script_images(script) == [IMAGE_REF]


def test_commented_out_docker_commands_are_ignored() -> None:
    assert hosts.boot_script_images(f"# docker run web:latest\ndocker run {IMAGE_REF}\n") == [IMAGE_REF]


def test_the_programs_boot_script_with_a_digest_reference_passes(launch_template_inputs: dict[str, Any]) -> None:
    """components/boot.sh as components.release.render_user_data ships it: readonly values, then the body."""
    body = (REPO / "components" / "boot.sh").read_text()
    launch_template_inputs["userData"] = user_data(f"#!/bin/bash\nreadonly FLEET_IMAGE_REF={IMAGE_REF}\n{body}")
    assert hosts.launch_template_pins_image_digest(template(launch_template_inputs)) == []
