"""A fleet built in moto the way the program builds one: the facts the audit tests seed drift into."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3

REGION = "eu-west-1"
STACK = "prod"
SERVICE = "web"
AMI = "ami-0abc1234def567890"
LIVE_RELEASE = "3f2a9c1b7d4e"


@dataclass
class Release:
    release_id: str
    asg_name: str
    launch_template_id: str
    launch_template_version: int


@dataclass
class Fleet:
    """One service of one stack in moto: network, security group, target group and releases (LT + ASG)."""

    session: boto3.Session
    outputs_file: Path
    stack: str = STACK
    service: str = SERVICE
    subnet_ids: list[str] = field(default_factory=list)
    security_group_id: str = ""
    target_group_arn: str = ""
    live: Release | None = None

    @cached_property
    def ec2(self) -> Any:
        return self.session.client("ec2")

    @cached_property
    def autoscaling(self) -> Any:
        return self.session.client("autoscaling")

    @cached_property
    def elbv2(self) -> Any:
        return self.session.client("elbv2")

    def tags(self, release_id: str | None = None) -> list[dict[str, str]]:
        tags = {"fleet:stack": self.stack, "fleet:service": self.service}
        if release_id:
            tags["fleet:release"] = release_id
        return [{"Key": key, "Value": value} for key, value in tags.items()]

    def build(self) -> Fleet:
        vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet_ids = [
            self.ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")[
                "Subnet"
            ]["SubnetId"]
            for index, zone in enumerate("ab", start=1)
        ]
        self.security_group_id = self.ec2.create_security_group(
            GroupName=f"fleet-{self.stack}-{self.service}", Description="instances", VpcId=vpc_id
        )["GroupId"]
        self.ec2.authorize_security_group_ingress(
            GroupId=self.security_group_id,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
            ],
        )
        self.target_group_arn = self.elbv2.create_target_group(
            Name=f"{self.service}-tg",
            Protocol="HTTP",
            Port=8080,
            VpcId=vpc_id,
            TargetType="instance",
            HealthCheckPath="/healthz",
            Tags=self.tags(),
        )["TargetGroups"][0]["TargetGroupArn"]
        self.live = self.release(LIVE_RELEASE)
        self.write_outputs()
        return self

    def release(self, release_id: str, *, http_tokens: str = "required") -> Release:
        """A release as the program creates it: its own launch template and ASG, attached to the target group."""
        template = self.ec2.create_launch_template(
            LaunchTemplateName=f"fleet-{self.stack}-{self.service}-{release_id}",
            LaunchTemplateData={
                "ImageId": AMI,
                "InstanceType": "t3.small",
                "SecurityGroupIds": [self.security_group_id],
                "MetadataOptions": {"HttpTokens": http_tokens, "HttpEndpoint": "enabled"},
                "TagSpecifications": [{"ResourceType": "instance", "Tags": self.tags(release_id)}],
            },
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": self.tags(release_id)}],
        )["LaunchTemplate"]
        asg_name = f"fleet-{self.stack}-{self.service}-{release_id}"
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=asg_name,
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"},
            MinSize=2,
            MaxSize=6,
            DesiredCapacity=2,
            VPCZoneIdentifier=",".join(self.subnet_ids),
            TargetGroupARNs=[self.target_group_arn],
            Tags=[{**tag, "PropagateAtLaunch": True} for tag in self.tags(release_id)],
        )
        return Release(release_id, asg_name, template["LaunchTemplateId"], 1)

    def outputs(self) -> dict[str, Any]:
        assert self.live is not None
        return {
            "stack": self.stack,
            "loadBalancerDns": "fleet-alb-1234.eu-west-1.elb.amazonaws.com",
            "services": {
                self.service: {
                    "url": "http://fleet-alb-1234.eu-west-1.elb.amazonaws.com:80",
                    "targetGroupArn": self.target_group_arn,
                    "imageDigest": None,
                    "release": {
                        "releaseId": self.live.release_id,
                        "version": "1.4.2",
                        "imageRef": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/fleet-staging-web@sha256:{'a' * 64}",
                        "hostImage": AMI,
                        "instanceType": "t3.small",
                        "asgName": self.live.asg_name,
                        "launchTemplateId": self.live.launch_template_id,
                        "launchTemplateVersion": self.live.launch_template_version,
                    },
                    "history": [],
                }
            },
        }

    def write_outputs(self, outputs: dict[str, Any] | None = None) -> Path:
        self.outputs_file.write_text(json.dumps(outputs or self.outputs()))
        return self.outputs_file

    def asg_instance_ids(self, asg_name: str) -> list[str]:
        groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg_name])["AutoScalingGroups"]
        return [instance["InstanceId"] for group in groups for instance in group["Instances"]]

    def asg_names(self) -> set[str]:
        return {
            group["AutoScalingGroupName"]
            for group in self.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        }
