"""Every resource that can carry tags says which stack and service it belongs to, so the audit can find it."""

from __future__ import annotations

from fleet.resource_types import DOCKER_IMAGE, ECR_LIFECYCLE_POLICY, IAM_ROLE_POLICY, SCALING_POLICY, STACK_REFERENCE
from fleetctl.simulation import qualified

UNTAGGABLE = {
    IAM_ROLE_POLICY,
    ECR_LIFECYCLE_POLICY,
    DOCKER_IMAGE,
    SCALING_POLICY,
    STACK_REFERENCE,
}
STACK_WIDE = {"fleet-alb", "fleet-alb-sg"}


def tagged_resources(run):
    return [r for r in run.resources if not r.type.startswith("fleet:") and r.type not in UNTAGGABLE]


def test_every_taggable_resource_carries_its_stack_and_service(program, staging_config, prod_config, staging_outputs):
    runs = {
        "staging": program("staging", staging_config),
        "prod": program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()}),
    }

    for stack, run in runs.items():
        for resource in tagged_resources(run):
            tags = resource.inputs["tags"]
            if isinstance(tags, list):  # autoscaling groups
                tags = {tag["key"]: tag["value"] for tag in tags}
            expected = (
                {"fleet:stack": stack}
                if resource.name in STACK_WIDE
                else {
                    "fleet:stack": stack,
                    "fleet:service": "web",
                }
            )
            assert expected.items() <= tags.items(), f"{stack} {resource.type} {resource.name}: {tags}"


def test_only_the_release_resources_carry_the_release_tag(program, staging_config):
    run = program("staging", staging_config)

    with_release_tag = {r.name for r in tagged_resources(run) if "fleet:release" in str(r.inputs["tags"])}
    assert with_release_tag == {"web-release-launch-template", "web-release-group"}
