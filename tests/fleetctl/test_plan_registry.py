"""`fleetctl plan` of the two ends of replication: staging's rule, a consumer's grant and where its images come from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleetctl.cli import main
from tests.fleetctl.test_plan import deployed, repository_with_staging_edited

PROD_REGISTRY = "210987654321.dkr.ecr.us-east-1.amazonaws.com"
STAGING_REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.fixture
def plan(capsys: pytest.CaptureFixture[str]):
    def run(project: Path, *args: str | Path) -> tuple[int, str]:
        code = main(["--project-dir", str(project), "plan", *map(str, args)])
        return code, capsys.readouterr().out

    return run


def consumer_project(tmp_path: Path) -> Path:
    """The repository with prod in account 210987654321 and us-east-1, pinning the copy in its own registry."""
    project = repository_with_staging_edited(tmp_path, STAGING_REGISTRY, PROD_REGISTRY, stack="prod")
    path = project / "Pulumi.prod.yaml"
    path.write_text(path.read_text().replace("aws:region: eu-west-1", "aws:region: us-east-1"))
    return project


def staging_outputs(tmp_path: Path) -> Path:
    outputs = deployed("staging", "0123456789ab")
    outputs["registry"] = {
        "account": "123456789012",
        "region": "eu-west-1",
        "repositoryPrefix": "fleet-staging-",
        "consumers": [{"account": "210987654321", "region": "us-east-1"}],
    }
    path = tmp_path / "staging.json"
    path.write_text(json.dumps(outputs))
    return path


def test_plan_of_staging_with_consumers_shows_its_replication_rule(plan, tmp_path):
    consumers = 'config:\n  fleet:registry:\n    consumers:\n      - {account: "210987654321", region: us-east-1}\n'
    project = repository_with_staging_edited(tmp_path, "config:\n", consumers)

    code, out = plan(project, "staging")

    assert code == 0, out
    assert "replication:    ECR copies every image pushed to fleet-staging-* to 210987654321 in us-east-1" in out


def test_plan_of_a_consumer_shows_its_grant_and_the_account_it_assumed(plan, tmp_path):
    code, out = plan(consumer_project(tmp_path), "prod", "--source-outputs", staging_outputs(tmp_path))

    assert code == 0, out
    lines = out.splitlines()
    assert (
        "account:        210987654321, assumed from the registry its image refs name in us-east-1; pass --account to "
        "check the account it deploys to"
    ) in lines
    assert "registry grant: 123456789012 may replicate into fleet-staging-* in this registry" in lines
    assert any(line.startswith("image lookups:  NOT checked offline") for line in lines)


def test_plan_with_another_account_stops_where_the_program_would(plan, tmp_path):
    code, out = plan(
        consumer_project(tmp_path), "prod", "--source-outputs", staging_outputs(tmp_path), "--account", "345678901234"
    )

    assert code == 1
    assert out.startswith(
        "prod: the program stops: invalid fleet configuration:\n  - fleet:services.web.image.ref: names the registry "
        "of account 210987654321, but this stack runs in account 345678901234"
    )
