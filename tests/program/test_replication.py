"""Prod in its own account and region, under the mocks: staging replicates its repositories to its consumers, a
consumer in another account grants staging replication into its registry, and runs the copy there by digest."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from fleet.config_types import ConfigError
from fleet.resource_types import (
    ECR_LIFECYCLE_POLICY,
    ECR_REGISTRY_POLICY,
    ECR_REPLICATION_CONFIGURATION,
    GET_IMAGE,
    IAM_ROLE_POLICY,
    LAUNCH_TEMPLATE,
)
from fleet.retention import lifecycle_policy
from fleetctl.simulation import ACCOUNT, FleetMocks, qualified

PROD_ACCOUNT = "210987654321"
PROD_REGION = "us-east-1"
STAGING_REGION = "eu-west-1"
CONSUMER = {"account": PROD_ACCOUNT, "region": PROD_REGION}


def replicating_staging(staging_config: dict[str, Any], *consumers: dict[str, str]) -> dict[str, Any]:
    config = copy.deepcopy(staging_config)
    config["fleet:registry"] = {"consumers": list(consumers or [CONSUMER])}
    return config


def registry_output(*consumers: dict[str, str]) -> dict[str, Any]:
    """Staging's `registry` output, as a staging that replicates to `consumers` exports it."""
    return {
        "account": ACCOUNT,
        "region": STAGING_REGION,
        "repositoryPrefix": "fleet-staging-",
        "consumers": list(consumers),
    }


def digest_of(config: dict[str, Any]) -> str:
    return str(config["fleet:services"]["web"]["image"]["ref"].split("@", 1)[1])


def copy_ref(digest: str, account: str = PROD_ACCOUNT, region: str = PROD_REGION) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/fleet-staging-web@{digest}"


def consumer_prod(prod_config: dict[str, Any], ref: str, region: str = PROD_REGION) -> dict[str, Any]:
    config = copy.deepcopy(prod_config)
    config["aws:region"] = region
    config["fleet:services"]["web"]["image"]["ref"] = ref
    return config


def run_prod(
    program,
    prod_config,
    staging_outputs,
    *,
    ref,
    registry,
    account=PROD_ACCOUNT,
    region=PROD_REGION,
    mocks=None,
    own_outputs=None,
):
    """Prod pinning `ref`, in `account` and `region`, promoted from a staging that deployed the digest of `ref`
    from its own registry and exports `registry` (None: no registry output)."""
    deployed = staging_outputs(copy_ref(ref.split("@", 1)[1], ACCOUNT, STAGING_REGION))
    if registry is not None:
        deployed["registry"] = registry
    mocks = mocks or FleetMocks(account=account)
    outputs = {qualified("staging"): deployed, **({qualified("prod"): own_outputs} if own_outputs else {})}
    return program("prod", consumer_prod(prod_config, ref, region), stack_outputs=outputs, mocks=mocks)


def test_staging_with_consumers_replicates_its_own_repositories_to_each(program, staging_config):
    second = {"account": "345678901234", "region": "eu-central-1"}

    run = program("staging", replicating_staging(staging_config, CONSUMER, second))

    (rule,) = run.of_type(ECR_REPLICATION_CONFIGURATION)
    assert rule.inputs["replicationConfiguration"] == {
        "rules": [
            {
                "destinations": [
                    {"region": PROD_REGION, "registryId": PROD_ACCOUNT},
                    {"region": "eu-central-1", "registryId": "345678901234"},
                ],
                "repositoryFilters": [{"filter": "fleet-staging-", "filterType": "PREFIX_MATCH"}],
            }
        ]
    }


def test_staging_with_consumers_exports_its_registry_and_consumers(program, staging_config):
    run = program("staging", replicating_staging(staging_config))

    assert run.outputs["registry"] == registry_output(CONSUMER)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_a_stack_without_consumers_declares_no_replication_and_no_grant(
    program, stack, staging_config, prod_config, staging_outputs
):
    config = {"staging": staging_config, "prod": prod_config}[stack]

    run = program(stack, config, stack_outputs={qualified("staging"): staging_outputs()})

    declared = {resource.type for resource in run.resources}
    assert not declared & {ECR_REPLICATION_CONFIGURATION, ECR_REGISTRY_POLICY}
    assert "registry" not in run.outputs
    assert GET_IMAGE not in {token for token, _ in run.invokes}


def test_a_consumer_in_another_account_grants_staging_replication_into_its_own_registry(
    program, prod_config, staging_outputs
):
    ref = copy_ref(digest_of(prod_config))

    run = run_prod(program, prod_config, staging_outputs, ref=ref, registry=registry_output(CONSUMER))

    (grant,) = run.of_type(ECR_REGISTRY_POLICY)
    assert json.loads(grant.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FleetReplicationFromSource",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                "Resource": f"arn:aws:ecr:{PROD_REGION}:{PROD_ACCOUNT}:repository/fleet-staging-*",
            }
        ],
    }


def test_a_consumer_runs_the_copy_in_its_own_registry_and_its_hosts_may_pull_only_that(
    program, prod_config, staging_outputs
):
    ref = copy_ref(digest_of(prod_config))

    run = run_prod(program, prod_config, staging_outputs, ref=ref, registry=registry_output(CONSUMER))

    assert run.outputs["services"]["web"]["release"]["imageRef"] == ref
    assert run.outputs["promotion"]["verified"] is True
    pull = next(s for s in json.loads(run.one(IAM_ROLE_POLICY).inputs["policy"])["Statement"] if s["Sid"] == "EcrPull")
    assert pull["Resource"] == f"arn:aws:ecr:{PROD_REGION}:{PROD_ACCOUNT}:repository/fleet-staging-web"


def test_a_consumer_gives_the_replicated_repository_the_retention_lifecycle(program, prod_config, staging_outputs):
    run = run_prod(
        program, prod_config, staging_outputs, ref=copy_ref(digest_of(prod_config)), registry=registry_output(CONSUMER)
    )

    (lifecycle,) = run.of_type(ECR_LIFECYCLE_POLICY)
    assert lifecycle.inputs["repository"] == "fleet-staging-web"
    assert json.loads(lifecycle.inputs["policy"]) == lifecycle_policy()


def test_a_consumer_looks_its_image_up_in_its_own_registry_before_declaring_anything(
    program, prod_config, staging_outputs
):
    digest = digest_of(prod_config)

    run = run_prod(program, prod_config, staging_outputs, ref=copy_ref(digest), registry=registry_output(CONSUMER))

    lookups = [args for token, args in run.invokes if token == GET_IMAGE]
    assert lookups == [{"registryId": PROD_ACCOUNT, "repositoryName": "fleet-staging-web", "imageDigest": digest}]


def test_a_consumer_in_stagings_account_and_another_region_needs_no_grant(program, prod_config, staging_outputs):
    consumer = {"account": ACCOUNT, "region": PROD_REGION}
    ref = copy_ref(digest_of(prod_config), account=ACCOUNT)

    run = run_prod(program, prod_config, staging_outputs, ref=ref, registry=registry_output(consumer), account=ACCOUNT)

    assert run.of_type(ECR_REGISTRY_POLICY) == []
    assert run.outputs["services"]["web"]["release"]["imageRef"] == ref


def test_the_guard_refuses_a_copy_of_a_digest_staging_never_deployed(program, prod_config, staging_outputs):
    from program.promotion import UnpromotedImageError

    deployed = staging_outputs(copy_ref(digest_of(prod_config), ACCOUNT, STAGING_REGION))
    deployed["registry"] = registry_output(CONSUMER)
    other = copy_ref("sha256:" + "e" * 64)

    with pytest.raises(UnpromotedImageError, match=r"fleet:services\.web\.image\.ref: .* never deployed"):
        program(
            "prod",
            consumer_prod(prod_config, other),
            stack_outputs={qualified("staging"): deployed},
            mocks=FleetMocks(account=PROD_ACCOUNT),
        )


def test_a_ref_in_stagings_registry_from_another_account_is_refused_before_any_resource(
    program, prod_config, staging_outputs
):
    mocks = FleetMocks(account=PROD_ACCOUNT)
    staging_ref = copy_ref(digest_of(prod_config), ACCOUNT, PROD_REGION)

    with pytest.raises(ConfigError) as error:
        run_prod(program, prod_config, staging_outputs, ref=staging_ref, registry=None, mocks=mocks)

    (message,) = error.value.problems
    assert message.startswith(f"fleet:services.web.image.ref: names the registry of account {ACCOUNT}")
    assert f'Add {{account: "{PROD_ACCOUNT}", region: {PROD_REGION}}} to fleet:registry.consumers of staging' in message
    assert mocks.inputs == {}


def test_an_image_in_its_own_registry_that_staging_no_longer_replicates_to_runs_with_a_warning(
    program, prod_config, staging_outputs, caplog
):
    """A copy already there still runs (a rollback in an incident must not wait for staging's file); new builds
    would not arrive, and the program says so."""
    other = {"account": "345678901234", "region": PROD_REGION}
    ref = copy_ref(digest_of(prod_config))

    run = run_prod(program, prod_config, staging_outputs, ref=ref, registry=registry_output(other))

    assert run.outputs["services"]["web"]["release"]["imageRef"] == ref
    assert "fleet:services.web.image.ref: is in this stack's registry, but staging does not replicate to" in caplog.text
    assert run.of_type(ECR_REGISTRY_POLICY) == []


def test_an_absent_image_in_a_registry_staging_does_not_replicate_to_is_refused_before_any_resource(
    program, prod_config, staging_outputs
):
    digest = digest_of(prod_config)
    mocks = FleetMocks(account=PROD_ACCOUNT, absent_images={digest})
    other = {"account": "345678901234", "region": PROD_REGION}

    with pytest.raises(
        ConfigError, match=r"fleet:services\.web\.image\.ref: is not in this stack's registry .*: staging "
    ):
        run_prod(
            program, prod_config, staging_outputs, ref=copy_ref(digest), registry=registry_output(other), mocks=mocks
        )

    assert mocks.inputs == {}


def test_a_new_consumer_whose_image_has_not_arrived_declares_the_grant_and_not_the_service(
    program, prod_config, staging_outputs, caplog
):
    digest = digest_of(prod_config)
    mocks = FleetMocks(account=PROD_ACCOUNT, absent_images={digest})

    run = run_prod(
        program, prod_config, staging_outputs, ref=copy_ref(digest), registry=registry_output(CONSUMER), mocks=mocks
    )

    assert len(run.of_type(ECR_REGISTRY_POLICY)) == 1
    assert run.of_type(LAUNCH_TEMPLATE) == []
    assert run.outputs["services"] == {}
    assert "fleet:services.web.image.ref: not in this stack's registry yet" in caplog.text


def test_a_live_service_whose_new_image_has_not_arrived_is_refused_before_any_resource(
    program, prod_config, staging_outputs
):
    digest = digest_of(prod_config)
    old = copy_ref("sha256:" + "1" * 64)
    live = {"releaseId": "0123456789ab", "version": "0.9.0", "imageRef": old, "asgName": "web-asg"}
    mocks = FleetMocks(account=PROD_ACCOUNT, absent_images={digest}, live_desired={"web-asg": 3})

    with pytest.raises(ConfigError, match=r"fleet:services\.web\.image\.ref: is not in this stack's registry"):
        run_prod(
            program,
            prod_config,
            staging_outputs,
            ref=copy_ref(digest),
            registry=registry_output(CONSUMER),
            mocks=mocks,
            own_outputs={"services": {"web": {"release": live, "history": [live]}}},
        )

    assert mocks.inputs == {}


def test_a_prod_in_stagings_own_registry_declares_the_same_when_staging_gains_consumers(
    program, prod_config, staging_outputs
):
    plain = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})
    deployed = {**staging_outputs(), "registry": registry_output(CONSUMER)}

    run = program("prod", prod_config, stack_outputs={qualified("staging"): deployed})

    assert [(r.type, r.name, r.inputs) for r in run.resources] == [(r.type, r.name, r.inputs) for r in plain.resources]
    assert GET_IMAGE not in {token for token, _ in run.invokes}
