"""`fleetctl promote` into a consumer in another account or region: it pins the copy ECR replicated into the
target's own registry, by the repository and digest the source deployed."""

from __future__ import annotations

from tests.fleetctl.fleetctl_samples import REGISTRY, image_ref, outputs, release

PROD_REGISTRY = "210987654321.dkr.ecr.us-east-1.amazonaws.com"


def staging_replicating(*consumers: dict[str, str]) -> dict:
    deployed = outputs("staging", {"web": [release("web", "1.1.0")], "api": [release("api", "2.0.0")]})
    deployed["registry"] = {
        "account": "123456789012",
        "region": "eu-west-1",
        "repositoryPrefix": "fleet-staging-",
        "consumers": list(consumers),
    }
    return deployed


def in_region(project, region: str) -> None:
    text = project.read("Pulumi.prod.yaml")
    project.write("Pulumi.prod.yaml", text.replace("aws:region: eu-west-1", f"aws:region: {region}", 1))


def test_promote_pins_the_copy_in_the_consumers_own_registry(project, fleetctl, write_outputs):
    in_region(project, "us-east-1")
    staging = staging_replicating({"account": "210987654321", "region": "us-east-1"})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    copy = image_ref("web", "1.1.0").replace(REGISTRY, PROD_REGISTRY)
    assert f"ref: {copy}\n" in project.read("Pulumi.prod.yaml")


def test_promote_pins_the_sources_registry_for_a_target_in_the_sources_region(project, fleetctl, write_outputs):
    staging = staging_replicating({"account": "210987654321", "region": "us-east-1"})

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    assert f"ref: {image_ref('web', '1.1.0')}\n" in project.read("Pulumi.prod.yaml")


def test_promote_picks_the_account_the_target_already_pins_among_consumers_of_one_region(
    project, fleetctl, write_outputs
):
    in_region(project, "us-east-1")
    text = project.read("Pulumi.prod.yaml").replace(REGISTRY, PROD_REGISTRY)
    project.write("Pulumi.prod.yaml", text)
    staging = staging_replicating(
        {"account": "345678901234", "region": "us-east-1"}, {"account": "210987654321", "region": "us-east-1"}
    )

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 0, result.err
    copy = image_ref("web", "1.1.0").replace(REGISTRY, PROD_REGISTRY)
    assert f"ref: {copy}\n" in project.read("Pulumi.prod.yaml")


def test_promote_refuses_to_guess_between_consumer_accounts_of_the_targets_region(project, fleetctl, write_outputs):
    in_region(project, "us-east-1")
    staging = staging_replicating(
        {"account": "345678901234", "region": "us-east-1"}, {"account": "210987654321", "region": "us-east-1"}
    )
    before = project.read("Pulumi.prod.yaml")

    result = fleetctl("promote", "staging", "prod", "--from-outputs", write_outputs(staging))

    assert result.code == 2
    assert "staging replicates to several accounts in us-east-1 (210987654321, 345678901234)" in result.err
    assert project.read("Pulumi.prod.yaml") == before
