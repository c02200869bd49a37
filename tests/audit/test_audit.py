"""`fleetctl audit` against a fleet built in a real moto_server: each kind of drift is found, a clean fleet is not."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fleetctl.audit_facts import (
    AutoScalingGroup,
    FleetFacts,
    LaunchTemplateVersion,
    LiveRelease,
    ServiceFacts,
)
from fleetctl.audit_rules import Finding, Orphans, audit, orphans
from fleetctl.cli import build_parser, main
from fleetctl.commands import audit as audit_command
from tests.audit.audit_run import DEFAULT_MIN_ORPHAN_AGE, findings, run_audit
from tests.audit.moto_fleet import AMI, LIVE_RELEASE, STACK, Fleet, put_alarm

REPO = Path(__file__).resolve().parents[2]
# moto stamps what it creates with the real time, so tests that need an old orphan move the audit's clock instead.
OLD_ENOUGH = DEFAULT_MIN_ORPHAN_AGE + timedelta(minutes=1)


class Terminal(io.StringIO):
    """Standard input as an interactive user's terminal, with the user's typed answer."""

    def isatty(self) -> bool:
        return True


def run_audit_later(fleet: Fleet, later: timedelta, *options: str) -> int:
    """Run the audit as if `later` had passed since the fleet was built."""
    args = build_parser().parse_args(
        ["audit", "--stack", fleet.stack, "--from-export", str(fleet.export_file), *options]
    )
    return audit_command.run(args, now=datetime.now(UTC) + later)


def test_instance_registered_in_target_group_not_from_live_template_is_stray(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = fleet.ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=fleet.subnet_ids[0], MetadataOptions={"HttpTokens": "required"}
    )
    stray_id = stray["Instances"][0]["InstanceId"]
    fleet.elbv2.register_targets(TargetGroupArn=fleet.target_group_arn, Targets=[{"Id": stray_id}])

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.service, f.resource) for f in found] == [("stray-instance", "web", stray_id)]
    assert "in the target group; not launched from a launch template" in found[0].detail


def test_asg_the_state_does_not_track_is_an_orphan_reported_once_with_its_instances(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    # An older bridge reports a capacity timeout as a plain error and leaves the ASG in AWS only (pulumi-aws #5178).
    orphan = fleet.release("0badc0ffee00")

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.service, f.resource) for f in found] == [("orphan-asg", "web", orphan.asg_name)]
    instances = ", ".join(sorted(fleet.asg_instance_ids(orphan.asg_name)))
    assert found[0].detail.startswith(f"2 instance(s): {instances}, created ")
    assert "release 0badc0ffee00" in found[0].detail


@pytest.mark.parametrize(
    ("protocol", "ports", "expected"),
    [("tcp", (22, 22), "tcp 22"), ("tcp", (20, 30), "tcp 20-30"), ("-1", None, "all traffic")],
    ids=["port-22", "range-covering-22", "all-traffic"],
)
def test_security_group_letting_ssh_in_is_reported(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], protocol: str, ports: tuple[int, int] | None, expected: str
) -> None:
    permission: dict[str, object] = {"IpProtocol": protocol, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}
    if ports:
        permission |= {"FromPort": ports[0], "ToPort": ports[1]}
    fleet.ec2.authorize_security_group_ingress(GroupId=fleet.security_group_id, IpPermissions=[permission])

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.service) for f in found] == [("ssh-open", "web")]
    assert found[0].resource.startswith(fleet.security_group_id)
    assert found[0].detail == f"allows {expected} from 10.9.0.0/16"


def test_port_range_not_covering_22_is_not_ssh(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    fleet.ec2.authorize_security_group_ingress(
        GroupId=fleet.security_group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 23, "ToPort": 443, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}],
    )

    assert findings(fleet, capsys) == (0, [])


@pytest.mark.parametrize(
    ("port", "source", "ranges"),
    [(443, "0.0.0.0/0", "IpRanges"), (8080, "::/0", "Ipv6Ranges")],
    ids=["https-ipv4", "service-port-ipv6"],
)
def test_host_security_group_open_to_the_internet_on_any_port_is_reported(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], port: int, source: str, ranges: str
) -> None:
    key = "CidrIp" if ranges == "IpRanges" else "CidrIpv6"
    fleet.ec2.authorize_security_group_ingress(
        GroupId=fleet.security_group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, ranges: [{key: source}]}],
    )

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.service, f.detail) for f in found] == [
        ("open-to-internet", "web", f"allows tcp {port} from {source}")
    ]
    assert found[0].resource.startswith(fleet.security_group_id)


def test_ssh_open_to_the_internet_is_one_ssh_finding_naming_the_internet(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet.ec2.authorize_security_group_ingress(
        GroupId=fleet.security_group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.detail) for f in found] == [("ssh-open", "allows tcp 22 from 0.0.0.0/0")]


def test_launch_template_version_not_requiring_imdsv2_is_reported(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fleet.live is not None
    fleet.ec2.create_launch_template_version(
        LaunchTemplateId=fleet.live.launch_template_id,
        SourceVersion="1",
        LaunchTemplateData={"MetadataOptions": {"HttpTokens": "optional"}},
    )

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.service) for f in found] == [("imdsv1", "web")]
    assert found[0].resource.startswith(f"{fleet.live.launch_template_id}:2 ")


def test_launch_template_of_another_stack_is_not_audited(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    fleet.ec2.create_launch_template(
        LaunchTemplateName="someone-elses",
        LaunchTemplateData={"ImageId": AMI, "MetadataOptions": {"HttpTokens": "optional"}},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "fleet:stack", "Value": "staging"}]}],
    )

    assert findings(fleet, capsys) == (0, [])


def test_target_not_serving_is_reported(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    # moto reports a registered target as healthy unless its instance is stopped ("unused"); it cannot
    # represent a failing health check ("unhealthy") or "draining" of a registered target.
    assert fleet.live is not None
    stopped = fleet.asg_instance_ids(fleet.live.asg_name)[0]
    fleet.ec2.stop_instances(InstanceIds=[stopped])

    code, found = findings(fleet, capsys)

    assert code == 1
    assert found == [Finding("unhealthy-target", "web", stopped, "unused (Target.InvalidState)")]


def test_orphan_being_deleted_is_reported_but_not_deleted_again() -> None:
    # moto force-deletes synchronously; AWS keeps the group in "Delete in progress" for minutes.
    created = datetime(2026, 11, 1, tzinfo=UTC)
    release = LiveRelease("web", LIVE_RELEASE, "fleet-prod-web-live", "lt-0123", 1, "arn:tg")
    live = AutoScalingGroup(release.asg_name, created, (), {}, deleting=False, launch_template_id="lt-0123")
    leaving = AutoScalingGroup(
        "fleet-prod-web-old", created, (), {"fleet:release": "0badc0ffee00"}, deleting=True, launch_template_id=None
    )
    template = LaunchTemplateVersion("lt-0123", "fleet-prod-web", 1, "required", (), {}, None, None)
    facts = FleetFacts(
        STACK,
        (ServiceFacts(release, live, ()),),
        (leaving, live),
        {},
        (template,),
        {},
        tracked_asgs={},
        tracked_launch_template_ids=frozenset(),
        alarms={},
    )

    now = created + timedelta(days=2)

    found = audit(facts, now=now, max_age=timedelta(days=30), min_orphan_age=DEFAULT_MIN_ORPHAN_AGE)

    detail = "0 instance(s), created 2d ago, release 0badc0ffee00, deletion in progress"
    assert found == [Finding("orphan-asg", "-", leaving.name, detail)]
    assert orphans(facts, now=now, min_age=DEFAULT_MIN_ORPHAN_AGE) == Orphans(old=[], young=[], launch_templates=[])


def test_table_lists_one_aligned_row_per_finding(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    orphan = fleet.release("0badc0ffee00")
    fleet.ec2.authorize_security_group_ingress(
        GroupId=fleet.security_group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}],
    )

    assert run_audit(fleet) == 1

    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["KIND", "SERVICE", "RESOURCE", "DETAIL"]
    assert len(rows) == 2  # the orphan ASG and its open SSH rule
    assert {row.index("web") for row in rows} == {header.index("SERVICE")}
    assert any(row.startswith("orphan-asg") and orphan.asg_name in row for row in rows)


def test_cleanup_yes_deletes_exactly_the_orphans_and_their_launch_templates(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fleet.live is not None
    orphan = fleet.release("0badc0ffee00")
    other_stack = Fleet(
        fleet.session, fleet.export_file.with_name("staging.json"), stack="staging", subnet_ids=fleet.subnet_ids
    )
    other_stack.security_group_id, other_stack.target_group_arn = fleet.security_group_id, fleet.target_group_arn
    staging = other_stack.release("5ea51de00000")
    live_instances = fleet.asg_instance_ids(fleet.live.asg_name)

    # Staging's hosts share prod's target group here: they stay reported as strays.
    assert run_audit_later(fleet, OLD_ENOUGH, "--cleanup", "--yes") == 1

    assert fleet.asg_names() == {fleet.live.asg_name, staging.asg_name}
    assert fleet.launch_template_ids() == {fleet.live.launch_template_id, staging.launch_template_id}
    running = fleet.ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
    running_ids = {i["InstanceId"] for r in running["Reservations"] for i in r["Instances"]}
    assert set(live_instances) <= running_ids
    assert not set(fleet.asg_instance_ids(orphan.asg_name)) & running_ids
    err = capsys.readouterr().err
    assert f"deleted {orphan.asg_name}\ndeleted {orphan.launch_template_id}" in err


def test_orphan_younger_than_the_default_minimum_age_is_reported_as_a_cutover_and_survives_cleanup(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fleet.live is not None
    cutover = fleet.release("0badc0ffee00")

    code = run_audit_later(fleet, DEFAULT_MIN_ORPHAN_AGE - timedelta(minutes=1), "--json", "--cleanup", "--yes")

    assert code == 1
    out, err = capsys.readouterr()
    [orphan] = [Finding(**item) for item in json.loads(out) if item["kind"] == "orphan-asg"]
    assert orphan.resource == cutover.asg_name
    assert orphan.detail.endswith("release 0badc0ffee00; young: may be a cut-over in progress, not cleaned up")
    assert fleet.asg_names() == {fleet.live.asg_name, cutover.asg_name}
    assert "keeping orphan ASGs of stack prod created less than 90 minutes ago" in err
    assert f"  {cutover.asg_name}\n--cleanup: stack prod has no orphan ASGs older than 90 minutes" in err


def test_min_orphan_age_minutes_sets_the_age_from_which_cleanup_deletes(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fleet.live is not None
    orphan = fleet.release("0badc0ffee00")

    run_audit_later(fleet, timedelta(minutes=20), "--min-orphan-age-minutes", "10", "--cleanup", "--yes")

    assert fleet.asg_names() == {fleet.live.asg_name}
    assert f"deleted {orphan.asg_name}" in capsys.readouterr().err


def test_running_instance_detached_from_its_asg_is_stray(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    assert fleet.live is not None
    detached = fleet.asg_instance_ids(fleet.live.asg_name)[0]
    fleet.autoscaling.detach_instances(
        AutoScalingGroupName=fleet.live.asg_name, InstanceIds=[detached], ShouldDecrementDesiredCapacity=True
    )
    # AWS deregisters a detached instance from the ASG's target groups; moto leaves it registered.
    fleet.elbv2.deregister_targets(TargetGroupArn=fleet.target_group_arn, Targets=[{"Id": detached}])

    code, found = findings(fleet, capsys)

    assert code == 1
    assert found == [Finding("stray-instance", "web", detached, "detached: in no autoscaling group or target group")]


def test_cleanup_without_yes_and_without_terminal_refuses(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    orphan = fleet.release("0badc0ffee00")

    assert run_audit(fleet, "--cleanup") == 2

    assert "pass --yes" in capsys.readouterr().err
    assert orphan.asg_name in fleet.asg_names()


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("\n", False), ("no\n", False)])
def test_cleanup_at_a_terminal_deletes_only_when_the_prompt_is_answered_yes(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, answer: str, deleted: bool
) -> None:
    orphan = fleet.release("0badc0ffee00")
    monkeypatch.setattr("sys.stdin", Terminal(answer))

    run_audit_later(fleet, OLD_ENOUGH, "--cleanup")

    assert (orphan.asg_name not in fleet.asg_names()) is deleted
    listing = f"  {orphan.asg_name}\nand their launch templates:\n  {orphan.launch_template_id}\n"
    assert f"{listing}delete these 1 ASG(s)? [y/N] " in capsys.readouterr().err
    assert (orphan.launch_template_id not in fleet.launch_template_ids()) is deleted


def test_cleanup_of_stack_without_orphans_says_so(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_audit(fleet, "--cleanup", "--yes") == 0

    assert "has no orphan ASGs older than 90 minutes, nothing to delete" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "allowed"),
    [("--max-age-days", "days from 1 to 3650"), ("--min-orphan-age-minutes", "minutes from 1 to 525600")],
)
@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_age_options_must_be_positive_integers(
    capsys: pytest.CaptureFixture[str], option: str, allowed: str, value: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--stack", STACK, option, value])

    assert exit_info.value.code == 2
    assert f"{option}: must be a whole number of {allowed}, got {value!r}" in capsys.readouterr().err


def test_yes_without_cleanup_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--stack", STACK, "--yes"]) == 2
    assert "--yes only confirms --cleanup" in capsys.readouterr().err


def audit_json_process(fleet: Fleet) -> subprocess.CompletedProcess[str]:
    """`python -m fleetctl audit --json` in its own process, on the fleet's export."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "fleetctl",
            "audit",
            "--stack",
            STACK,
            "--from-export",
            str(fleet.export_file),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_python_m_fleetctl_audit_prints_json_and_exits_1_on_findings(fleet: Fleet) -> None:
    orphan = fleet.release("0badc0ffee00")

    result = audit_json_process(fleet)

    assert result.returncode == 1, result.stderr
    assert {(item["kind"], item["resource"]) for item in json.loads(result.stdout) if item["kind"] == "orphan-asg"} == {
        ("orphan-asg", orphan.asg_name)
    }


# What the bridge records for an ASG whose capacity wait timed out (terraform-provider-aws waitGroupCapacitySatisfied).
CAPACITY_TIMEOUT = (
    "waiting for Auto Scaling Group (fleet-prod-web-0badc0ffee00) capacity satisfied: timeout while waiting for "
    "state to become 'ok' (last state: 'want at least 2 healthy instance(s) registered to Load Balancer, have 0')"
)


def test_cleanup_never_deletes_the_asgs_a_failed_cutover_left_in_the_state(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    # The engine keeps the timed-out ASG with init errors and marks the serving one `delete` (step.go CreateStep).
    assert fleet.live is not None
    failed = fleet.release("0badc0ffee00")
    fleet.tracked.clear()
    fleet.track(fleet.live, pending_delete=True)
    fleet.track(failed, init_errors=[CAPACITY_TIMEOUT])

    code = run_audit_later(fleet, OLD_ENOUGH, "--json", "--cleanup", "--yes")

    assert code == 1
    out, err = capsys.readouterr()
    found = {item["kind"]: Finding(**item) for item in json.loads(out)}
    assert sorted(found) == ["pending-delete-asg", "unhealthy-release"]
    assert found["pending-delete-asg"].resource == fleet.live.asg_name
    assert "the next successful update deletes it; it is the live release" in found["pending-delete-asg"].detail
    assert found["unhealthy-release"].resource == failed.asg_name
    assert f"initialization errors: {CAPACITY_TIMEOUT[:80]}" in found["unhealthy-release"].detail
    assert fleet.asg_names() == {fleet.live.asg_name, failed.asg_name}
    assert fleet.launch_template_ids() == {fleet.live.launch_template_id, failed.launch_template_id}
    assert "has no orphan ASGs older than 90 minutes, nothing to delete" in err


def test_hosts_of_a_tracked_release_are_reported_under_its_asg_not_as_strays(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = fleet.release("0badc0ffee00")
    fleet.track(failed, init_errors=[CAPACITY_TIMEOUT])

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.resource) for f in found] == [("unhealthy-release", failed.asg_name)]
    instances = ", ".join(sorted(fleet.asg_instance_ids(failed.asg_name)))
    assert found[0].detail.startswith(f"2 instance(s): {instances}; in the stack's state but never initialized")


def test_cleanup_keeps_an_orphans_launch_template_that_the_state_tracks(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    # pulumi-aws #5178: the state lost the timed-out ASG but kept its new launch template, which a retry reuses.
    assert fleet.live is not None
    failed = fleet.release("0badc0ffee00")
    fleet.track(failed, group=False)

    run_audit_later(fleet, OLD_ENOUGH, "--cleanup", "--yes")

    assert fleet.asg_names() == {fleet.live.asg_name}
    assert fleet.launch_template_ids() == {fleet.live.launch_template_id, failed.launch_template_id}
    err = capsys.readouterr().err
    assert f"deleted {failed.asg_name}" in err
    assert "launch templates" not in err


def test_live_host_switched_to_imdsv1_is_reported(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    assert fleet.live is not None
    host = fleet.asg_instance_ids(fleet.live.asg_name)[0]
    fleet.ec2.modify_instance_metadata_options(InstanceId=host, HttpTokens="optional")

    code, found = findings(fleet, capsys)

    assert code == 1
    assert found == [Finding("imdsv1", "web", host, "the host's HttpTokens is optional, not required")]


def test_host_whose_type_or_security_groups_changed_after_launch_is_mutated(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    # AWS changes a type only while the host is stopped; moto does not insist, and a stopped host fails its target.
    assert fleet.live is not None
    resized, regrouped = sorted(fleet.asg_instance_ids(fleet.live.asg_name))
    extra = fleet.ec2.create_security_group(GroupName="debug", Description="added by hand")["GroupId"]
    fleet.ec2.modify_instance_attribute(InstanceId=resized, InstanceType={"Value": "t3.2xlarge"})
    fleet.ec2.modify_instance_attribute(InstanceId=regrouped, Groups=[fleet.security_group_id, extra])

    code, found = findings(fleet, capsys)

    assert code == 1
    template = f"{fleet.live.launch_template_id}:1"
    groups = ",".join(sorted([fleet.security_group_id, extra]))
    assert found == [
        Finding(
            "mutated-instance", "web", resized, f"differs from {template}: instance type t3.2xlarge, template t3.small"
        ),
        Finding(
            "mutated-instance",
            "web",
            regrouped,
            f"differs from {template}: security groups {groups}, template {fleet.security_group_id}",
        ),
    ]


def test_host_launched_from_the_live_template_with_another_image_is_mutated(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fleet.live is not None
    other_image = "ami-0fff0000eeee11112"
    [host] = fleet.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": fleet.live.launch_template_id, "Version": "1"},
        ImageId=other_image,
        InstanceType="t3.small",
        MinCount=1,
        MaxCount=1,
        SubnetId=fleet.subnet_ids[0],
        SecurityGroupIds=[fleet.security_group_id],
        MetadataOptions={"HttpTokens": "required"},
    )["Instances"]
    fleet.autoscaling.attach_instances(AutoScalingGroupName=fleet.live.asg_name, InstanceIds=[host["InstanceId"]])

    code, found = findings(fleet, capsys)

    assert code == 1
    detail = f"differs from {fleet.live.launch_template_id}:1: image {other_image}, template {AMI}"
    assert found == [Finding("mutated-instance", "web", host["InstanceId"], detail)]


def test_alarm_of_the_live_release_in_alarm_state_is_reported(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    put_alarm(fleet.session.client("cloudwatch"), "fleet-prod-web-unhealthy-hosts", "ALARM")
    put_alarm(fleet.session.client("cloudwatch"), "fleet-prod-web-5xx", "OK")
    put_alarm(fleet.session.client("cloudwatch"), "fleet-prod-web-p99", "INSUFFICIENT_DATA")
    fleet.alarm_names = ["fleet-prod-web-unhealthy-hosts", "fleet-prod-web-5xx", "fleet-prod-web-p99"]
    fleet.write_export()

    code, found = findings(fleet, capsys)

    assert code == 1
    assert found == [Finding("alarm", "web", "fleet-prod-web-unhealthy-hosts", "set to ALARM by the test")]


def test_alarm_in_alarm_state_that_the_stack_does_not_list_is_not_the_audits(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    put_alarm(fleet.session.client("cloudwatch"), "someone-elses-alarm", "ALARM")
    fleet.alarm_names = []
    fleet.write_export()

    assert findings(fleet, capsys) == (0, [])


def test_without_pulumi_cli_or_export_file_the_audit_says_how_to_pass_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    assert main(["audit", "--stack", STACK]) == 2
    assert "the Pulumi CLI is not on PATH: install it, or pass --from-export FILE" in capsys.readouterr().err


@pytest.fixture
def tokyo_local_time() -> Iterator[None]:
    """The process's local time zone is Asia/Tokyo (UTC+9) for the test, as a user's TZ would set it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "Asia/Tokyo")
        time.tzset()
        yield
    time.tzset()


def test_orphan_age_does_not_depend_on_the_local_time_zone(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], tokyo_local_time: None
) -> None:
    orphan = fleet.release("0badc0ffee00")
    assert time.strftime("%z") == "+0900"

    _, [finding] = findings(fleet, capsys)

    assert finding.resource == orphan.asg_name
    assert re.search(r", created 0h0\dm ago, release 0badc0ffee00; young", finding.detail), finding.detail


CANARY_RELEASE = "c4a2a7f00d15"


def test_a_canary_beside_the_live_release_is_neither_orphan_nor_stray(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet.add_canary(CANARY_RELEASE)

    code, found = findings(fleet, capsys)

    assert (code, found) == (0, [])


def test_host_in_the_canary_target_group_not_from_the_canary_template_is_stray(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = fleet.add_canary(CANARY_RELEASE)
    stray = fleet.ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=fleet.subnet_ids[0], MetadataOptions={"HttpTokens": "required"}
    )["Instances"][0]["InstanceId"]
    fleet.elbv2.register_targets(TargetGroupArn=fleet.canary_target_group_arn, Targets=[{"Id": stray}])

    code, found = findings(fleet, capsys)

    assert code == 1
    assert [(f.kind, f.service, f.resource) for f in found] == [("stray-instance", "web", stray)]
    assert found[0].detail.endswith(f"canary release {CANARY_RELEASE} is {canary.launch_template_id}:1")


def test_a_canary_whose_asg_is_gone_is_reported_missing(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    canary = fleet.add_canary(CANARY_RELEASE)
    fleet.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=canary.asg_name, ForceDelete=True)

    code, found = findings(fleet, capsys)

    assert code == 1
    assert Finding("missing-asg", "web", canary.asg_name, "the canary release's ASG does not exist") in found


def test_a_canary_target_not_serving_is_reported(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    canary = fleet.add_canary(CANARY_RELEASE)
    [host] = fleet.asg_instance_ids(canary.asg_name)
    fleet.ec2.stop_instances(InstanceIds=[host])

    code, found = findings(fleet, capsys)

    assert code == 1
    assert found == [Finding("unhealthy-target", "web", host, "unused (Target.InvalidState)")]


def test_canary_outputs_without_launch_template_version_name_the_key(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet.add_canary(CANARY_RELEASE)
    outputs = fleet.outputs()
    del outputs["services"]["web"]["canary"]["launchTemplateVersion"]
    fleet.write_export(outputs)

    assert run_audit(fleet) == 2
    assert "services.web.canary.launchTemplateVersion must be a positive integer" in capsys.readouterr().err
