"""Hosts install nothing at boot, and a secret setting is never a plaintext SSM parameter."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.names import SECRET_TAG
from fleet.resource_types import LAUNCH_TEMPLATE, SSM_PARAMETER
from policy import hosts
from policy.records import UNKNOWN, Resource, declared
from tests.policy.policy_samples import IMAGE_REF, boot_script, user_data


def template(inputs: dict[str, Any]) -> Resource:
    return declared(LAUNCH_TEMPLATE, "web-launch-template", inputs)


@pytest.mark.parametrize(
    "install",
    [
        "dnf install -y docker",
        "sudo yum -q install docker",
        "apt-get update",
        "apt install -y awscli",
        "amazon-linux-extras install docker",
        "pip3 install awscli",
        "  dnf -y upgrade",
    ],
)
def test_user_data_that_installs_packages_is_rejected(launch_template_inputs, install):
    launch_template_inputs["userData"] = user_data(
        boot_script(IMAGE_REF).replace("docker pull", f"{install}\ndocker pull")
    )

    [message] = hosts.launch_template_installs_nothing(template(launch_template_inputs))

    assert f"installs packages at boot ({install.strip()!r})" in message
    assert "fleetctl host-image" in message


def test_cloud_config_that_installs_packages_is_rejected(launch_template_inputs):
    launch_template_inputs["userData"] = user_data("#cloud-config\npackages:\n  - docker\n")

    assert hosts.launch_template_installs_nothing(template(launch_template_inputs))


@pytest.mark.parametrize(
    "harmless",
    ["# dnf install is never needed: the image carries docker", 'echo "no apt here"', "systemctl start docker"],
)
def test_comments_and_other_commands_are_not_installs(launch_template_inputs, harmless):
    launch_template_inputs["userData"] = user_data(boot_script(IMAGE_REF) + harmless + "\n")

    assert hosts.launch_template_installs_nothing(template(launch_template_inputs)) == []


def test_unknown_user_data_passes_until_it_is_known(launch_template_inputs):
    launch_template_inputs["userData"] = UNKNOWN

    assert hosts.launch_template_installs_nothing(template(launch_template_inputs)) == []


def parameter(parameter_type: Any, tags: dict[str, str]) -> Resource:
    inputs = {"name": "/fleet/staging/web/DB_PASSWORD", "type": parameter_type, "value": "x", "tags": tags}
    return declared(SSM_PARAMETER, "web-settings-DB_PASSWORD", inputs)


def test_a_secret_setting_stored_as_plain_string_is_rejected():
    [message] = hosts.secret_setting_is_secure_string(parameter("String", {SECRET_TAG: "true"}))

    assert "'/fleet/staging/web/DB_PASSWORD' holds a secret setting as type 'String'" in message
    assert 'type="SecureString"' in message


@pytest.mark.parametrize(
    ("parameter_type", "tags"),
    [("SecureString", {SECRET_TAG: "true"}), ("String", {}), (UNKNOWN, {SECRET_TAG: "true"})],
    ids=["secure secret", "plain setting", "unknown type"],
)
def test_secure_secrets_and_plain_settings_pass(parameter_type, tags):
    assert hosts.secret_setting_is_secure_string(parameter(parameter_type, tags)) == []
