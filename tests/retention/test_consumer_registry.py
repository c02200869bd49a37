"""The two ends of replication against a real moto_server: the documents the program declares are accepted by
ECR's own API (moto validates a registry policy's document and actions, and a replication destination against the
source registry), and `fleetctl retain` keeps a consumer's images in the registry it pulls from, its own, under the
lifecycle policy the program gives that repository (`fleet.retention.lifecycle_policy`; see
tests/program/test_replication.py).

moto never replicates an image (nor applies a lifecycle policy): the test pushes the copy into the consumer's
registry itself, as ECR replication would, same repository and digest.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from fleet.replication import registry_policy, repository_prefix
from fleet.retention import lifecycle_policy
from fleetctl.cli import main
from tests.retention.ecr_lifecycle import Image, expired
from tests.retention.staging_repository import REPOSITORY, push_image

PROD_ACCOUNT = "210987654321"
PROD_REGION = "us-east-1"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def prod_ecr(aws):
    """An ECR client acting as prod's account in prod's region: credentials of a role assumed in that account."""
    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{PROD_ACCOUNT}:role/fleet-deploy", RoleSessionName="prod-deploy"
    )["Credentials"]
    return boto3.client(
        "ecr",
        region_name=PROD_REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def replication_request(program, staging_config) -> dict:
    """The replication configuration the program declares for staging, as the ECR API takes it (camelCase)."""
    config = {**staging_config, "fleet:registry": {"consumers": [{"account": PROD_ACCOUNT, "region": PROD_REGION}]}}
    declared = program("staging", config).one("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    return declared.inputs["replicationConfiguration"]


def test_ecr_accepts_the_replication_rule_the_program_declares_and_reads_it_back(aws, program, staging_config):
    ecr = aws.client("ecr")
    request = replication_request(program, staging_config)

    ecr.put_replication_configuration(replicationConfiguration=request)

    assert ecr.describe_registry()["replicationConfiguration"] == request


def test_ecr_refuses_a_consumer_that_is_the_source_registry_itself(aws):
    """Why a consumer is another account or region: ECR has no replication into the registry it copies from."""
    ecr = aws.client("ecr")
    own = aws.client("sts").get_caller_identity()["Account"]
    rule = {"destinations": [{"region": aws.region_name, "registryId": own}]}

    with pytest.raises(ClientError, match="cannot be the same as the source registry"):
        ecr.put_replication_configuration(replicationConfiguration={"rules": [rule]})


def test_ecr_accepts_the_consumers_registry_policy_in_the_consumers_own_registry(prod_ecr):
    document = json.dumps(registry_policy("123456789012", repository_prefix("staging"), PROD_ACCOUNT, PROD_REGION))

    prod_ecr.put_registry_policy(policyText=document)

    answer = prod_ecr.get_registry_policy()
    assert (answer["registryId"], json.loads(answer["policyText"])) == (PROD_ACCOUNT, json.loads(document))


def test_ecr_refuses_a_registry_policy_granting_a_pull(prod_ecr):
    """A registry policy grants replication, never pulls: pulls are repository policies, which fleet never makes."""
    document = registry_policy("123456789012", repository_prefix("staging"), PROD_ACCOUNT, PROD_REGION)
    document["Statement"][0]["Action"] = ["ecr:BatchGetImage"]

    with pytest.raises(ClientError, match="Invalid registry policy"):
        prod_ecr.put_registry_policy(policyText=json.dumps(document))


def push_copy(ecr, tag: str) -> str:
    """Put an image into prod's copy of staging's repository, as replication would; its digest reference there."""
    return push_image(ecr, tag, PROD_REGION)


def prod_outputs(tmp_path, *refs: str) -> str:
    """Prod's outputs: the first of `refs` runs, the others are its rollback history (newest first)."""
    entries = [
        {"releaseId": f"{index:012x}", "version": f"1.0.{index}", "imageRef": ref} for index, ref in enumerate(refs)
    ]
    path = tmp_path / "prod-outputs.json"
    path.write_text(json.dumps({"services": {"web": {"release": entries[0], "history": entries}}}))
    return str(path)


def act_as(monkeypatch, ecr) -> None:
    """Run fleetctl with the credentials of `ecr`'s client (prod's account), in a fresh default boto3 session (the
    default one keeps the credentials it first resolved)."""
    credentials = ecr._request_signer._credentials.get_frozen_credentials()
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token)


def test_retain_tags_a_consumers_images_in_its_own_registry(prod_ecr, tmp_path, monkeypatch):
    prod_ecr.create_repository(repositoryName=REPOSITORY)
    old, live = push_copy(prod_ecr, "1.0.0-a"), push_copy(prod_ecr, "1.1.0-b")
    act_as(monkeypatch, prod_ecr)

    assert main(["retain", "prod", "--from-outputs", prod_outputs(tmp_path, live, old)]) == 0

    details = prod_ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
    assert {detail["imageDigest"]: set(detail["imageTags"]) for detail in details} == {
        old.split("@", 1)[1]: {"1.0.0-a", "keep-prod-000000000001"},
        live.split("@", 1)[1]: {"1.1.0-b", "keep-prod-000000000000"},
    }


def test_a_consumers_images_outlive_forty_newer_replicated_builds_under_its_lifecycle(prod_ecr, tmp_path, monkeypatch):
    prod_ecr.create_repository(repositoryName=REPOSITORY)
    old, live = push_copy(prod_ecr, "1.0.0-a"), push_copy(prod_ecr, "1.1.0-b")
    act_as(monkeypatch, prod_ecr)
    assert main(["retain", "prod", "--from-outputs", prod_outputs(tmp_path, live, old)]) == 0
    builds = [push_copy(prod_ecr, f"2.0.{index}-c") for index in range(40)]
    order = [old, live, *builds]
    pushed_at = {ref.split("@", 1)[1]: NOW - timedelta(minutes=len(order) - index) for index, ref in enumerate(order)}
    details = prod_ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
    images = [Image(d["imageDigest"], frozenset(d["imageTags"]), pushed_at[d["imageDigest"]]) for d in details]

    gone = expired(lifecycle_policy(), images, NOW)

    assert gone == {ref.split("@", 1)[1] for ref in builds[:10]}
