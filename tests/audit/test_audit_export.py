"""`fleetctl audit` on the stack export of one fleet that this module builds in moto_server once: each test here
changes only its own copy of the export (or the environment), never AWS, so the fleet does not need rebuilding per
test. A test that changes AWS belongs in test_audit.py, on a fleet of its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from fleetctl.audit_facts import gather_facts, live_releases, stack_state
from fleetctl.audit_rules import Finding, audit
from fleetctl.cli import main
from tests.audit.audit_run import DEFAULT_MIN_ORPHAN_AGE, findings, run_audit
from tests.audit.moto_fleet import STACK, Fleet
from tests.moto_server import reset_moto


@pytest.fixture(scope="module")
def shared_fleet(moto_url: str, aws_environment: boto3.Session, tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """The fleet of conftest's `fleet`, built once for this module in a freshly reset moto."""
    reset_moto(moto_url)
    return Fleet(aws_environment, tmp_path_factory.mktemp("shared-fleet") / "export.json").build()


@pytest.fixture
def fleet(shared_fleet: Fleet, tmp_path: Path) -> Fleet:
    """The shared fleet with an export file of this test's own, to change as it likes."""
    return shared_fleet.with_own_export(tmp_path / "export.json")


def test_clean_fleet_reports_nothing_and_exits_0(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit(fleet) == 0
    assert "no findings" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("age", "reported"),
    [(timedelta(days=31), True), (timedelta(days=29), False)],
    ids=["older-than-limit", "within-limit"],
)
def test_instances_older_than_max_age_are_reported(fleet: Fleet, age: timedelta, reported: bool) -> None:
    # moto stamps instances with the real launch time, so the audit's clock moves instead.
    state = stack_state(fleet.export(), STACK)
    facts = gather_facts(fleet.session, STACK, live_releases(state.outputs, STACK), state)
    now = datetime.now(UTC) + age

    found = audit(facts, now=now, max_age=timedelta(days=30), min_orphan_age=DEFAULT_MIN_ORPHAN_AGE)

    assert fleet.live is not None
    expected = {("old-instance", "web", instance_id) for instance_id in fleet.asg_instance_ids(fleet.live.asg_name)}
    assert {(f.kind, f.service, f.resource) for f in found} == (expected if reported else set())


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("asgName", "fleet-prod-web-deleted", "missing-asg"),
        ("launchTemplateVersion", 7, "missing-launch-template"),
        ("launchTemplateId", "lt-0000000000000000f", "missing-launch-template"),
        ("targetGroupArn", "/0000000000000000", "missing-target-group"),
    ],
)
def test_live_resource_gone_from_aws_is_a_finding_not_a_crash(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], key: str, value: str | int, kind: str
) -> None:
    outputs = fleet.outputs()
    service = outputs["services"]["web"]
    if key == "targetGroupArn":
        service[key] = service[key].rsplit("/", 1)[0] + str(value)
    else:
        service["release"][key] = value
    fleet.write_export(outputs)

    code, found = findings(fleet, capsys)

    assert code == 1
    assert kind in {finding.kind for finding in found}


def test_outputs_without_launch_template_version_name_the_key(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = fleet.outputs()
    del outputs["services"]["web"]["release"]["launchTemplateVersion"]
    fleet.write_export(outputs)

    assert run_audit(fleet) == 2
    assert "services.web.release.launchTemplateVersion must be a positive integer" in capsys.readouterr().err


def test_outputs_of_another_stack_are_rejected(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--stack", "staging", "--from-export", str(fleet.export_file)]) == 2
    assert "the stack export is of stack 'prod', not 'staging'" in capsys.readouterr().err


def stack_project(tmp_path: Path, region: str) -> Path:
    """A project whose prod stack file deploys to `region`."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: fleet\nruntime: python\n")
    (project / "Pulumi.prod.yaml").write_text(f"config:\n  aws:region: {region}\n")
    return project


def test_the_region_is_the_stack_files_without_an_aws_region_configured(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    assert run_audit(fleet, "--project-dir", str(stack_project(tmp_path, "eu-west-1"))) == 0
    assert "no findings" in capsys.readouterr().out


def test_the_stack_files_region_wins_over_the_aws_configurations(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    assert run_audit(fleet, "--project-dir", str(stack_project(tmp_path, "eu-west-1"))) == 0


def test_a_stack_file_region_other_than_the_fleets_is_rejected(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_audit(fleet, "--project-dir", str(stack_project(tmp_path, "us-east-1"))) == 2
    assert "set aws:region: eu-west-1" in capsys.readouterr().err


def test_without_a_stack_file_the_aws_configurations_region_is_used_and_checked(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    assert run_audit(fleet, "--project-dir", str(tmp_path)) == 2
    assert "AWS_DEFAULT_REGION=eu-west-1" in capsys.readouterr().err


def test_alarm_listed_in_the_outputs_but_missing_from_cloudwatch_is_reported(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet.alarm_names = ["fleet-prod-web-5xx"]
    fleet.write_export()

    code, found = findings(fleet, capsys)

    assert code == 1
    assert found == [Finding("missing-alarm", "web", "fleet-prod-web-5xx", "the service's alarm does not exist")]


def test_alarms_output_that_is_not_a_list_of_names_names_the_key(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = fleet.outputs()
    outputs["services"]["web"]["alarms"] = "fleet-prod-web-5xx"
    fleet.write_export(outputs)

    assert run_audit(fleet) == 2
    assert "services.web.alarms must be a list of alarm names" in capsys.readouterr().err


def test_file_that_is_not_a_stack_export_is_rejected(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    fleet.export_file.write_text(json.dumps(fleet.outputs()))

    assert run_audit(fleet) == 2
    assert "the stack export has no `deployment` object" in capsys.readouterr().err
