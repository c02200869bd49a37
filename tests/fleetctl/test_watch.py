"""`fleetctl watch`: the live release's alarms through the warm window, and the switch back to the warm release.

Against a real moto_server (the `aws` fixture) holding the load balancer, its listener and traffic rule, both slots'
target groups and groups, and the service's alarms (tests/fleetctl/warm_fleet.py); a test drives an alarm with
`set_alarm_state` and asserts what AWS then has. Time is the watch's injected clock: a poll's sleep moves it on at
once, and the events a test schedules (an alarm firing at minute 1) happen when it passes them.

moto answers every call the watch makes: DescribeAlarms, DescribeTargetHealth (a registered, running instance is
`healthy`, a stopped one `unused`: moto/elbv2/models.py `FakeTargetGroup.health_for`), PutParameter,
UpdateAutoScalingGroup, ResumeProcesses and ModifyRule with a ForwardConfig (kept as given and described back).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from fleet.names import rollback_marker_path
from fleetctl.cli import main
from fleetctl.commands import watch
from tests.fleetctl.warm_fleet import LIVE_RELEASE, MIN, SERVICE, STACK, WARM_RELEASE, WarmFleet, warm_fleet

START = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """The watch's clock: `sleep` returns at once, moving `now` on and running the events it passes."""

    at: datetime = START
    events: list[tuple[datetime, Callable[[], None]]] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += timedelta(seconds=seconds)
        for when, event in [event for event in self.events if event[0] <= self.at]:
            self.events.remove((when, event))
            event()

    def after(self, delay: timedelta, event: Callable[[], None]) -> None:
        self.events.append((START + delay, event))


@pytest.fixture
def fleet(aws: boto3.Session) -> WarmFleet:
    return warm_fleet(aws)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(watch, "CLOCK", watch.Clock(now=fake.now, sleep=fake.sleep))
    return fake


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture
def run_watch(fleet: WarmFleet, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `fleetctl watch prod --from-outputs FILE OPTIONS` on the fleet's outputs (window: 2 minutes left)."""

    def run(*options: str, stack_outputs: dict[str, Any] | None = None, left: timedelta = timedelta(minutes=2)) -> Run:
        file = tmp_path / "prod.json"
        file.write_text(json.dumps(stack_outputs or fleet.outputs(START + left)))
        code = main(["watch", STACK, "--from-outputs", str(file), *options])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def marker(fleet: WarmFleet) -> dict[str, Any] | None:
    ssm = fleet.session.client("ssm")
    try:
        value = ssm.get_parameter(Name=rollback_marker_path(STACK, SERVICE, LIVE_RELEASE))["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        return None
    parsed: dict[str, Any] = json.loads(value)
    return parsed


def test_a_window_without_alarms_ends_healthy_exit_0(run_watch):
    result = run_watch("--rollback")

    assert result.code == 0
    assert result.lines[-1] == (
        f"{SERVICE}: healthy through the window (warm release {WARM_RELEASE} retires at 2026-12-02T01:02:00Z)"
    )


def test_the_watch_polls_every_interval_until_the_window_closes_without_sleeping_for_real(run_watch, clock):
    result = run_watch("--interval", "30")

    progress = [line for line in result.lines if line.startswith("2026-")]
    assert [line.split()[0] for line in progress] == [
        "2026-12-02T01:00:00Z",
        "2026-12-02T01:00:30Z",
        "2026-12-02T01:01:00Z",
        "2026-12-02T01:01:30Z",
        "2026-12-02T01:02:00Z",
    ]
    assert clock.slept == [30, 30, 30, 30]


def test_each_progress_line_shows_the_time_left_and_each_alarms_state(run_watch, fleet, clock):
    fleet.set_alarm("p99-response-time", "INSUFFICIENT_DATA")

    result = run_watch()

    assert result.lines[1] == (
        "2026-12-02T01:00:00Z web: 2m00s left; unhealthy-hosts OK, target-5xx-rate OK, "
        "p99-response-time INSUFFICIENT_DATA"
    )


def test_the_last_poll_waits_only_until_the_window_closes(run_watch, clock):
    run_watch("--interval", "50", left=timedelta(seconds=70))

    assert clock.slept == [50, 20]


def test_an_alarm_with_rollback_forwards_the_traffic_rule_to_the_warm_target_group(run_watch, fleet, clock):
    clock.after(timedelta(seconds=30), lambda: fleet.set_alarm("target-5xx-rate", "ALARM"))

    result = run_watch("--rollback")

    assert result.code == 1
    assert fleet.forwarded_to() == {fleet.warm.target_group_arn}


def test_a_rollback_restores_the_warm_groups_min_and_resumes_its_alarm_notifications(run_watch, fleet, clock):
    clock.after(timedelta(seconds=30), lambda: fleet.set_alarm("target-5xx-rate", "ALARM"))

    run_watch("--rollback")

    group = fleet.group(fleet.warm)
    assert (group["MinSize"], group["DesiredCapacity"]) == (MIN, 2)
    assert "AlarmNotification" not in {process["ProcessName"] for process in group["SuspendedProcesses"]}


def test_a_rollback_writes_the_marker_of_the_rolled_back_release(run_watch, fleet, clock):
    clock.after(timedelta(seconds=30), lambda: fleet.set_alarm("p99-response-time", "ALARM"))

    run_watch("--rollback")

    assert marker(fleet) == {
        "at": "2026-12-02T01:00:30Z",
        "alarms": ["fleet-prod-web-p99-response-time"],
        "servedBy": WARM_RELEASE,
        "by": "fleetctl watch",
    }


def test_a_rollback_ends_with_its_verdict_naming_the_alarms_and_the_command_that_pins_it(run_watch, fleet, clock):
    clock.after(timedelta(seconds=45), lambda: fleet.set_alarm("unhealthy-hosts", "ALARM"))

    result = run_watch("--rollback")

    assert f"2026-12-02T01:00:45Z {SERVICE}: traffic switched to warm release {WARM_RELEASE}" in result.lines
    assert result.lines[-1] == (
        f"{SERVICE}: rolled back to {WARM_RELEASE} (version 1.4.0) at 2026-12-02T01:00:45Z "
        f"(alarms: fleet-prod-web-unhealthy-hosts); pin it: fleetctl rollback {STACK} --service {SERVICE}"
    )


def test_the_watch_stops_polling_a_service_once_it_rolled_back(run_watch, fleet, clock):
    clock.after(timedelta(seconds=15), lambda: fleet.set_alarm("target-5xx-rate", "ALARM"))

    run_watch("--rollback")

    assert clock.slept == [15]


def test_an_alarm_without_rollback_is_reported_and_changes_nothing_exit_1(run_watch, fleet, clock):
    clock.after(timedelta(seconds=30), lambda: fleet.set_alarm("target-5xx-rate", "ALARM"))

    result = run_watch()

    assert result.code == 1
    assert result.lines[-1] == (
        f"{SERVICE}: alarms in ALARM at 2026-12-02T01:00:30Z (fleet-prod-web-target-5xx-rate); not rolled back "
        f"(no --rollback): roll back with fleetctl rollback {STACK} --service {SERVICE}"
    )
    assert fleet.forwarded_to() == {fleet.live.target_group_arn}
    assert marker(fleet) is None


def test_a_switch_to_a_warm_release_with_fewer_healthy_hosts_than_its_desired_is_refused_exit_2(run_watch, fleet):
    fleet.stop_hosts(fleet.warm)
    fleet.set_alarm("target-5xx-rate", "ALARM")

    result = run_watch("--rollback")

    assert result.code == 2
    assert result.lines[-1].endswith(
        f"not rolled back: warm release {WARM_RELEASE} has 0 healthy of 2 hosts; "
        f"roll back with fleetctl rollback {STACK} --service {SERVICE}"
    )
    assert fleet.forwarded_to() == {fleet.live.target_group_arn}
    assert fleet.group(fleet.warm)["MinSize"] == 0
    assert marker(fleet) is None


def test_an_alarm_after_another_update_moved_the_traffic_rule_switches_nothing_exit_2(run_watch, fleet):
    """A deploy's `pulumi up` that ran a new release moved the rule to its own slot; the warm release the watch
    read may be the one that update deletes, so the watch leaves the traffic where that update put it."""
    fleet.elbv2.modify_rule(
        RuleArn=fleet.traffic_rule_arn,
        Actions=[{"Type": "forward", "TargetGroupArn": fleet.warm.target_group_arn}],  # stands in for a third slot
    )
    fleet.autoscaling.update_auto_scaling_group(AutoScalingGroupName=fleet.warm.asg_name, MinSize=0)
    fleet.set_alarm("target-5xx-rate", "ALARM")

    result = run_watch("--rollback")

    assert result.code == 2
    assert result.lines[-1].endswith(
        f"not rolled back: the traffic rule no longer sends to release {LIVE_RELEASE} (another `pulumi up` of the "
        f"stack moved it since its outputs were read); roll back with fleetctl rollback {STACK} --service {SERVICE}"
    )
    assert marker(fleet) is None
    assert fleet.group(fleet.warm)["MinSize"] == 0


def test_a_switch_that_fails_after_the_marker_says_in_one_line_what_is_done_and_what_to_run(run_watch, fleet):
    fleet.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=fleet.warm.asg_name, ForceDelete=True)
    fleet.set_alarm("target-5xx-rate", "ALARM")  # UpdateAutoScalingGroup then fails: no such group

    result = run_watch("--rollback")

    assert result.code == 2
    [line] = result.err.splitlines()
    assert line.startswith(f"fleetctl watch: {SERVICE}: the switch to warm release {WARM_RELEASE} failed (AWS request")
    assert f"the marker {rollback_marker_path(STACK, SERVICE, LIVE_RELEASE)} is written" in line
    assert line.endswith(f"or pin the warm release with `fleetctl rollback {STACK} --service {SERVICE}` and deploy")
    assert marker(fleet) is not None


def test_for_stops_the_watch_before_the_window_closes_and_says_so(run_watch):
    result = run_watch("--for", "1", left=timedelta(minutes=30))

    assert result.code == 0
    assert result.lines[-1] == (
        f"{SERVICE}: healthy as far as watched (until 2026-12-02T01:01:00Z); its window stays open, unwatched, "
        "until 2026-12-02T01:30:00Z"
    )


def test_a_stack_without_a_warm_release_has_nothing_to_watch_exit_0(run_watch, fleet, clock):
    stack_outputs = fleet.outputs(START + timedelta(minutes=2))
    del stack_outputs["services"][SERVICE]["warm"]

    result = run_watch("--rollback", stack_outputs=stack_outputs)

    assert (result.code, result.out) == (0, f"{STACK}: no service has a warm release in its window: nothing to watch\n")


def test_a_warm_release_past_its_window_is_not_watched(run_watch, fleet):
    result = run_watch("--rollback", "--service", SERVICE, left=timedelta(seconds=-1))

    assert (result.code, result.out) == (
        0,
        f"{STACK}: service {SERVICE} has no warm release in its window: nothing to watch\n",
    )


def test_an_alarm_the_outputs_name_that_cloudwatch_lacks_is_an_error_in_one_line(run_watch, fleet):
    fleet.session.client("cloudwatch").delete_alarms(AlarmNames=["fleet-prod-web-p99-response-time"])

    result = run_watch("--rollback")

    assert result.code == 2
    assert result.err == (
        "fleetctl watch: CloudWatch has no alarm fleet-prod-web-p99-response-time (named in the stack outputs)\n"
    )


def test_outputs_without_the_traffic_rule_are_refused_naming_the_key(run_watch, fleet):
    stack_outputs = fleet.outputs(START + timedelta(minutes=2))
    del stack_outputs["services"][SERVICE]["trafficRuleArn"]

    result = run_watch("--rollback", stack_outputs=stack_outputs)

    assert (result.code, result.out) == (2, "")
    assert result.err == f"fleetctl watch: stack outputs services.{SERVICE}.trafficRuleArn is missing or empty\n"


def test_a_service_the_stack_does_not_have_is_refused_in_one_line(run_watch):
    result = run_watch("--service", "shop")

    assert (result.code, result.err) == (2, f"fleetctl watch: stack {STACK} has no service shop; it has: web\n")


def test_a_rollback_makes_exactly_the_calls_the_switch_path_lists(run_watch, fleet, clock, monkeypatch):
    calls: list[str] = []
    client = boto3.Session.client

    def recording_client(session: boto3.Session, name: str, **kwargs: Any) -> Any:
        made = client(session, name, **kwargs)
        prefix = {"elbv2": "elasticloadbalancing"}.get(name, name)
        made.meta.events.register("before-call", lambda model, **_: calls.append(f"{prefix}:{model.name}"))
        return made

    fleet.set_alarm("target-5xx-rate", "ALARM")
    monkeypatch.setattr(boto3.Session, "client", recording_client)

    run_watch("--rollback")

    assert calls == list(watch.SWITCH_CALLS)


def test_the_modelled_worst_case_from_an_alarm_to_the_switch_is_within_two_minutes():
    assert watch.worst_case_seconds(watch.DEFAULT_INTERVAL_SECONDS) <= 120


def test_piped_through_head_the_watch_ends_with_its_verdict_and_no_traceback(fleet, tmp_path):
    file = tmp_path / "prod.json"
    # A window of 4 s: the process starts within it (well under a second, idle), prints its line, which `head`
    # takes and leaves, then polls once a second into the closed pipe until the window ends.
    file.write_text(json.dumps(fleet.outputs(datetime.now(UTC) + timedelta(seconds=4))))
    command = f"{sys.executable} -m fleetctl watch {STACK} --interval 1 --from-outputs {file} | head -1"

    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )

    assert result.stdout == f"{STACK}: watching {SERVICE} every 1 s (report only: no --rollback)\n"
    assert (result.returncode, result.stderr) == (0, "")
