"""Hosts are hardened: IMDSv2, no key pair, no SSH, encrypted disks, least privilege, logs off the box."""

from __future__ import annotations

import base64
import json

from fleet.resource_types import IAM_ROLE_POLICY, LAUNCH_TEMPLATE, LOG_GROUP, SECURITY_GROUP
from fleetctl.simulation import ACCOUNT, VPC_CIDR


def test_instances_require_imdsv2_with_a_hop_limit_containers_can_reach(program, staging_config):
    run = program("staging", staging_config)

    options = run.one(LAUNCH_TEMPLATE).inputs["metadataOptions"]
    assert options["httpTokens"] == "required"
    assert options["httpPutResponseHopLimit"] == 2


def test_instances_have_no_key_pair(program, staging_config):
    run = program("staging", staging_config)

    assert "keyName" not in run.one(LAUNCH_TEMPLATE).inputs


def test_root_volume_is_encrypted(program, staging_config):
    run = program("staging", staging_config)

    (root,) = run.one(LAUNCH_TEMPLATE).inputs["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert root["ebs"]["encrypted"] == "true"


def ingress(run) -> dict[str, list[dict]]:
    """Every ingress rule the program declares, by security group."""
    return {r.name: r.inputs.get("ingress", []) for r in run.of_type(SECURITY_GROUP)}


def test_no_ingress_rule_opens_port_22(program, staging_config):
    rules = [rule for rules in ingress(program("staging", staging_config)).values() for rule in rules]

    assert rules
    assert all(not rule["fromPort"] <= 22 <= rule["toPort"] for rule in rules)
    assert all(rule["protocol"] != "-1" for rule in rules)


def test_instances_accept_traffic_only_from_the_load_balancer_on_the_service_port(program, staging_config):
    run = program("staging", staging_config)

    assert ingress(run)["web-instances-sg"] == [
        {
            "description": "service port, from the load balancer only",
            "protocol": "tcp",
            "fromPort": 8080,
            "toPort": 8080,
            "securityGroups": ["fleet-alb-sg-id"],
        }
    ]


def test_only_the_load_balancer_is_open_to_the_internet_and_only_on_its_listener_ports(program, staging_config):
    run = program("staging", staging_config)

    open_to_internet = {
        name: [rule["fromPort"] for rule in rules if "0.0.0.0/0" in rule.get("cidrBlocks", [])]
        for name, rules in ingress(run).items()
    }
    assert open_to_internet == {"fleet-alb-sg": [80], "web-instances-sg": []}


def test_hosts_may_only_call_out_on_https(program, staging_config):
    run = program("staging", staging_config)

    egress = run.one(SECURITY_GROUP, "web-instances-sg").inputs["egress"]
    assert [(rule["protocol"], rule["fromPort"], rule["toPort"]) for rule in egress] == [("tcp", 443, 443)]


def test_host_policy_is_scoped_to_the_services_repository_settings_and_log_group(program, staging_config):
    run = program("staging", staging_config)

    statements = {s["Sid"]: s for s in json.loads(run.one(IAM_ROLE_POLICY).inputs["policy"])["Statement"]}
    assert statements["EcrPull"]["Resource"] == f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/fleet-staging-web"
    assert statements["ReadSettings"]["Resource"] == [
        f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/fleet/staging/web",
        f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/fleet/staging/web/*",
    ]
    assert statements["ShipLogs"]["Resource"] == f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/fleet/staging/web:*"
    wildcard = [sid for sid, s in statements.items() if s["Resource"] == "*" and "Condition" not in s]
    assert wildcard == ["EcrLogin"]


def test_promoted_stack_hosts_may_pull_only_from_the_promoted_repository(program, prod_config, staging_outputs):
    from fleetctl.simulation import qualified

    run = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})

    policy = json.loads(run.one(IAM_ROLE_POLICY).inputs["policy"])
    pull = next(s for s in policy["Statement"] if s["Sid"] == "EcrPull")
    assert pull["Resource"] == f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/fleet-staging-web"


def test_boot_script_reads_settings_from_the_services_ssm_path_and_ships_logs(program, staging_config):
    run = program("staging", staging_config)

    script = base64.b64decode(run.one(LAUNCH_TEMPLATE).inputs["userData"]).decode()
    assert script.startswith("#!/bin/bash\n")
    assert "readonly FLEET_SETTINGS_PATH=/fleet/staging/web/\n" in script
    assert "readonly FLEET_LOG_GROUP=/fleet/staging/web\n" in script
    assert "--log-driver awslogs" in script
    assert "readonly FLEET_SETTINGS=''\n" in script
    assert 'names+=("${FLEET_SETTINGS_PATH}${entry}")' in script


def test_log_group_keeps_thirty_days(program, staging_config):
    run = program("staging", staging_config)

    log_group = run.one(LOG_GROUP).inputs
    assert (log_group["name"], log_group["retentionInDays"]) == ("/fleet/staging/web", 30)


def test_load_balancer_may_only_send_to_service_ports_inside_the_vpc(program, staging_config, with_service):
    config = with_service(staging_config)
    config["fleet:services"]["api"] = {**config["fleet:services"]["web"], "publicPort": 8081, "port": 9000}

    run = program("staging", config)

    egress = run.one(SECURITY_GROUP, "fleet-alb-sg").inputs["egress"]
    assert [(rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) for rule in egress] == [
        (8080, 8080, [VPC_CIDR]),
        (9000, 9000, [VPC_CIDR]),
    ]
