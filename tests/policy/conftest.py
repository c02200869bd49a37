"""Compliant inputs of each resource the pack checks, in engine (camelCase) names; tests break one field each."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy.policy_samples import IMAGE_REF, TARGET_GROUP_ARN, boot_script, user_data


@pytest.fixture
def launch_template_inputs() -> dict[str, Any]:
    return {
        "namePrefix": "fleet-staging-web-",
        "imageId": "ami-0abc1234def567890",
        "instanceType": "t3.small",
        "userData": user_data(boot_script(IMAGE_REF)),
        "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 2},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeType": "gp3"}}],
    }


@pytest.fixture
def group_inputs() -> dict[str, Any]:
    return {
        "namePrefix": "fleet-staging-web-",
        "launchTemplate": {"id": "lt-0123456789abcdef0", "version": "1"},
        "targetGroupArns": [TARGET_GROUP_ARN],
        "minSize": 2,
        "maxSize": 6,
        "desiredCapacity": 2,
        "waitForElbCapacity": 2,
        "waitForCapacityTimeout": "10m",
        "healthCheckType": "ELB",
    }


@pytest.fixture
def security_group_inputs() -> dict[str, Any]:
    """An instance security group reached only from the load balancer's group."""
    return {
        "description": "hosts",
        "tags": {"fleet:role": "instances"},
        "ingress": [{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "securityGroups": ["sg-0lb"]}],
    }
