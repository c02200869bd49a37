"""Each release's group scales itself by target tracking, and is never scaled in while it shares traffic."""

from __future__ import annotations

from fleet.resource_types import SCALING_POLICY


def policies(run) -> dict[str, dict]:
    return {policy.name: policy.inputs for policy in run.of_type(SCALING_POLICY)}


def test_cpu_target_tracking_is_on_by_default(program, staging_config):
    run = program("staging", staging_config)

    cpu = policies(run)["web-release-scale-cpu"]
    assert cpu["policyType"] == "TargetTrackingScaling"
    assert cpu["autoscalingGroupName"] == run.outputs["services"]["web"]["release"]["asgName"]
    assert cpu["estimatedInstanceWarmup"] == 180
    tracking = cpu["targetTrackingConfiguration"]
    assert tracking["predefinedMetricSpecification"] == {"predefinedMetricType": "ASGAverageCPUUtilization"}
    assert tracking["targetValue"] == 50


def test_requests_per_instance_tracks_the_services_target_group(program, staging_config, with_service):
    run = program("staging", with_service(staging_config, scaling={"cpuPercent": 0, "requestsPerInstance": 800}))

    assert set(policies(run)) == {"web-release-scale-requests"}
    spec = policies(run)["web-release-scale-requests"]["targetTrackingConfiguration"]
    assert spec["targetValue"] == 800
    assert spec["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": "app/fleet-alb/50dc6c495c0c9188/targetgroup/web-tg/73e2d6bc24d8a067",
    }


def test_scaling_can_be_turned_off(program, staging_config, with_service):
    run = program("staging", with_service(staging_config, scaling={"enabled": False}))

    assert policies(run) == {}


def test_new_group_is_not_scaled_in_while_it_shares_the_target_group_with_the_old_one(program, staging_config):
    run = program("staging", staging_config)

    assert policies(run)["web-release-scale-cpu"]["targetTrackingConfiguration"]["disableScaleIn"] is True


def test_scale_in_resumes_on_the_update_after_the_cutover(program, update, staging_config):
    run = update("staging", staging_config, program("staging", staging_config))

    assert policies(run)["web-release-scale-cpu"]["targetTrackingConfiguration"]["disableScaleIn"] is False


def test_policy_belongs_to_the_release_and_follows_its_group(program, staging_config):
    run = program("staging", staging_config)

    assert run.one(SCALING_POLICY).parent == "web-release"
