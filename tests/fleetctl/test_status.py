"""`fleetctl status STACK`: live, warm and canary releases from the outputs and AWS, and what a rollback would do.

Against a real moto_server (the `aws` fixture): the service's slots built as the program builds them
(tests/audit/moto_fleet.py): the live release in slot a, the warm previous one in slot b, a canary in its own target
group, and the traffic rule forwarding to the live slot. The clock is the command's `now`, so windows are judged at
a chosen time whatever moto stamps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from fleetctl.cli import build_parser, main
from fleetctl.commands import status as status_command
from tests.audit.moto_fleet import LIVE_RELEASE, Fleet

WARM_RELEASE = "9a8b7c6d5e4f"
WARM_SINCE = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
IN_THE_WINDOW = WARM_SINCE + timedelta(minutes=20)
MARKER = f"/fleet-rollbacks/prod/web/{LIVE_RELEASE}"


@pytest.fixture
def fleet(aws: boto3.Session, tmp_path: Path) -> Fleet:
    """prod's web: live release in slot a, warm release in slot b (60-minute window from 01:00), traffic rule."""
    built = Fleet(aws, tmp_path / "export.json").build()
    built.add_warm(WARM_RELEASE, warm_since=WARM_SINCE)
    built.add_traffic_rule()
    return built


def outputs_file(fleet: Fleet, outputs: dict[str, Any] | None = None) -> Path:
    file = fleet.export_file.with_name("outputs.json")
    file.write_text(json.dumps(outputs or fleet.outputs()))
    return file


def status(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], *options: str, now: datetime = IN_THE_WINDOW
) -> tuple[int, str]:
    """Run `fleetctl status prod` at `now` on the fleet's outputs: (exit code, stdout)."""
    argv = ["status", fleet.stack, "--from-outputs", str(outputs_file(fleet)), *options]
    code = status_command.run(build_parser().parse_args(argv), now=now)
    return code, capsys.readouterr().out


def status_json(fleet: Fleet, capsys: pytest.CaptureFixture[str], now: datetime = IN_THE_WINDOW) -> dict[str, Any]:
    code, out = status(fleet, capsys, "--json", now=now)
    document = json.loads(out)
    assert isinstance(document, dict)
    document["exit"] = code
    return document


def line(out: str, role: str) -> str:
    (found,) = [text for text in out.splitlines() if text.startswith(f"  {role}:")]
    return found


def test_the_live_release_is_shown_with_its_slot_and_healthy_over_desired_hosts(fleet, capsys):
    code, out = status(fleet, capsys)

    assert code == 0
    assert line(out, "live") == (
        f"  live:      {LIVE_RELEASE} (version 1.4.2), slot a, since 2026-11-20 10:00 UTC: 2/2 healthy"
    )


def test_a_warm_release_in_its_window_shows_when_it_retires(fleet, capsys):
    _, out = status(fleet, capsys)

    assert line(out, "warm") == (
        f"  warm:      {WARM_RELEASE} (version 1.4.1), slot b, out of traffic since 2026-12-02 01:00 UTC: 2/2 "
        "healthy; retires at 2026-12-02 02:00 UTC (in 40 min)"
    )


def test_a_rollback_in_the_window_to_a_healthy_warm_release_is_a_switch(fleet, capsys):
    _, out = status(fleet, capsys)

    assert line(out, "rollback") == (
        f"  rollback:  switch to {WARM_RELEASE} (warm until 2026-12-02 02:00 UTC): one load balancer change, no boot"
    )


def test_a_warm_release_short_of_healthy_hosts_makes_the_switch_wait_for_its_group(fleet, capsys):
    assert fleet.warm is not None
    (target, *_) = fleet.asg_instance_ids(fleet.warm.asg_name)
    fleet.elbv2.deregister_targets(TargetGroupArn=fleet.warm_target_group_arn, Targets=[{"Id": target}])

    document = status_json(fleet, capsys)

    rollback = document["services"]["web"]["rollback"]
    assert rollback["kind"] == "switch-waits"
    assert "unhealthy (1/2 healthy): the switch would wait for its group to heal" in rollback["detail"]


def test_a_warm_release_past_its_window_is_overdue_with_the_instance_hours_it_cost_exit_1(fleet, capsys):
    code, out = status(fleet, capsys, now=WARM_SINCE + timedelta(hours=4))

    assert code == 1
    assert line(out, "warm").endswith(
        "OVERDUE: its window closed at 2026-12-02 02:00 UTC, 3 h 00 min ago; 6.0 instance-hours past its window "
        "(2 host(s) x 3.0 h); the stack's next `pulumi up` retires it (the next deploy, or the scheduled retire "
        "workflow)"
    )


def test_the_json_says_overdue_for_the_retire_workflow(fleet, capsys):
    document = status_json(fleet, capsys, now=WARM_SINCE + timedelta(hours=4))

    warm = document["services"]["web"]["warm"]
    assert (warm["overdue"], warm["overdueMinutes"], warm["overdueInstanceHours"]) == (True, 180, 6.0)
    assert document["exit"] == 1


def test_the_json_of_a_warm_release_in_its_window_is_not_overdue_exit_0(fleet, capsys):
    document = status_json(fleet, capsys)

    warm = document["services"]["web"]["warm"]
    assert (warm["releaseId"], warm["overdue"], warm["retiresAt"]) == (WARM_RELEASE, False, "2026-12-02T02:00:00Z")
    assert (warm["desired"], warm["healthy"]) == (2, 2)
    assert document["exit"] == 0


def test_a_rollback_past_the_window_is_a_full_release_of_the_previous_release(fleet, capsys):
    document = status_json(fleet, capsys, now=WARM_SINCE + timedelta(hours=4))

    rollback = document["services"]["web"]["rollback"]
    assert (rollback["kind"], rollback["releaseId"]) == ("full-release", WARM_RELEASE)
    assert "its warm window closed at 2026-12-02 02:00 UTC" in rollback["detail"]


def test_without_a_warm_release_a_rollback_is_a_full_release(aws, tmp_path, capsys):
    fleet = Fleet(aws, tmp_path / "export.json").build()
    fleet.add_traffic_rule()
    outputs = fleet.outputs()
    outputs["services"]["web"]["history"].append({"releaseId": "0123456789ab", "version": "1.4.0"})

    code = main(["status", "prod", "--from-outputs", str(outputs_file(fleet, outputs))])

    out = capsys.readouterr().out
    assert code == 0
    assert line(out, "warm") == "  warm:      none"
    assert line(out, "rollback").startswith(
        "  rollback:  full release of 0123456789ab (version 1.4.0; no warm release)"
    )


def test_a_canary_is_shown_with_its_share_and_its_hosts(fleet, capsys):
    fleet.add_canary("4c1d2e3f5a6b")
    fleet.switch_traffic({fleet.target_group_arn: 90, fleet.canary_target_group_arn: 10})

    code, out = status(fleet, capsys)

    assert code == 0
    assert line(out, "canary") == ("  canary:    4c1d2e3f5a6b (version 1.5.0), slot c: 1/1 healthy; 10% of requests")
    assert line(out, "traffic") == "  traffic:   as the outputs say: 90% to slot a (live), 10% to slot c (canary)"


def test_traffic_on_the_warm_slot_names_the_watch_marker_and_the_rollback_to_run_exit_1(fleet, capsys):
    fleet.switch_traffic({fleet.warm_target_group_arn: 100})
    marker = {"at": "2026-12-02T01:12:00Z", "alarms": ["fleet-prod-web-5xx"], "servedBy": WARM_RELEASE}
    fleet.session.client("ssm").put_parameter(Name=MARKER, Type="String", Value=json.dumps(marker))

    code, out = status(fleet, capsys)

    assert code == 1
    assert line(out, "traffic") == (
        f"  traffic:   100% to slot b (warm), not to the live slot a: release {LIVE_RELEASE} was rolled back "
        "outside Pulumi (by fleetctl watch at 2026-12-02 01:12 UTC, alarms: fleet-prod-web-5xx; marker "
        f"{MARKER} in SSM); run `fleetctl rollback prod --service web` to pin {WARM_RELEASE}, then deploy"
    )


def test_after_a_switch_outside_pulumi_the_rollback_is_already_done_and_only_needs_pinning(fleet, capsys):
    fleet.switch_traffic({fleet.warm_target_group_arn: 100})

    document = status_json(fleet, capsys)

    service = document["services"]["web"]
    assert service["rollback"]["kind"] == "done"
    assert service["traffic"]["rolledBackOutsidePulumi"] is True
    assert service["traffic"]["marker"] is None
    assert "no marker" not in service["rollback"]["detail"]


def test_traffic_on_the_warm_slot_without_a_marker_says_it_was_not_the_watch(fleet, capsys):
    fleet.switch_traffic({fleet.warm_target_group_arn: 100})

    _, out = status(fleet, capsys)

    assert f"(no marker {MARKER} in SSM: not switched by fleetctl)" in line(out, "traffic")


def test_traffic_weights_that_differ_from_the_outputs_are_reported_exit_1(fleet, capsys):
    fleet.switch_traffic({fleet.target_group_arn: 50, fleet.warm_target_group_arn: 50})

    code, out = status(fleet, capsys)

    assert code == 1
    assert line(out, "traffic") == (
        "  traffic:   50% to slot a (live), 50% to slot b (warm), but the outputs say 100% to slot a (live): the "
        "rule was changed outside Pulumi"
    )


def test_outputs_from_before_warm_releases_show_the_live_release_and_leave_traffic_unchecked(aws, tmp_path, capsys):
    fleet = Fleet(aws, tmp_path / "export.json").build()
    outputs = fleet.outputs()
    release = outputs["services"]["web"]["release"]
    for key in ("slot", "since"):
        del release[key]

    code = main(["status", "prod", "--from-outputs", str(outputs_file(fleet, outputs))])

    out = capsys.readouterr().out
    assert code == 0
    assert line(out, "live") == f"  live:      {LIVE_RELEASE} (version 1.4.2), slot a: 2/2 healthy"
    assert line(out, "traffic") == (
        "  traffic:   no traffic rule in the outputs (deployed before warm releases): not checked"
    )


def test_a_service_the_stack_does_not_have_is_one_error_line_exit_2(fleet, capsys):
    code = main(["status", "prod", "--service", "api", "--from-outputs", str(outputs_file(fleet))])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == "fleetctl status: stack prod has no service api; it has: web\n"


def test_a_warm_record_without_retires_at_is_one_error_line_naming_the_key(fleet, capsys):
    outputs = fleet.outputs()
    del outputs["services"]["web"]["warm"]["retiresAt"]

    code = main(["status", "prod", "--from-outputs", str(outputs_file(fleet, outputs))])

    assert code == 2
    assert capsys.readouterr().err == "fleetctl status: services.web.warm.retiresAt is missing or empty\n"


def test_aws_unreachable_is_one_error_line_exit_2(fleet, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    code = main(["status", "prod", "--from-outputs", str(outputs_file(fleet))])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("fleetctl status: cannot reach AWS (")
    assert captured.err.count("\n") == 1


def test_status_whose_reader_has_gone_ends_quietly_with_141(fleet):
    # `fleetctl status prod | head -1` once head has its line: stdout is a pipe whose reading end is closed.
    reading, writing = os.pipe()
    os.close(reading)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "fleetctl", "status", "prod", "--from-outputs", str(outputs_file(fleet))],
            cwd=fleet.export_file.parent,
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(writing)

    assert (result.returncode, result.stderr) == (141, "")


def test_the_json_names_the_watch_marker_of_a_rollback_outside_pulumi(fleet, capsys):
    fleet.switch_traffic({fleet.warm_target_group_arn: 100})
    marker = {
        "at": "2026-12-02T01:12:00Z",
        "alarms": ["fleet-prod-web-5xx"],
        "servedBy": WARM_RELEASE,
        "by": "fleetctl watch",
    }
    fleet.session.client("ssm").put_parameter(Name=MARKER, Type="String", Value=json.dumps(marker))

    traffic = status_json(fleet, capsys)["services"]["web"]["traffic"]

    assert (traffic["agreesWithOutputs"], traffic["rolledBackOutsidePulumi"]) == (False, True)
    assert traffic["marker"] == {"path": MARKER, **marker}


def test_a_marker_names_the_command_that_switched(fleet, capsys):
    fleet.switch_traffic({fleet.warm_target_group_arn: 100})
    marker = {"at": "2026-12-02T01:12:00Z", "alarms": [], "servedBy": WARM_RELEASE, "by": "fleetctl rollback --now"}
    fleet.session.client("ssm").put_parameter(Name=MARKER, Type="String", Value=json.dumps(marker))

    _, out = status(fleet, capsys)

    assert f"(by fleetctl rollback --now at 2026-12-02 01:12 UTC; marker {MARKER} in SSM)" in line(out, "traffic")
