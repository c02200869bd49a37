"""The IAM policies in iam/ against what the real program declares and invokes (tests/iam_actions.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from fleet.resource_types import GET_PARAMETERS_BY_PATH
from fleetctl.commands.watch import SWITCH_CALLS
from fleetctl.simulation import FleetMocks, ProgramRun, qualified
from tests.iam_actions import (
    ENGINE_TYPES_PREFIXES,
    INVOKE_ACTIONS,
    READ_ONLY_PREFIXES,
    RESOURCE_ACTIONS,
    WATCH_CALLS,
)

IAM_DIR = Path(__file__).resolve().parents[1] / "iam"
GITHUB_SUBJECT = "token.actions.githubusercontent.com:sub"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
OTHER_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


def load(name: str) -> dict[str, Any]:
    document = json.loads((IAM_DIR / name).read_text())
    assert isinstance(document, dict)
    return document


def allowed_actions(policy: dict[str, Any]) -> list[str]:
    statements = policy["Statement"]
    assert all(statement["Effect"] == "Allow" for statement in statements)
    return [action for statement in statements for action in statement["Action"]]


def grants(policy: dict[str, Any], action: str) -> bool:
    """IAM matches actions case-insensitively, with `*` wildcards."""
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in allowed_actions(policy))


@pytest.fixture(scope="module")
def evaluated() -> dict[str, list[ProgramRun]]:
    """The runs of this module, once evaluated: the tests only read them."""
    return {}


@pytest.fixture
def runs(evaluated: dict[str, list[ProgramRun]], request: pytest.FixtureRequest) -> list[ProgramRun]:
    """`program_runs`, evaluated for the first test of this module that asks (in each process) and shared."""
    if "runs" not in evaluated:
        fixtures = ("program", "update", "staging_config", "prod_config", "staging_outputs", "deploy")
        evaluated["runs"] = program_runs(*(request.getfixturevalue(name) for name in fixtures))
    return evaluated["runs"]


def program_runs(
    program: Callable[..., ProgramRun],
    update: Callable[..., ProgramRun],
    staging_config: dict[str, Any],
    prod_config: dict[str, Any],
    staging_outputs: Callable[..., dict[str, Any]],
    deploy: Callable[..., ProgramRun],
) -> list[ProgramRun]:
    """Both stacks (prod reads staging's outputs for its promotion guard), an update of a live staging release,
    which looks up the live groups (getAmiIds, getGroup), staging with settings (SSM parameters), the two ends
    of replication: staging with a consumer (its replication rule) and prod in another account and region (its
    registry policy, and the lookup of its image in its own registry), and staging on a hostname in a Route 53 zone
    (a managed certificate and DNS records), then with its own certificates (one served by SNI)."""
    staging = program("staging", staging_config)
    prod = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})
    with_settings = deploy({"LOG_LEVEL": "info"})
    consumer = {"account": "210987654321", "region": "us-east-1"}
    replicating = program("staging", {**staging_config, "fleet:registry": {"consumers": [consumer]}})
    digest = prod_config["fleet:services"]["web"]["image"]["ref"].split("@", 1)[1]
    replicated = f"210987654321.dkr.ecr.us-east-1.amazonaws.com/fleet-staging-web@{digest}"
    consumer_prod = copy_with(prod_config, {"aws:region": "us-east-1"}, replicated)
    sources = {qualified("staging"): {**staging_outputs(), "registry": replicating.outputs["registry"]}}
    in_another_account = program("prod", consumer_prod, stack_outputs=sources, mocks=FleetMocks(account="210987654321"))
    named = copy.deepcopy(staging_config)
    named["fleet:services"]["web"]["hostnames"] = ["web.example.com"]
    named["fleet:dns"] = {"zoneId": "Z08393152MPN1ODRL6P3L", "zoneName": "example.com"}
    in_a_zone = program("staging", named)
    named["fleet:tls"] = {"certificateArn": CERTIFICATE, "additionalCertificateArns": [OTHER_CERTIFICATE]}
    with_sni = program("staging", named)
    return [
        staging,
        prod,
        update("staging", staging_config, staging),
        with_settings,
        replicating,
        in_another_account,
        in_a_zone,
        with_sni,
    ]


def copy_with(config: dict[str, Any], keys: dict[str, Any], ref: str) -> dict[str, Any]:
    """`config` with other top-level `keys` and its web service pinned to `ref`."""
    changed = {**copy.deepcopy(config), **keys}
    changed["fleet:services"]["web"]["image"]["ref"] = ref
    return changed


def needed(run: ProgramRun) -> tuple[set[str], set[str]]:
    """(reads, writes) the run needs; an unlisted AWS resource type or invoke fails here."""
    reads: set[str] = set()
    writes: set[str] = set()
    for resource in run.resources:
        if resource.type.startswith(ENGINE_TYPES_PREFIXES):
            continue
        assert resource.type in RESOURCE_ACTIONS, f"{resource.type} is declared: list its actions in iam_actions"
        reads.update(RESOURCE_ACTIONS[resource.type].reads)
        writes.update(RESOURCE_ACTIONS[resource.type].writes)
    for token, _ in run.invokes:
        assert token in INVOKE_ACTIONS, f"{token} is invoked: list its actions in iam_actions"
        reads.update(INVOKE_ACTIONS[token])
    return reads, writes


def test_the_runs_exercise_every_invoke_the_table_lists(runs: list[ProgramRun]) -> None:
    invoked = {token for run in runs for token, _ in run.invokes}
    assert invoked == set(INVOKE_ACTIONS)


def test_the_runs_declare_every_resource_type_the_table_lists(runs: list[ProgramRun]) -> None:
    declared = {resource.type for run in runs for resource in run.resources}
    assert set(RESOURCE_ACTIONS) <= declared


def test_deploy_policy_grants_nothing_the_table_does_not_list() -> None:
    listed = {action for needs in RESOURCE_ACTIONS.values() for action in (*needs.reads, *needs.writes)}
    listed |= {action for actions in INVOKE_ACTIONS.values() for action in actions}
    listed |= set(WATCH_CALLS)
    assert set(allowed_actions(load("deploy-policy.json"))) == listed


def test_deploy_policy_grants_every_action_the_program_needs(runs: list[ProgramRun]) -> None:
    policy = load("deploy-policy.json")
    for run in runs:
        reads, writes = needed(run)
        missing = sorted(action for action in reads | writes if not grants(policy, action))
        assert not missing, f"iam/deploy-policy.json lacks {missing}"


def test_preview_policy_grants_every_read_the_program_makes(runs: list[ProgramRun]) -> None:
    policy = load("preview-policy.json")
    for run in runs:
        reads, _ = needed(run)
        missing = sorted(action for action in reads if not grants(policy, action))
        assert not missing, f"iam/preview-policy.json lacks {missing}"


def test_preview_policy_grants_no_write() -> None:
    writes = [
        action
        for action in allowed_actions(load("preview-policy.json"))
        if "*" in action or not action.split(":", 1)[1].startswith(READ_ONLY_PREFIXES)
    ]
    assert not writes


def test_table_reads_are_read_only_actions() -> None:
    reads = {action for needs in RESOURCE_ACTIONS.values() for action in needs.reads}
    reads |= {action for actions in INVOKE_ACTIONS.values() for action in actions}
    assert all(action.split(":", 1)[1].startswith(READ_ONLY_PREFIXES) for action in reads)


def test_deploy_policy_passes_only_host_roles_and_only_to_ec2() -> None:
    statements = [s for s in load("deploy-policy.json")["Statement"] if any("PassRole" in a for a in s["Action"])]
    assert [s["Action"] for s in statements] == [["iam:PassRole"]]
    (statement,) = statements
    assert statement["Resource"] == "arn:aws:iam::<ACCOUNT_ID>:role/*-host-role-*"
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_host_role_names_match_the_resources_the_deploy_policy_scopes_iam_writes_to(runs: list[ProgramRun]) -> None:
    names = {r.name for run in runs for r in run.resources if r.type.startswith("aws:iam/")}
    assert names
    assert all("-host-role" in name or "-host-profile" in name or "-host-policy" in name for name in names)


@pytest.mark.parametrize(
    ("file", "subject"),
    [
        ("deploy-trust-staging.json", "repo:<OWNER>/<REPO>:environment:staging"),
        ("deploy-trust-prod.json", "repo:<OWNER>/<REPO>:environment:production"),
        ("preview-trust.json", "repo:<OWNER>/<REPO>:environment:preview"),
        ("watch-trust-prod.json", "repo:<OWNER>/<REPO>:environment:production-watch"),
    ],
)
def test_each_role_trusts_only_github_oidc_for_one_exact_subject(file: str, subject: str) -> None:
    (statement,) = load(file)["Statement"]
    assert statement["Principal"] == {
        "Federated": "arn:aws:iam::<ACCOUNT_ID>:oidc-provider/token.actions.githubusercontent.com"
    }
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", GITHUB_SUBJECT: subject}
    }


PLACES = {"<REGION>": "eu-west-1", "<ACCOUNT_ID>": "123456789012"}


def instantiated(name: str, stack: str) -> dict[str, Any]:
    """A policy of iam/ as set up for `stack`'s role: its placeholders replaced (docs/ci-and-iam.md)."""
    text = (IAM_DIR / name).read_text()
    for placeholder, value in {**PLACES, "<STACK>": stack}.items():
        text = text.replace(placeholder, value)
    document: dict[str, Any] = json.loads(text)
    return document


def grants_on(policy: dict[str, Any], action: str, resource: str) -> bool:
    """Whether a statement allows `action` on `resource`, in the policy's region (the only condition counted)."""
    for statement in policy["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        conditions = statement.get("Condition", {})
        in_region = conditions in ({}, {"StringEquals": {"aws:RequestedRegion": PLACES["<REGION>"]}})
        if (
            in_region
            and any(fnmatchcase(action.lower(), pattern.lower()) for pattern in statement["Action"])
            and any(fnmatchcase(resource, pattern) for pattern in resources)
        ):
            return True
    return False


def watch_resource(action: str, stack: str) -> str:
    resource = WATCH_CALLS[action]
    for placeholder, value in {**PLACES, "<STACK>": stack}.items():
        resource = resource.replace(placeholder, value)
    return resource


def test_the_watch_calls_the_table_lists_are_those_its_switch_makes() -> None:
    assert list(WATCH_CALLS) == list(SWITCH_CALLS)


@pytest.mark.parametrize("file", ["deploy-policy.json", "watch-policy.json"])
@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_each_deploy_and_watch_role_makes_every_call_of_the_watch_on_its_own_stacks_resources(
    stack: str, file: str
) -> None:
    policy = instantiated(file, stack)

    refused = [action for action in WATCH_CALLS if not grants_on(policy, action, watch_resource(action, stack))]

    assert refused == []


def test_the_watch_policy_grants_exactly_the_calls_of_the_watchs_switch() -> None:
    assert set(allowed_actions(load("watch-policy.json"))) == set(WATCH_CALLS)


def test_the_watch_role_cannot_switch_another_stacks_rule_group_or_marker() -> None:
    staging = instantiated("watch-policy.json", "staging")
    writes = ("ssm:PutParameter", "autoscaling:UpdateAutoScalingGroup", "elasticloadbalancing:ModifyRule")

    assert [action for action in writes if grants_on(staging, action, watch_resource(action, "prod"))] == []


def test_a_deploy_role_cannot_write_another_stacks_rollback_marker() -> None:
    staging = instantiated("deploy-policy.json", "staging")

    assert not grants_on(staging, "ssm:PutParameter", watch_resource("ssm:PutParameter", "prod"))


def test_the_rollback_marker_is_outside_every_settings_path_a_host_reads() -> None:
    from fleet.names import rollback_marker_path, settings_path

    assert not rollback_marker_path("prod", "web", "5b1f0c9e2a7d").startswith(settings_path("prod", "web"))
    assert not rollback_marker_path("prod", "web", "5b1f0c9e2a7d").startswith("/fleet/")


MARKERS_READ = INVOKE_ACTIONS[GET_PARAMETERS_BY_PATH][0]


def markers_path_arns(stack: str) -> list[str]:
    """The path the program asks for, as an ARN with and without its trailing slash."""
    from fleet.names import rollback_markers_path

    path = f"arn:aws:ssm:eu-west-1:123456789012:parameter{rollback_markers_path(stack)}"
    return [path, path.rstrip("/")]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_each_deploy_role_reads_its_own_stacks_rollback_markers(stack: str) -> None:
    policy = instantiated("deploy-policy.json", stack)

    assert all(grants_on(policy, MARKERS_READ, arn) for arn in markers_path_arns(stack))


def test_a_deploy_role_cannot_read_another_stacks_rollback_markers() -> None:
    staging = instantiated("deploy-policy.json", "staging")

    assert not any(grants_on(staging, MARKERS_READ, arn) for arn in markers_path_arns("prod"))


def test_the_preview_role_reads_every_stacks_rollback_markers() -> None:
    preview = instantiated("preview-policy.json", "prod")

    assert all(grants_on(preview, MARKERS_READ, arn) for arn in markers_path_arns("prod"))


# Where an API's IAM prefix is not the name botocore signs its requests with.
IAM_PREFIX_OF_SIGNING_NAME = {"monitoring": "cloudwatch"}


@pytest.fixture
def read_only_calls(aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every AWS call (`service:Operation`, as IAM names it) that `fleetctl audit`, `status` and `canary status`
    make on a fleet in moto that has everything they read: hostnames in a zone, an HTTPS listener, a registry
    consumer, alarms, a warm release, a canary, and traffic switched to the warm slot (so status reads the marker)."""
    import botocore.client

    from fleetctl.cli import main
    from tests.audit.moto_fleet import Fleet, put_alarm

    calls: set[str] = set()
    make_api_call = botocore.client.BaseClient._make_api_call

    def recorded(client: Any, operation: str, params: Any) -> Any:
        signing_name = client.meta.service_model.signing_name
        calls.add(f"{IAM_PREFIX_OF_SIGNING_NAME.get(signing_name, signing_name)}:{operation}")
        return make_api_call(client, operation, params)

    fleet = Fleet(aws, tmp_path / "export.json").build()
    fleet.add_dns("example.com", ["www.example.com"])
    fleet.add_https(fleet.imported_certificate("www.example.com"))
    fleet.alarm_names = ["fleet-prod-web-5xx"]
    put_alarm(aws.client("cloudwatch"), "fleet-prod-web-5xx")
    fleet.add_warm("9a8b7c6d5e4f", warm_since=datetime.now(UTC))
    fleet.add_traffic_rule()
    fleet.add_canary("4c1d2e3f5a6b")
    fleet.elbv2.create_rule(  # the canary's header rule, as components/canary.py declares it
        ListenerArn=fleet.listener_arn,
        Priority=2,
        Conditions=[
            {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Fleet-Track", "Values": ["canary"]}}
        ],
        Actions=[{"Type": "forward", "TargetGroupArn": fleet.canary_target_group_arn}],
    )
    fleet.switch_traffic({fleet.warm_target_group_arn: 90, fleet.canary_target_group_arn: 10})
    outputs = fleet.outputs()
    outputs["registry"] = {
        "account": "123456789012",
        "region": "eu-west-1",
        "repositoryPrefix": "fleet-prod-",
        "consumers": [{"account": "210987654321", "region": "us-east-1"}],
    }
    fleet.write_export(outputs)
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(outputs))
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    project = ["--project-dir", str(tmp_path)]
    codes = [
        main([*project, "audit", "--stack", "prod", "--from-export", str(fleet.export_file), "--json"]),
        main([*project, "status", "prod", "--from-outputs", str(outputs_file), "--json"]),
        main([*project, "canary", "status", "prod", "--from-outputs", str(outputs_file), "--json"]),
    ]
    assert codes == [1, 1, 2]  # findings (the switched rule), action needed (the same), not enough data
    return calls


def test_the_audit_policy_grants_every_call_of_audit_status_and_canary_status(read_only_calls: set[str]) -> None:
    policy = load("audit-policy.json")

    assert {"ssm:GetParameter", "elasticloadbalancing:DescribeRules", "ecr:DescribeRegistry"} <= read_only_calls
    assert sorted(call for call in read_only_calls if not grants(policy, call)) == []


def test_the_audit_policy_grants_exactly_the_calls_they_make(read_only_calls: set[str]) -> None:
    assert set(allowed_actions(load("audit-policy.json"))) == read_only_calls


def test_the_audit_policy_grants_no_write() -> None:
    assert [
        action
        for action in allowed_actions(load("audit-policy.json"))
        if "*" in action or not action.split(":", 1)[1].startswith(READ_ONLY_PREFIXES)
    ] == []


def test_the_audit_policy_reads_only_the_rollback_markers_of_ssm() -> None:
    (statement,) = [s for s in load("audit-policy.json")["Statement"] if "ssm:GetParameter" in s["Action"]]

    assert statement["Action"] == ["ssm:GetParameter"]
    assert statement["Resource"] == "arn:aws:ssm:*:<ACCOUNT_ID>:parameter/fleet-rollbacks/*"
