"""A new release's group is created only once its instances are healthy behind the load balancer."""

from __future__ import annotations

from fleet.resource_types import AUTOSCALING_GROUP, TARGET_GROUP
from fleet.timeouts import GROUP_DELETE_MINUTES


def test_group_attaches_to_the_services_long_lived_target_group(program, staging_config):
    run = program("staging", staging_config)

    assert run.one(AUTOSCALING_GROUP).inputs["targetGroupArns"] == [run.outputs["services"]["web"]["targetGroupArn"]]


def test_group_creation_waits_for_every_desired_instance_to_be_healthy_in_the_target_group(program, staging_config):
    run = program("staging", staging_config)

    group = run.one(AUTOSCALING_GROUP).inputs
    assert group["healthCheckType"] == "ELB"
    assert group["waitForElbCapacity"] == group["desiredCapacity"] == 2


def test_capacity_wait_is_bounded_by_the_cutover_timeout(program, staging_config, with_service):
    run = program("staging", with_service(staging_config, cutoverTimeoutMinutes=7))

    assert run.one(AUTOSCALING_GROUP).inputs["waitForCapacityTimeout"] == "7m"


def test_default_cutover_timeout_is_ten_minutes(program, staging_config):
    run = program("staging", staging_config)

    assert run.one(AUTOSCALING_GROUP).inputs["waitForCapacityTimeout"] == "10m"


def test_default_health_check_passes_a_new_instance_in_twenty_seconds(program, staging_config):
    run = program("staging", staging_config)

    check = run.one(TARGET_GROUP, "web-tg").inputs["healthCheck"]
    assert check["path"] == "/healthz"
    assert check["matcher"] == "200"
    assert check["interval"] * check["healthyThreshold"] == 20
    assert check["timeout"] < check["interval"]


def test_old_instances_drain_for_thirty_seconds_by_default(program, staging_config):
    run = program("staging", staging_config)

    assert run.one(TARGET_GROUP, "web-tg").inputs["deregistrationDelay"] == 30


def test_health_check_and_drain_follow_the_config(program, staging_config, with_service):
    config = with_service(
        staging_config,
        healthCheckPath="/ready",
        healthCheck={"intervalSeconds": 15, "healthyThreshold": 3, "unhealthyThreshold": 4, "timeoutSeconds": 6},
        drainSeconds=90,
        bootGraceSeconds=240,
    )

    run = program("staging", config)

    target_group = run.one(TARGET_GROUP, "web-tg").inputs
    assert target_group["deregistrationDelay"] == 90
    assert {k: target_group["healthCheck"][k] for k in ("path", "interval", "healthyThreshold", "timeout")} == {
        "path": "/ready",
        "interval": 15,
        "healthyThreshold": 3,
        "timeout": 6,
    }
    assert target_group["healthCheck"]["unhealthyThreshold"] == 4
    assert run.one(AUTOSCALING_GROUP).inputs["healthCheckGracePeriod"] == 240


def test_deleting_a_release_group_may_take_the_longest_drain_plus_shutdown(program, staging_config):
    group = program("staging", staging_config).one(AUTOSCALING_GROUP)

    assert group.options.custom_timeouts.delete == f"{GROUP_DELETE_MINUTES}m"
