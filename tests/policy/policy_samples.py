"""Values the policy tests share: a pinned image, a target group ARN, boot scripts shaped like the program's."""

from __future__ import annotations

import base64
from typing import Any

IMAGE_REF = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "3f" * 32
TARGET_GROUP_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg-1a2b3c4/0123456789abcdef"


def user_data(script: str) -> str:
    """A boot script as EC2 wants it in a launch template: base64."""
    return base64.b64encode(script.encode()).decode()


def boot_script(image: str) -> str:
    """The program's shape of boot script: values prepended as readonly variables, then docker pull and run."""
    return (
        "#!/bin/bash\n"
        f"readonly FLEET_IMAGE_REF={image}\n"
        "readonly FLEET_PORT=8080\n"
        'docker pull "${FLEET_IMAGE_REF}" && echo pulled\n'
        'docker run --detach --name web --restart always \\\n  --publish "${FLEET_PORT}:${FLEET_PORT}" \\\n'
        '  "${FLEET_IMAGE_REF}"\n'
    )


REMOVED: Any = object()
"""In `changed`: the key is taken out of the inputs."""


def changed(inputs: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`inputs` with `changes` applied: a test breaks (or meets another way) one rule of a compliant resource."""
    for key, value in changes.items():
        if value is REMOVED:
            del inputs[key]
        else:
            inputs[key] = value
    return inputs
