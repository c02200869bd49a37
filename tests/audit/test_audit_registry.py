"""`fleetctl audit` of the two ends of replication, against a real moto_server: ECR keeps one replication
configuration and one registry policy per registry, and anything that puts another replaces fleet's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fleet.config_types import Consumer
from fleet.replication import registry_policy, replication_configuration
from fleet.resource_types import ECR_REGISTRY_POLICY
from fleetctl.audit_rules import Finding
from fleetctl.cli import main
from tests.audit.moto_fleet import STACK, Fleet

CONSUMER = Consumer("210987654321", "us-east-1")
GRANT = json.dumps(registry_policy("123456789012", "fleet-staging-", "123456789012", "eu-west-1"))


def audit_findings(fleet: Fleet, export: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> list[Finding]:
    fleet.export_file.write_text(json.dumps(export))
    main(["audit", "--stack", STACK, "--from-export", str(fleet.export_file), "--json"])
    return [Finding(**item) for item in json.loads(capsys.readouterr().out)]


def replicating(fleet: Fleet) -> dict[str, Any]:
    """The fleet's export with a `registry` output naming one consumer."""
    outputs = fleet.outputs()
    outputs["registry"] = {
        "account": "123456789012",
        "region": "eu-west-1",
        "repositoryPrefix": f"fleet-{STACK}-",
        "consumers": [{"account": CONSUMER.account, "region": CONSUMER.region}],
    }
    return fleet.export(outputs)


def granting(fleet: Fleet) -> dict[str, Any]:
    """The fleet's export with the registry policy it deployed as a consumer."""
    export = fleet.export()
    export["deployment"]["resources"].append(
        {
            "urn": f"urn:pulumi:{STACK}::fleet::fleet:registry_grant:RegistryGrant$aws:ecr/registryPolicy:"
            "RegistryPolicy::fleet-registry-grant-policy",
            "custom": True,
            "id": "123456789012",
            "type": ECR_REGISTRY_POLICY,
            "outputs": {"id": "123456789012", "policy": GRANT, "registryId": "123456789012"},
        }
    )
    return export


def put_rule(fleet: Fleet, stack: str = STACK) -> None:
    rule = replication_configuration(stack, [CONSUMER])["rules"][0]
    fleet.session.client("ecr").put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {
                    "destinations": [
                        {"region": d["region"], "registryId": d["registry_id"]} for d in rule["destinations"]
                    ],
                    "repositoryFilters": [
                        {"filter": f["filter"], "filterType": f["filter_type"]} for f in rule["repository_filters"]
                    ],
                }
            ]
        }
    )


def test_a_registry_replicating_to_each_consumer_is_no_finding(fleet, capsys):
    put_rule(fleet)

    assert audit_findings(fleet, replicating(fleet), capsys) == []


def test_a_replaced_replication_configuration_is_a_finding_per_consumer_it_no_longer_reaches(fleet, capsys):
    put_rule(fleet, stack="other")  # another stack's rule, put over this one's

    (finding,) = audit_findings(fleet, replicating(fleet), capsys)

    assert (finding.kind, finding.resource) == ("replication", "210987654321 in us-east-1")
    assert finding.detail.startswith(f"the registry no longer replicates fleet-{STACK}-* there")


def test_the_grant_the_consumer_deployed_is_no_finding(fleet, capsys):
    fleet.session.client("ecr").put_registry_policy(policyText=GRANT)

    assert audit_findings(fleet, granting(fleet), capsys) == []


@pytest.mark.parametrize("replaced", [True, False], ids=["another-policy", "no-policy"])
def test_a_registry_policy_that_is_not_the_deployed_grant_is_a_finding(fleet, capsys, replaced):
    if replaced:
        other = json.loads(GRANT)
        other["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::345678901234:root"}
        fleet.session.client("ecr").put_registry_policy(policyText=json.dumps(other))

    (finding,) = audit_findings(fleet, granting(fleet), capsys)

    assert (finding.kind, finding.resource) == ("registry-grant", "registry policy")
    assert finding.detail.startswith(
        f"the registry has {'another' if replaced else 'no'} registry policy, not the grant this stack deployed"
    )
