"""A service with a live and a warm release in a real moto_server, as the program declares them (the design's
slots): the traffic rule forwards to the live slot's target group, the warm group keeps its hosts with min 0 and
AlarmNotification suspended, the service's alarms watch the live slot. For `fleetctl watch` and `status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from fleet.names import service_prefix
from tests.audit.moto_fleet import put_alarm

STACK = "prod"
SERVICE = "web"
LIVE_RELEASE = "5b1f0c9e2a7d"
WARM_RELEASE = "3f2a9c1b7d4e"
DESIRED = 2
MIN = 2
AMI = "ami-0abc1234def567890"
ALARM_SUFFIXES = ("unhealthy-hosts", "target-5xx-rate", "p99-response-time")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Slot:
    release_id: str
    version: str
    target_group_arn: str
    asg_name: str


@dataclass
class WarmFleet:
    session: boto3.Session
    listener_arn: str
    traffic_rule_arn: str
    live: Slot
    warm: Slot
    alarms: list[str]

    @property
    def elbv2(self) -> Any:
        return self.session.client("elbv2")

    @property
    def autoscaling(self) -> Any:
        return self.session.client("autoscaling")

    def set_alarm(self, suffix: str, state: str) -> None:
        """Put one of the service's alarms in `state` (OK, ALARM, INSUFFICIENT_DATA), as CloudWatch would."""
        self.session.client("cloudwatch").set_alarm_state(
            AlarmName=f"{service_prefix(STACK, SERVICE)}-{suffix}", StateValue=state, StateReason="test"
        )

    def forwarded_to(self) -> set[str]:
        """The target groups the traffic rule forwards to, as AWS reports it."""
        [rule] = self.elbv2.describe_rules(RuleArns=[self.traffic_rule_arn])["Rules"]
        groups = set()
        for action in rule["Actions"]:
            if action.get("TargetGroupArn"):
                groups.add(action["TargetGroupArn"])
            groups |= {group["TargetGroupArn"] for group in action.get("ForwardConfig", {}).get("TargetGroups", [])}
        return groups

    def group(self, slot: Slot) -> dict[str, Any]:
        [group] = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[slot.asg_name])[
            "AutoScalingGroups"
        ]
        return dict(group)

    def stop_hosts(self, slot: Slot) -> None:
        """Stop a slot's hosts: the load balancer no longer counts them healthy."""
        ids = [instance["InstanceId"] for instance in self.group(slot)["Instances"]]
        self.session.client("ec2").stop_instances(InstanceIds=ids)

    def outputs(self, retires_at: datetime, warm_since: datetime | None = None) -> dict[str, Any]:
        """The stack outputs of the design: web live in slot b, its previous release warm in slot a."""
        since = warm_since or retires_at - timedelta(minutes=60)

        def release(slot: Slot, slot_name: str) -> dict[str, Any]:
            return {
                "releaseId": slot.release_id,
                "version": slot.version,
                "imageRef": f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:{'a' * 64}",
                "hostImage": AMI,
                "instanceType": "t3.small",
                "asgName": slot.asg_name,
                "slot": slot_name,
                "targetGroupArn": slot.target_group_arn,
            }

        web = {
            "url": "http://fleet-prod.example.com",
            "alarms": self.alarms,
            "targetGroupArn": self.live.target_group_arn,
            "capacity": {"min": MIN, "desired": DESIRED, "max": 6},
            "release": {**release(self.live, "b"), "since": iso(since)},
            "warm": {
                **release(self.warm, "a"),
                "desired": DESIRED,
                "warmSince": iso(since),
                "retiresAt": iso(retires_at),
            },
            "history": [
                {"releaseId": self.live.release_id, "version": self.live.version},
                {"releaseId": self.warm.release_id, "version": self.warm.version},
            ],
            "trafficRuleArn": self.traffic_rule_arn,
            "warmRollbackMinutes": 60,
        }
        return {"stack": STACK, "services": {SERVICE: web}}


def warm_fleet(session: boto3.Session) -> WarmFleet:
    """Build the load balancer, listener, traffic rule, both slots' target groups and groups, and the alarms."""
    ec2, elbv2, autoscaling = session.client("ec2"), session.client("elbv2"), session.client("autoscaling")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"eu-west-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab", start=1)
    ]
    balancer = elbv2.create_load_balancer(Name=f"fleet-{STACK}", Subnets=subnets)["LoadBalancers"][0]
    warm_tg, live_tg = (
        elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="instance")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        for name in (f"{SERVICE}-tg", f"{SERVICE}-tgb")  # slots a and b
    )
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": warm_tg}],  # slot a's, never changed (design)
    )["Listeners"][0]
    rule = elbv2.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=50000,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": live_tg}],
    )["Rules"][0]
    template_id = ec2.create_launch_template(
        LaunchTemplateName=f"fleet-{STACK}-{SERVICE}-lt",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    prefix = service_prefix(STACK, SERVICE)

    def group(name: str, target_group_arn: str, min_size: int) -> str:
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template_id, "Version": "1"},
            MinSize=min_size,
            MaxSize=6,
            DesiredCapacity=DESIRED,
            VPCZoneIdentifier=",".join(subnets),
            TargetGroupARNs=[target_group_arn],
        )
        return name

    live = Slot(LIVE_RELEASE, "1.5.0", live_tg, group(f"{prefix}-b-20261202000000", live_tg, MIN))
    warm = Slot(WARM_RELEASE, "1.4.0", warm_tg, group(f"{prefix}-20261201000000", warm_tg, 0))
    autoscaling.suspend_processes(AutoScalingGroupName=warm.asg_name, ScalingProcesses=["AlarmNotification"])
    cloudwatch = session.client("cloudwatch")
    alarms = [f"{prefix}-{suffix}" for suffix in ALARM_SUFFIXES]
    for name in alarms:
        put_alarm(cloudwatch, name, "OK")
    return WarmFleet(session, listener["ListenerArn"], rule["RuleArn"], live, warm, alarms)
