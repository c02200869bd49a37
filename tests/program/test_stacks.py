"""What a staging and a prod stack declare, and what they export."""

from __future__ import annotations

import base64
import re

from fleet.resource_types import AUTOSCALING_GROUP, LAUNCH_TEMPLATE
from fleetctl.simulation import ACCOUNT, DEFAULT_SUBNETS, DEFAULT_VPC, DIGEST, qualified


def user_data(run) -> str:
    return base64.b64decode(run.one(LAUNCH_TEMPLATE).inputs["userData"]).decode()


def test_staging_declares_load_balancer_service_image_build_and_release(program, staging_config):
    run = program("staging", staging_config)

    assert {(r.type, r.name) for r in run.resources} == {
        ("fleet:load_balancer:LoadBalancer", "fleet-alb"),
        ("aws:ec2/securityGroup:SecurityGroup", "fleet-alb-sg"),
        ("aws:lb/loadBalancer:LoadBalancer", "fleet-alb"),
        ("aws:autoscaling/policy:Policy", "web-release-scale-cpu"),
        ("fleet:service:Service", "web"),
        ("aws:lb/targetGroup:TargetGroup", "web-tg"),
        ("aws:lb/targetGroup:TargetGroup", "web-tgb"),
        ("aws:lb/targetGroup:TargetGroup", "web-tgc"),
        ("aws:lb/listener:Listener", "web-listener"),
        ("aws:lb/listenerRule:ListenerRule", "web-track-rule"),
        ("aws:lb/listenerRule:ListenerRule", "web-traffic-rule"),
        ("aws:ec2/securityGroup:SecurityGroup", "web-instances-sg"),
        ("aws:cloudwatch/logGroup:LogGroup", "web-logs"),
        ("fleet:service_image:ServiceImage", "web-image"),
        ("aws:ecr/repository:Repository", "web-image-repository"),
        ("aws:ecr/lifecyclePolicy:LifecyclePolicy", "web-image-lifecycle"),
        ("docker:index/image:Image", "web-image-image"),
        ("fleet:host_role:HostRole", "web-host"),
        ("aws:iam/role:Role", "web-host-role"),
        ("aws:iam/rolePolicy:RolePolicy", "web-host-policy"),
        ("aws:iam/instanceProfile:InstanceProfile", "web-host-profile"),
        ("fleet:release:Release", "web-release"),
        (LAUNCH_TEMPLATE, "web-release-launch-template"),
        (AUTOSCALING_GROUP, "web-release-group"),
        ("fleet:alarms:Alarms", "web-alarms"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "web-alarms-unhealthy-hosts"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "web-alarms-5xx-rate"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "web-alarms-p99-latency"),
    }


def test_every_resource_is_a_child_of_its_component(program, staging_config):
    run = program("staging", staging_config)

    parents = {r.name: r.parent for r in run.resources}
    assert parents["web-release-launch-template"] == "web-release"
    assert parents["web-release-group"] == "web-release"
    assert parents["web-release"] == "web"
    assert parents["web-image-image"] == "web-image"
    assert parents["web-host-role"] == "web-host"
    assert parents["web-tg"] == "web"


def test_staging_builds_the_image_from_its_context_and_tags_it_with_the_version(program, staging_config):
    run = program("staging", staging_config)

    image = run.one("docker:index/image:Image")
    assert image.inputs["build"]["context"] == "images/web"
    assert image.inputs["build"]["platform"] == "linux/amd64"
    assert image.inputs["build"]["args"] == {"APP_VERSION": "1.0.0"}
    assert re.fullmatch(
        rf"{ACCOUNT}\.dkr\.ecr\.eu-west-1\.amazonaws\.com/fleet-staging-web:1\.0\.0-[0-9a-f]{{12}}",
        image.inputs["imageName"],
    )


def test_staging_repository_scans_on_push_keeps_tags_immutable_and_expires_old_images(program, staging_config):
    run = program("staging", staging_config)

    repository = run.one("aws:ecr/repository:Repository")
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert '"countNumber": 30' in run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"]


def test_staging_hosts_run_the_built_image_by_digest(program, staging_config):
    run = program("staging", staging_config)

    ref = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@{DIGEST}"
    assert f"readonly FLEET_IMAGE_REF={ref}\n" in user_data(run)
    assert run.outputs["services"]["web"]["imageDigest"] == DIGEST
    assert run.outputs["services"]["web"]["release"]["imageRef"] == ref


def test_prod_declares_no_repository_and_no_build(program, prod_config, staging_outputs):
    run = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})

    assert run.of_type("docker:index/image:Image") == []
    assert run.of_type("aws:ecr/repository:Repository") == []
    assert run.outputs["services"]["web"]["imageDigest"] is None


def test_prod_hosts_run_the_promoted_reference_by_digest(program, prod_config, staging_outputs):
    run = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})

    ref = prod_config["fleet:services"]["web"]["image"]["ref"]
    assert f"readonly FLEET_IMAGE_REF={ref}\n" in user_data(run)
    assert "@sha256:" in ref


def test_default_network_is_the_default_vpc_and_all_its_subnets(program, staging_config):
    run = program("staging", staging_config)

    assert run.one("aws:lb/targetGroup:TargetGroup", "web-tg").inputs["vpcId"] == DEFAULT_VPC
    assert run.one(AUTOSCALING_GROUP).inputs["vpcZoneIdentifiers"] == sorted(DEFAULT_SUBNETS)
    assert run.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == sorted(DEFAULT_SUBNETS)


def test_configured_network_is_used_without_lookups(program, staging_config):
    subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    staging_config["fleet:network"] = {"vpcId": "vpc-0123456789abcdef0", "subnetIds": subnets}

    run = program("staging", staging_config)

    assert run.one("aws:lb/targetGroup:TargetGroup", "web-tg").inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert run.one(AUTOSCALING_GROUP).inputs["vpcZoneIdentifiers"] == subnets
    assert [(token, args) for token, args in run.invokes if token.startswith("aws:ec2/")] == [
        ("aws:ec2/getVpc:getVpc", {"id": "vpc-0123456789abcdef0"})
    ]


def test_outputs_name_the_url_and_the_live_release(program, staging_config):
    run = program("staging", staging_config)

    web = run.outputs["services"]["web"]
    assert web["url"] == "http://fleet-alb-1234.eu-west-1.elb.amazonaws.com:80"
    assert web["release"]["version"] == "1.0.0"
    assert web["release"]["asgName"].startswith("fleet-staging-web-")
    assert web["release"]["launchTemplateId"].startswith("lt-")
    assert web["release"]["launchTemplateVersion"] == 1
    assert web["targetGroupArn"] == run.one(AUTOSCALING_GROUP).inputs["targetGroupArns"][0]
    assert run.outputs["stack"] == "staging"


def test_each_service_gets_its_own_listener_target_group_and_release(program, staging_config, with_service):
    config = with_service(staging_config, service="web")
    config["fleet:services"]["api"] = {**config["fleet:services"]["web"], "publicPort": 8081}

    run = program("staging", config)

    assert sorted(r.inputs["port"] for r in run.of_type("aws:lb/listener:Listener")) == [80, 8081]
    load_balancer_group = run.one("aws:ec2/securityGroup:SecurityGroup", "fleet-alb-sg")
    assert sorted(rule["fromPort"] for rule in load_balancer_group.inputs["ingress"]) == [80, 8081]
    assert len(run.of_type("aws:lb/targetGroup:TargetGroup")) == 2 * 3  # three release slots each
    assert len(run.of_type(AUTOSCALING_GROUP)) == 2
    assert set(run.outputs["services"]) == {"web", "api"}


def test_a_stack_of_twenty_services_declares_a_release_of_each(program, staging_config):
    """The size of the bench's larger stacks (bench/evaluate.py): what is sound for a stack of two can fail at ten,
    as answering the mock monitor in the calling thread did (the SDK's monitor re-enters the loop, to recursion)."""
    web = staging_config["fleet:services"]["web"]
    services = {"web": web, **{f"svc{index}": {**web, "publicPort": 1000 + index} for index in range(1, 20)}}
    run = program("staging", {**staging_config, "fleet:services": services})

    groups = {group.name for group in run.of_type(AUTOSCALING_GROUP)}
    assert groups == {f"{name}-release-group" for name in services}
    assert set(run.outputs["services"]) == set(services)
