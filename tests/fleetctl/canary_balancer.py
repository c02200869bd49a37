"""A stack's load balancer in a real moto_server, with web's live and canary target groups, for `canary status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from fleetctl.canary_metrics import arn_suffix
from tests.fleetctl.fleetctl_samples import outputs, release


@dataclass
class Balancer:
    """A stack's load balancer in moto with web's live and canary target groups behind one listener."""

    session: boto3.Session
    load_balancer_arn: str
    live_target_group_arn: str
    canary_target_group_arn: str

    def serve(self, target_group_arn: str, requests: int, errors_5xx: int, *, minutes_ago: int = 2) -> None:
        """Record what the load balancer measured for a target group, as AWS/ApplicationELB publishes it."""
        dimensions = [
            {"Name": "TargetGroup", "Value": arn_suffix(target_group_arn, "targetgroup/")},
            {"Name": "LoadBalancer", "Value": arn_suffix(self.load_balancer_arn, "loadbalancer/")},
        ]
        when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        data: list[dict[str, Any]] = [
            {"MetricName": "RequestCount", "Value": requests, "Unit": "Count"},
            {"MetricName": "TargetResponseTime", "Values": [0.05, 0.4], "Counts": [requests - 1, 1], "Unit": "Seconds"},
        ]
        if errors_5xx:  # AWS publishes the 5xx count only for minutes that had any
            data.append({"MetricName": "HTTPCode_Target_5XX_Count", "Value": errors_5xx, "Unit": "Count"})
        self.session.client("cloudwatch").put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[{**datum, "Dimensions": dimensions, "Timestamp": when} for datum in data],
        )

    def outputs(self) -> dict[str, Any]:
        """Prod's outputs: web live on 1.0.0 with a canary of 1.1.0 taking 10% of its requests."""
        stack = outputs("prod", {"web": [release("web", "1.0.0")], "api": [release("api", "2.0.0")]})
        canary = release("web", "1.1.0")
        stack["services"]["web"]["targetGroupArn"] = self.live_target_group_arn
        stack["services"]["web"]["canary"] = {**canary, "weight": 10, "targetGroupArn": self.canary_target_group_arn}
        return stack


def moto_balancer(aws: boto3.Session) -> Balancer:
    """A load balancer in moto whose listener forwards to web's live and canary target groups, as the program
    declares them (the header rule included)."""
    ec2, elbv2 = aws.client("ec2"), aws.client("elbv2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"eu-west-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab", start=1)
    ]
    load_balancer = elbv2.create_load_balancer(Name="fleet-prod", Subnets=subnets)["LoadBalancers"][0]
    live, canary = (
        elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc_id)["TargetGroups"][0][
            "TargetGroupArn"
        ]
        for name in ("web-live", "web-canary")
    )
    listener = elbv2.create_listener(
        LoadBalancerArn=load_balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": live, "Weight": 90}, {"TargetGroupArn": canary, "Weight": 10}]
                },
            }
        ],
    )["Listeners"][0]
    elbv2.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=1,
        Conditions=[
            {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Fleet-Track", "Values": ["canary"]}}
        ],
        Actions=[{"Type": "forward", "TargetGroupArn": canary}],
    )
    return Balancer(aws, load_balancer["LoadBalancerArn"], live, canary)
