"""Alarms per service: unhealthy hosts, target 5xx rate and p99 response time, on long-lived dimensions."""

from __future__ import annotations

import pytest

from fleet.config import fleet_keys, parse_config
from fleet.config_types import AlarmThresholds, ConfigError
from fleet.release import identify
from fleet.resource_types import METRIC_ALARM
from fleetctl.simulation import ACCOUNT, REGION, FleetMocks

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:fleet-oncall"
TARGET_GROUP = "targetgroup/web-tg/73e2d6bc24d8a067"
LOAD_BALANCER = "app/fleet-alb/50dc6c495c0c9188"
NAMES = [
    "fleet-staging-web-unhealthy-hosts",
    "fleet-staging-web-target-5xx-rate",
    "fleet-staging-web-p99-response-time",
]


def alarms(run) -> dict[str, dict]:
    return {alarm.inputs["name"]: alarm.inputs for alarm in run.of_type(METRIC_ALARM)}


def test_each_service_has_three_alarms_whose_names_the_outputs_list(program, staging_config):
    run = program("staging", staging_config)

    assert sorted(alarms(run)) == sorted(NAMES)
    assert run.outputs["services"]["web"]["alarms"] == NAMES
    assert {alarm.parent for alarm in run.of_type(METRIC_ALARM)} == {"web-alarms"}


def test_unhealthy_hosts_alarm_fires_on_any_unhealthy_target_for_three_minutes_by_default(program, staging_config):
    alarm = alarms(program("staging", staging_config))["fleet-staging-web-unhealthy-hosts"]

    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == (
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        "Maximum",
    )
    assert alarm["dimensions"] == {"TargetGroup": TARGET_GROUP, "LoadBalancer": LOAD_BALANCER}
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    assert (alarm["period"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (60, 3, 3)


def test_5xx_rate_alarm_is_target_5xx_over_requests_above_5_percent_for_5_minutes_by_default(program, staging_config):
    alarm = alarms(program("staging", staging_config))["fleet-staging-web-target-5xx-rate"]

    queries = {query["id"]: query for query in alarm["metricQueries"]}
    assert queries["rate"]["expression"] == "100 * FILL(errors, 0) / requests"
    assert queries["rate"]["returnData"] is True
    for query_id, metric in (("errors", "HTTPCode_Target_5XX_Count"), ("requests", "RequestCount")):
        assert queries[query_id]["metric"] == {
            "namespace": "AWS/ApplicationELB",
            "metricName": metric,
            "dimensions": {"TargetGroup": TARGET_GROUP, "LoadBalancer": LOAD_BALANCER},
            "stat": "Sum",
            "period": 60,
        }
        assert queries[query_id]["returnData"] is False
    assert (alarm["threshold"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (5, 5, 5)
    assert alarm["treatMissingData"] == "notBreaching"


def test_p99_alarm_watches_target_response_time_above_2_seconds_for_5_minutes_by_default(program, staging_config):
    alarm = alarms(program("staging", staging_config))["fleet-staging-web-p99-response-time"]

    assert (alarm["metricName"], alarm["extendedStatistic"]) == ("TargetResponseTime", "p99")
    assert "statistic" not in alarm
    assert alarm["dimensions"] == {"TargetGroup": TARGET_GROUP, "LoadBalancer": LOAD_BALANCER}
    assert (alarm["threshold"], alarm["evaluationPeriods"]) == (2.0, 5)
    assert alarm["evaluateLowSampleCountPercentiles"] == "ignore"


def test_configured_thresholds_reach_the_alarms(program, staging_config, with_service):
    config = with_service(
        staging_config,
        alarms={
            "unhealthyHostMinutes": 1,
            "errorRatePercent": 2,
            "errorRateMinutes": 10,
            "p99LatencyMs": 750,
            "p99LatencyMinutes": 3,
        },
    )

    found = alarms(program("staging", config))

    assert found["fleet-staging-web-unhealthy-hosts"]["evaluationPeriods"] == 1
    assert (
        found["fleet-staging-web-target-5xx-rate"]["threshold"],
        found["fleet-staging-web-target-5xx-rate"]["evaluationPeriods"],
    ) == (2, 10)
    assert (
        found["fleet-staging-web-p99-response-time"]["threshold"],
        found["fleet-staging-web-p99-response-time"]["evaluationPeriods"],
    ) == (0.75, 3)


def test_without_a_topic_the_alarms_notify_no_one(program, staging_config):
    for alarm in alarms(program("staging", staging_config)).values():
        assert alarm["alarmActions"] == []
        assert alarm["okActions"] == []


def test_a_topic_receives_every_alarm_and_its_recovery(program, staging_config):
    run = program("staging", {**staging_config, "fleet:alarms": {"topicArn": TOPIC}})

    for alarm in alarms(run).values():
        assert alarm["alarmActions"] == [TOPIC]
        assert alarm["okActions"] == [TOPIC]


def test_a_new_release_leaves_the_alarms_as_they_are(program, staging_config, with_service):
    before = program("staging", staging_config)
    after = program("staging", with_service(staging_config, image={"version": "1.1.0"}, instanceType="t3.medium"))

    assert alarms(after) == alarms(before)
    for alarm in after.of_type(METRIC_ALARM):
        assert alarm.replacement_trigger is None
        assert alarm.replace_with == []
        assert not alarm.options.replace_on_changes


def test_changing_a_threshold_is_not_a_release(staging_config):
    raw = fleet_keys(staging_config)
    (web,) = parse_config(raw, "staging").services
    raw["services"]["web"]["alarms"] = {"errorRatePercent": 20}
    (changed,) = parse_config(raw, "staging").services

    assert changed.alarms == AlarmThresholds(error_rate_percent=20)
    context = {"Dockerfile": b"FROM scratch\n"}
    assert identify(changed, "boot", context) == identify(web, "boot", context)


@pytest.mark.parametrize(
    ("alarms_config", "problem"),
    [
        ({"errorRatePercent": 0}, "fleet:services.web.alarms.errorRatePercent: must be from 1 to 100; got 0"),
        ({"p99LatencyMs": "1s"}, "fleet:services.web.alarms.p99LatencyMs: must be a whole number from 1 to 600000"),
        ({"unhealthyHostMinutes": 61}, "fleet:services.web.alarms.unhealthyHostMinutes: must be from 1 to 60; got 61"),
        ({"p99": 500}, "fleet:services.web.alarms.p99: unknown key; allowed keys are unhealthyHostMinutes"),
        ("strict", "fleet:services.web.alarms: must be a mapping with keys unhealthyHostMinutes"),
    ],
)
def test_bad_alarm_thresholds_are_rejected_naming_the_key(
    program, staging_config, with_service, alarms_config, problem
):
    with pytest.raises(ConfigError) as error:
        program("staging", with_service(staging_config, alarms=alarms_config))

    [found] = error.value.problems
    assert found.startswith(problem)


@pytest.mark.parametrize(
    "topic",
    [f"arn:aws:sqs:{REGION}:{ACCOUNT}:fleet-oncall", f"arn:aws:sns:{REGION}:{ACCOUNT}:", "fleet-oncall", 42],
)
def test_a_topic_that_is_not_an_sns_topic_arn_is_rejected_naming_the_key(program, staging_config, topic):
    with pytest.raises(ConfigError) as error:
        program("staging", {**staging_config, "fleet:alarms": {"topicArn": topic}})

    [found] = error.value.problems
    assert found.startswith("fleet:alarms.topicArn: must be an SNS topic ARN in the stack's region")


def test_an_unknown_key_under_alarms_is_rejected(program, staging_config):
    with pytest.raises(ConfigError) as error:
        program("staging", {**staging_config, "fleet:alarms": {"topic": TOPIC}})

    assert error.value.problems == ["fleet:alarms.topic: unknown key; allowed keys are topicArn"]


def test_a_topic_in_another_region_than_the_stack_is_rejected(program, staging_config):
    mocks = FleetMocks()

    with pytest.raises(ConfigError) as error:
        program(
            "staging", {**staging_config, "fleet:alarms": {"topicArn": TOPIC.replace(REGION, "us-east-1")}}, mocks=mocks
        )

    assert error.value.problems == [
        "fleet:alarms.topicArn: is in us-east-1, but the stack is in eu-west-1 (aws:region): use one in eu-west-1"
    ]
    assert mocks.inputs == {}
