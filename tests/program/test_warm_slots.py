"""What the program declares for the warm window (fleet/slots.py, components/slots.py): a release turns the former
live release warm in its slot, a rollback within the window switches back without a new template or group, the
window's end retires it, and a release its alarms rolled back is refused before any resource."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from components.release import TEMPLATE_INPUTS
from fleet.config_types import ConfigError
from fleet.names import rollback_marker_path
from fleet.resource_types import (
    AUTOSCALING_GROUP,
    GET_GROUP,
    LAUNCH_TEMPLATE,
    LISTENER_RULE,
    METRIC_ALARM,
    TARGET_GROUP,
)
from fleetctl.simulation import FleetMocks, mock_arn, qualified
from tests.checkout import stack_file

T0 = datetime(2026, 12, 2, 1, 0, 0, tzinfo=UTC)
LIVE_A, LIVE_B = "web-release-group", "web-release-b-group"


def version(number: str, window: int | None = None) -> dict:
    config = copy.deepcopy(stack_file("staging"))
    config["fleet:services"]["web"]["image"]["version"] = number
    if window is not None:
        config["fleet:services"]["web"]["warmRollbackMinutes"] = window
    return config


def forward_of(run, rule: str) -> dict:
    (action,) = run.one(LISTENER_RULE, rule).inputs["actions"]
    return action


def tag(resource, key: str) -> str | None:
    return next((t["value"] for t in resource.inputs["tags"] if t["key"] == key), None)


@pytest.fixture
def first(program):
    return program("staging", version("1.0.0"), now=T0)


@pytest.fixture
def released(update, first):
    """1.0.1 released ten minutes after 1.0.0: live in slot b, 1.0.0 warm in slot a."""
    return update("staging", version("1.0.1"), first, now=T0 + timedelta(minutes=10))


def test_a_release_boots_in_a_free_slot_and_turns_the_former_live_group_warm_in_place(first, released):
    warm, live = released.one(AUTOSCALING_GROUP, LIVE_A), released.one(AUTOSCALING_GROUP, LIVE_B)

    assert (
        released.one(AUTOSCALING_GROUP, LIVE_A).replacement_trigger
        == first.one(AUTOSCALING_GROUP, LIVE_A).replacement_trigger
    )
    sizes = ("minSize", "desiredCapacity", "maxSize", "waitForElbCapacity")
    assert [warm.inputs[size] for size in sizes] == [0, 2, 6, 2]
    assert warm.inputs["suspendedProcesses"] == ["AlarmNotification"]
    assert (tag(warm, "fleet:track"), tag(live, "fleet:track")) == ("warm", "live")
    assert "suspendedProcesses" not in live.inputs


def test_the_warm_group_waits_for_the_new_live_group_while_it_still_serves(released):
    warm = released.one(AUTOSCALING_GROUP, LIVE_A)

    assert LIVE_B in [dependency._name for dependency in warm.options.depends_on]


def test_the_warm_release_keeps_its_launch_template_as_the_state_has_it(first, released):
    template = released.one(LAUNCH_TEMPLATE, "web-release-launch-template")

    assert set(template.registration.ignore_changes) == set(TEMPLATE_INPUTS)
    assert template.replacement_trigger == first.one(LAUNCH_TEMPLATE, "web-release-launch-template").replacement_trigger
    assert template.inputs == first.one(LAUNCH_TEMPLATE, "web-release-launch-template").inputs


def test_traffic_track_and_alarms_follow_the_live_slot(released):
    assert forward_of(released, "web-traffic-rule") == {
        "type": "forward",
        "targetGroupArn": mock_arn(TARGET_GROUP, "web-tgb"),
    }
    weights = {t["arn"]: t["weight"] for t in forward_of(released, "web-track-rule")["forward"]["targetGroups"]}
    assert weights == {mock_arn(TARGET_GROUP, name): w for name, w in (("web-tg", 0), ("web-tgb", 1), ("web-tgc", 0))}
    alarm = released.one(METRIC_ALARM, "web-alarms-unhealthy-hosts")
    assert alarm.inputs["dimensions"]["TargetGroup"] == "targetgroup/web-tgb/73e2d6bc24d8a067"
    assert released.one(LISTENER_RULE, "web-traffic-rule").options.depends_on[0]._name == LIVE_B


def test_the_outputs_record_the_live_and_warm_slots_and_when_the_warm_one_retires(first, released):
    web = released.outputs["services"]["web"]

    assert (web["release"]["slot"], web["release"]["since"]) == ("b", "2026-12-02T01:10:00Z")
    assert web["targetGroupArn"] == web["release"]["targetGroupArn"] == mock_arn(TARGET_GROUP, "web-tgb")
    warm = web["warm"]
    assert (warm["slot"], warm["releaseId"], warm["desired"]) == (
        "a",
        first.outputs["services"]["web"]["release"]["releaseId"],
        2,
    )
    assert (warm["warmSince"], warm["retiresAt"]) == ("2026-12-02T01:10:00Z", "2026-12-02T02:10:00Z")
    assert warm["since"] == "2026-12-02T01:00:00Z"
    assert web["trafficRuleArn"] == mock_arn(LISTENER_RULE, "web-traffic-rule")
    assert web["trackRuleArn"] == mock_arn(LISTENER_RULE, "web-track-rule")
    assert web["warmRollbackMinutes"] == 60


def test_a_rollback_within_the_window_switches_back_without_a_new_template_or_group(update, first, released):
    switched = update("staging", version("1.0.0"), released, now=T0 + timedelta(minutes=20))

    for type_, name in ((LAUNCH_TEMPLATE, "web-release-launch-template"), (AUTOSCALING_GROUP, LIVE_A)):
        assert switched.one(type_, name).replacement_trigger == first.one(type_, name).replacement_trigger
    assert (
        switched.one(LAUNCH_TEMPLATE, "web-release-launch-template").inputs
        == first.one(LAUNCH_TEMPLATE, "web-release-launch-template").inputs
    )
    live = switched.one(AUTOSCALING_GROUP, LIVE_A).inputs
    assert (live["minSize"], live["desiredCapacity"], live["waitForElbCapacity"]) == (2, 2, 2)
    assert "suspendedProcesses" not in live
    assert forward_of(switched, "web-traffic-rule")["targetGroupArn"] == mock_arn(TARGET_GROUP, "web-tg")
    web = switched.outputs["services"]["web"]
    assert (web["release"]["slot"], web["warm"]["slot"], web["warm"]["version"]) == ("a", "b", "1.0.1")


def test_a_warm_group_waits_for_no_capacity_and_the_live_one_for_its_cutover_timeout(released):
    warm, live = released.one(AUTOSCALING_GROUP, LIVE_A), released.one(AUTOSCALING_GROUP, LIVE_B)

    assert (warm.inputs["waitForCapacityTimeout"], live.inputs["waitForCapacityTimeout"]) == ("0", "10m")


def test_a_switch_sets_the_cutover_timeout_back_on_the_group_it_makes_live(update, released):
    switched = update("staging", version("1.0.0"), released, now=T0 + timedelta(minutes=20))

    timeouts = [switched.one(AUTOSCALING_GROUP, name).inputs["waitForCapacityTimeout"] for name in (LIVE_A, LIVE_B)]
    assert timeouts == ["10m", "0"]


def test_a_switch_reads_the_sizes_of_the_warm_group_it_makes_live(update, released):
    switched = update("staging", version("1.0.0"), released, now=T0 + timedelta(minutes=20))
    warm_group = released.outputs["services"]["web"]["warm"]["asgName"]

    assert (GET_GROUP, {"name": warm_group}) in switched.invokes


def test_a_routine_deploy_reads_no_warm_group(update, released):
    routine = update("staging", version("1.0.1"), released, now=T0 + timedelta(minutes=20))
    warm_group = released.outputs["services"]["web"]["warm"]["asgName"]

    assert (GET_GROUP, {"name": warm_group}) not in routine.invokes


def test_a_switch_whose_warm_group_min_an_earlier_attempt_raised_boots_it_afresh(update, first, released):
    warm_group = released.outputs["services"]["web"]["warm"]["asgName"]

    retried = update("staging", version("1.0.0"), released, now=T0 + timedelta(minutes=20), live_min={warm_group: 2})

    trigger = retried.one(AUTOSCALING_GROUP, LIVE_A).replacement_trigger
    assert trigger != first.one(AUTOSCALING_GROUP, LIVE_A).replacement_trigger
    assert trigger.startswith(released.outputs["services"]["web"]["warm"]["releaseId"] + "-")


def test_a_switch_after_an_automatic_rollback_keeps_the_warm_group(update, first, released):
    web = released.outputs["services"]["web"]
    marker = {"at": "2026-12-02T01:15:00Z", "alarms": ["web-5xx-rate"], "servedBy": web["warm"]["releaseId"]}
    mocks = FleetMocks(
        rollback_markers={rollback_marker_path("staging", "web", web["release"]["releaseId"]): json.dumps(marker)}
    )

    pinned = update(
        "staging",
        version("1.0.0"),
        released,
        now=T0 + timedelta(minutes=20),
        live_min={web["warm"]["asgName"]: 2},
        mocks=mocks,
    )

    assert (
        pinned.one(AUTOSCALING_GROUP, LIVE_A).replacement_trigger
        == first.one(AUTOSCALING_GROUP, LIVE_A).replacement_trigger
    )


def test_a_switch_keeps_the_image_build_no_tag_is_pushed_again(update, released):
    switched = update("staging", version("1.0.0"), released, now=T0 + timedelta(minutes=20))

    image = switched.one("docker:index/image:Image", "web-image-image")
    assert set(image.registration.ignore_changes) == {"imageName", "build"}


def test_the_first_update_after_the_window_retires_the_warm_release(update, released):
    later = update("staging", version("1.0.1"), released, now=T0 + timedelta(minutes=71))

    assert [group.name for group in later.of_type(AUTOSCALING_GROUP)] == [LIVE_B]
    assert "warm" not in later.outputs["services"]["web"]


def test_a_rollback_after_the_window_is_a_full_release_into_a_free_slot(update, released):
    late = update("staging", version("1.0.0"), released, now=T0 + timedelta(minutes=71))

    assert {group.name for group in late.of_type(AUTOSCALING_GROUP)} == {LIVE_B, "web-release-c-group"}
    web = late.outputs["services"]["web"]
    assert (web["release"]["slot"], web["warm"]["slot"]) == ("c", "b")


def test_a_rollback_after_the_window_boots_the_image_its_history_records_and_builds_nothing(update, first, released):
    late = update("staging", version("1.0.0"), released, now=T0 + timedelta(minutes=71))

    ref = first.outputs["services"]["web"]["release"]["imageRef"]
    assert late.outputs["services"]["web"]["release"]["imageRef"] == ref
    image = late.one("docker:index/image:Image", "web-image-image")
    assert set(image.registration.ignore_changes) == {"imageName", "build"}


def test_with_the_window_off_a_release_declares_no_warm_release(update, program):
    first = program("staging", version("1.0.0", window=0), now=T0)

    after = update("staging", version("1.0.1", window=0), first, now=T0 + timedelta(minutes=1))

    assert [group.name for group in after.of_type(AUTOSCALING_GROUP)] == [LIVE_B]
    assert "warm" not in after.outputs["services"]["web"]


def test_a_release_its_alarms_rolled_back_is_refused_in_one_line_before_any_resource(program, first, released):
    bad = released.outputs["services"]["web"]["release"]["releaseId"]
    marker = {"at": "2026-12-02T01:14:00Z", "alarms": ["fleet-staging-web-target-5xx-rate"], "servedBy": "x"}
    mocks = FleetMocks(rollback_markers={rollback_marker_path("staging", "web", bad): json.dumps(marker)})

    with pytest.raises(ConfigError) as refused:
        program(
            "staging",
            version("1.0.1"),
            stack_outputs={qualified("staging"): released.outputs},
            mocks=mocks,
            now=T0 + timedelta(minutes=20),
        )

    (line,) = refused.value.problems
    assert line.startswith(f"fleet:services.web.image.version: release {bad} (version 1.0.1) was rolled back by")
    assert "fleetctl rollback staging --service web" in line
    assert [key for key in mocks.inputs if key[0] != "pulumi:pulumi:Stack"] == []


def test_pinning_the_warm_release_after_its_alarms_rolled_the_live_one_back_is_a_switch(program, released):
    bad = released.outputs["services"]["web"]["release"]["releaseId"]
    mocks = FleetMocks(rollback_markers={rollback_marker_path("staging", "web", bad): "{}"})

    run = program(
        "staging",
        version("1.0.0"),
        stack_outputs={qualified("staging"): released.outputs},
        mocks=mocks,
        now=T0 + timedelta(minutes=20),
    )

    assert run.outputs["services"]["web"]["release"]["slot"] == "a"


def test_markers_are_read_under_the_stacks_own_path(released):
    (path,) = [args["path"] for token, args in released.invokes if token.endswith("getParametersByPath")]

    assert path == "/fleet-rollbacks/staging/"
