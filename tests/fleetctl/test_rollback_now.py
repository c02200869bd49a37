"""`fleetctl rollback STACK --service NAME --now`: the watch's switch to the warm release, made by an operator at once,
and the stack-file pin of that release, against a real moto_server (tests/fleetctl/warm_fleet.py builds prod's web:
live in slot b, warm in slot a, the traffic rule on the live slot)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from bench.undo import NOW_CALLS
from fleet.names import rollback_marker_path
from tests.fleetctl.fleetctl_samples import outputs
from tests.fleetctl.test_rollback import HISTORY, id_of_1_1_0, pinned_web, prod_on_1_2_0, web_release_id
from tests.fleetctl.warm_fleet import MIN, STACK, WarmFleet, warm_fleet

__all__ = ["id_of_1_1_0", "prod_on_1_2_0"]  # fixtures of test_rollback.py, used here


@pytest.fixture
def fleet(aws: boto3.Session) -> WarmFleet:
    return warm_fleet(aws)


def prod_outputs(fleet: WarmFleet, warm_release_id: str, retires_in: timedelta) -> dict[str, Any]:
    """prod's outputs: web's history 1.2.0 (live), 1.1.0 (warm, `warm_release_id`), the slots as moto has them."""
    stack_outputs = outputs("prod", {"web": [dict(entry) for entry in HISTORY]})
    web = stack_outputs["services"]["web"]
    web["history"][1]["releaseId"] = warm_release_id
    moto = fleet.outputs(datetime.now(UTC) + retires_in)["services"]["web"]
    web["release"].update(asgName=fleet.live.asg_name, slot="b", targetGroupArn=fleet.live.target_group_arn)
    web["warm"] = {**moto["warm"], **web["history"][1]}
    for key in ("alarms", "capacity", "trafficRuleArn", "targetGroupArn", "warmRollbackMinutes"):
        web[key] = moto[key]
    return stack_outputs


def marker(fleet: WarmFleet) -> dict[str, Any] | None:
    ssm = fleet.session.client("ssm")
    try:
        value = ssm.get_parameter(Name=rollback_marker_path(STACK, "web", HISTORY[0]["releaseId"]))
    except ssm.exceptions.ParameterNotFound:
        return None
    return dict(json.loads(value["Parameter"]["Value"]))


@pytest.fixture
def rollback_now(fleetctl, write_outputs, fleet, id_of_1_1_0):
    def run(*options: str, retires_in: timedelta = timedelta(minutes=30)):
        stack_outputs = write_outputs(prod_outputs(fleet, id_of_1_1_0, retires_in))
        return fleetctl("rollback", "prod", "--from-outputs", stack_outputs, *options)

    return run


def test_now_forwards_the_traffic_rule_to_the_warm_target_group(rollback_now, fleet):
    result = rollback_now("--service", "web", "--now")

    assert result.code == 0, result.err
    assert fleet.forwarded_to() == {fleet.warm.target_group_arn}


def test_now_restores_the_warm_groups_min_and_resumes_its_alarm_notifications(rollback_now, fleet):
    rollback_now("--service", "web", "--now")

    group = fleet.group(fleet.warm)
    assert group["MinSize"] == MIN
    assert "AlarmNotification" not in {process["ProcessName"] for process in group["SuspendedProcesses"]}


def test_now_writes_the_marker_of_the_live_release_naming_the_command(rollback_now, fleet, id_of_1_1_0):
    rollback_now("--service", "web", "--now")

    written = marker(fleet)
    assert written is not None
    assert (written["alarms"], written["servedBy"], written["by"]) == ([], id_of_1_1_0, "fleetctl rollback --now")


def test_now_pins_the_warm_release_in_the_stack_file_so_the_next_update_declares_what_aws_has(
    rollback_now, project, id_of_1_1_0
):
    result = rollback_now("--service", "web", "--now")

    assert pinned_web(project.read("Pulumi.prod.yaml"))[0] == "1.1.0"
    assert web_release_id(project) == id_of_1_1_0
    assert result.out.splitlines()[-1].startswith(f"web: traffic switched to warm release {id_of_1_1_0} at ")


def test_now_makes_exactly_the_calls_the_bench_models(rollback_now, monkeypatch):
    calls: list[str] = []
    client = boto3.Session.client

    def recording_client(session: boto3.Session, name: str, **kwargs: Any) -> Any:
        made = client(session, name, **kwargs)
        prefix = {"elbv2": "elasticloadbalancing"}.get(name, name)
        made.meta.events.register("before-call", lambda model, **_: calls.append(f"{prefix}:{model.name}"))
        return made

    monkeypatch.setattr(boto3.Session, "client", recording_client)

    result = rollback_now("--service", "web", "--now")

    assert result.code == 0, result.err
    assert tuple(calls) == NOW_CALLS


def test_without_now_aws_is_unchanged(rollback_now, fleet):
    result = rollback_now("--service", "web")

    assert result.code == 0, result.err
    assert fleet.forwarded_to() == {fleet.live.target_group_arn}
    assert fleet.group(fleet.warm)["MinSize"] == 0
    assert marker(fleet) is None


def test_now_refuses_an_unhealthy_warm_release_and_changes_nothing(
    rollback_now, fleet, project, prod_on_1_2_0, id_of_1_1_0
):
    fleet.stop_hosts(fleet.warm)

    result = rollback_now("--service", "web", "--now")

    assert result.code == 2
    assert result.err.splitlines() == [
        f"fleetctl rollback: web: not switched: warm release {id_of_1_1_0} has 0 healthy of 2 hosts; nothing changed"
    ]
    assert fleet.forwarded_to() == {fleet.live.target_group_arn}
    assert marker(fleet) is None
    assert project.read("Pulumi.prod.yaml") == prod_on_1_2_0


def test_now_refuses_a_warm_release_past_its_window_and_changes_nothing(rollback_now, fleet, project, prod_on_1_2_0):
    result = rollback_now("--service", "web", "--now", retires_in=timedelta(minutes=-5))

    assert result.code == 2
    [line] = result.err.splitlines()
    assert "closed at" in line
    assert line.endswith("without --now, the next `pulumi up` is a full release")
    assert fleet.forwarded_to() == {fleet.live.target_group_arn}
    assert project.read("Pulumi.prod.yaml") == prod_on_1_2_0


def test_now_refuses_a_service_without_a_warm_release_in_one_line(fleetctl, write_outputs, project, prod_on_1_2_0):
    stack_outputs = write_outputs(outputs("prod", {"web": HISTORY}))

    result = fleetctl("rollback", "prod", "--service", "web", "--now", "--from-outputs", stack_outputs)

    assert result.code == 2
    assert result.err.splitlines() == [
        "fleetctl rollback: web has no warm release to switch to now: without --now, the next `pulumi up` is a "
        "full release"
    ]
    assert project.read("Pulumi.prod.yaml") == prod_on_1_2_0


@pytest.mark.parametrize("options", [(), ("--service", "web", "--to", "1.0.0"), ("--service", "web", "--dry-run")])
def test_now_needs_one_service_and_no_to_or_dry_run(rollback_now, fleet, options):
    result = rollback_now(*options, "--now")

    assert result.code == 2
    assert result.err.splitlines() == [
        "fleetctl rollback: --now switches one service to its warm release: give --service NAME, without --to or "
        "--dry-run"
    ]
    assert fleet.forwarded_to() == {fleet.live.target_group_arn}
