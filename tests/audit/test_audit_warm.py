"""`fleetctl audit` on a service with a warm release and a traffic rule, in a real moto_server: the warm release
is audited like the live one and is never an orphan; past its window it is a finding with its cost; a traffic rule
that disagrees with the outputs is a finding."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fleetctl.cli import build_parser
from fleetctl.commands import audit as audit_command
from tests.audit.audit_run import findings
from tests.audit.moto_fleet import Fleet

WARM_RELEASE = "9a8b7c6d5e4f"


@pytest.fixture
def warm_fleet(fleet: Fleet) -> Fleet:
    """prod's web with its previous release warm in slot b since now (a 60-minute window) and its traffic rule."""
    fleet.add_warm(WARM_RELEASE, warm_since=datetime.now(UTC))
    fleet.add_traffic_rule()
    return fleet


def audit_at(fleet: Fleet, capsys: pytest.CaptureFixture[str], now: datetime) -> list[tuple[str, str, str, str]]:
    """The audit's findings at `now`, as (kind, service, resource, detail)."""
    args = build_parser().parse_args(["audit", "--stack", "prod", "--from-export", str(fleet.export_file), "--json"])
    audit_command.run(args, now=now)
    return [(f["kind"], f["service"], f["resource"], f["detail"]) for f in json.loads(capsys.readouterr().out)]


def test_a_warm_release_in_its_window_with_traffic_on_the_live_slot_has_no_findings(warm_fleet, capsys):
    code, found = findings(warm_fleet, capsys)

    assert (code, found) == (0, [])


def test_a_warm_group_the_outputs_record_is_no_orphan_even_when_the_state_lost_it(warm_fleet, capsys):
    warm_fleet.tracked = [tracked for tracked in warm_fleet.tracked if tracked.role != "b-release"]
    warm_fleet.write_export()

    code, found = findings(warm_fleet, capsys, "--cleanup", "--yes")

    assert (code, found) == (0, [])
    assert warm_fleet.warm is not None
    assert warm_fleet.warm.asg_name in warm_fleet.asg_names()


def test_a_warm_release_past_its_window_is_a_finding_with_its_instance_hours_and_what_retires_it(warm_fleet, capsys):
    assert warm_fleet.warm is not None
    found = audit_at(warm_fleet, capsys, datetime.now(UTC) + timedelta(hours=4))

    (overdue,) = [finding for finding in found if finding[0] == "overdue-warm-release"]
    assert overdue[1:3] == ("web", warm_fleet.warm.asg_name)
    assert f"warm release {WARM_RELEASE}: OVERDUE: its window closed at " in overdue[3]
    assert "3 h 00 min ago; 6.0 instance-hours past its window (2 host(s) x 3.0 h)" in overdue[3]
    assert overdue[3].endswith(
        "the stack's next `pulumi up` retires it (the next deploy, or the scheduled retire workflow)"
    )


def test_a_warm_release_short_of_healthy_hosts_is_an_unhealthy_target_finding(warm_fleet, capsys):
    assert warm_fleet.warm is not None
    (instance, *_) = warm_fleet.asg_instance_ids(warm_fleet.warm.asg_name)
    warm_fleet.ec2.stop_instances(InstanceIds=[instance])

    _, found = findings(warm_fleet, capsys)

    assert ("unhealthy-target", "web", instance) in [(f.kind, f.service, f.resource) for f in found]


def test_traffic_switched_to_the_warm_slot_outside_pulumi_is_a_traffic_rule_finding(warm_fleet, capsys):
    warm_fleet.switch_traffic({warm_fleet.warm_target_group_arn: 100})

    code, found = findings(warm_fleet, capsys)

    assert code == 1
    assert [(f.kind, f.service, f.resource) for f in found] == [("traffic-rule", "web", warm_fleet.traffic_rule_arn)]
    assert found[0].detail == (
        f"forwards 100% to warm release {WARM_RELEASE}; the outputs say 100% to live release 3f2a9c1b7d4e: switched "
        "outside Pulumi (`fleetctl status prod --service web` says by what, and what to pin)"
    )


def test_a_canary_share_that_differs_from_its_weight_is_a_traffic_rule_finding(warm_fleet, capsys):
    warm_fleet.add_canary("4c1d2e3f5a6b")
    warm_fleet.switch_traffic({warm_fleet.target_group_arn: 50, warm_fleet.canary_target_group_arn: 50})

    _, found = findings(warm_fleet, capsys)

    assert [(f.kind, f.detail.split(";")[0]) for f in found] == [
        ("traffic-rule", "forwards 50% to live release 3f2a9c1b7d4e, 50% to canary release 4c1d2e3f5a6b")
    ]


def test_a_traffic_rule_that_no_longer_exists_is_a_finding(warm_fleet, capsys):
    warm_fleet.elbv2.delete_rule(RuleArn=warm_fleet.traffic_rule_arn)

    _, found = findings(warm_fleet, capsys)

    assert [(f.kind, f.resource) for f in found] == [("missing-traffic-rule", warm_fleet.traffic_rule_arn)]


def test_a_slot_target_group_with_no_role_is_not_a_finding(warm_fleet, capsys):
    # Every service declares all three slots' target groups; slot c holds no release here.
    warm_fleet.target_group("web-tgc", warm_fleet.tags())

    code, found = findings(warm_fleet, capsys)

    assert (code, found) == (0, [])
