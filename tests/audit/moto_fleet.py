"""A fleet built in moto the way the program builds one, and the stack's state (`pulumi stack export`) recording it:
the facts the audit tests seed drift into."""

from __future__ import annotations

import json
from copy import deepcopy
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fleet.names import CANARY_TRACK, TRACK_TAG, WARM_TRACK
from fleet.resource_types import AUTOSCALING_GROUP, AWS_PROVIDER, LAUNCH_TEMPLATE, ROOT_STACK

REGION = "eu-west-1"
STACK = "prod"
SERVICE = "web"
AMI = "ami-0abc1234def567890"
LIVE_RELEASE = "3f2a9c1b7d4e"
PROJECT = "fleet"
# The URN parents of a release's resources, as the program declares them (components/service.py, release.py).
RELEASE_PARENTS = "fleet:service:Service$fleet:release:Release"


def put_alarm(cloudwatch: Any, name: str, state: str | None = None) -> None:
    """An alarm named `name` in moto. moto evaluates no alarm, so its state is what `state` sets (moto's initial one
    without it); the readers under test (audit, status, watch) read names and states only."""
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=5,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    if state is not None:
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"set to {state} by the test")


@dataclass
class Release:
    release_id: str
    asg_name: str
    launch_template_id: str
    launch_template_version: int


@dataclass
class TrackedRelease:
    """A release's launch template and ASG in the stack's state, with the marks the engine may have left on the ASG."""

    release: Release
    pending_delete: bool = False
    init_errors: list[str] = field(default_factory=list)
    # False: the state kept the launch template but not the ASG (an older bridge's capacity timeout, pulumi-aws #5178).
    group: bool = True
    # The resources' logical name stem: `release` for the live release's, `canary` for the canary's.
    role: str = "release"


@dataclass
class Fleet:
    """One service of one stack in moto: network, security group, target group and releases (LT + ASG)."""

    session: boto3.Session
    export_file: Path
    stack: str = STACK
    service: str = SERVICE
    subnet_ids: list[str] = field(default_factory=list)
    security_group_id: str = ""
    vpc_id: str = ""
    target_group_arn: str = ""
    live: Release | None = None
    # The releases the stack's state tracks, in state order; `build` tracks the live one.
    tracked: list[TrackedRelease] = field(default_factory=list)
    alarm_names: list[str] | None = None
    # A canary release beside the live one, in its own target group (`add_canary`).
    canary: Release | None = None
    canary_target_group_arn: str = ""
    load_balancer_dns: str = "fleet-alb-1234.eu-west-1.elb.amazonaws.com"
    # The `dns` output, once `add_dns` gave the stack a zone.
    dns: dict[str, Any] | None = None
    zone_id: str = ""
    listener_arn: str = ""
    load_balancer_arn: str = ""
    # The service's hostnames, in its outputs once `add_dns` gave it some.
    hostnames: list[str] = field(default_factory=list)
    # The warm previous release (`add_warm`), in slot b's target group, and when its window closes.
    warm: Release | None = None
    warm_target_group_arn: str = ""
    warm_since: datetime | None = None
    warm_minutes: int = 60
    warm_desired: int = 2
    # The rule that forwards the service's requests (`add_traffic_rule`): the switch of a rollback.
    traffic_rule_arn: str = ""

    @cached_property
    def ec2(self) -> Any:
        return self.session.client("ec2")

    @cached_property
    def autoscaling(self) -> Any:
        return self.session.client("autoscaling")

    @cached_property
    def elbv2(self) -> Any:
        return self.session.client("elbv2")

    @cached_property
    def route53(self) -> Any:
        return self.session.client("route53")

    def add_dns(self, zone_name: str, hostnames: list[str]) -> None:
        """The stack's zone as the program leaves it: a load balancer whose listener serves each hostname by a
        host-header rule (anything else: a fixed 404), and an alias A record of each hostname to it."""
        balancer = self.elbv2.create_load_balancer(Name="fleet-alb", Subnets=self.subnet_ids, Type="application")
        balancer = balancer["LoadBalancers"][0]
        self.load_balancer_dns = balancer["DNSName"]
        self.listener_arn = self.elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}
            ],
        )["Listeners"][0]["ListenerArn"]
        self.load_balancer_arn = balancer["LoadBalancerArn"]
        self.hostnames = hostnames
        self.serve(hostnames, priority=1)
        self.zone_id = self.route53.create_hosted_zone(Name=zone_name, CallerReference=zone_name)["HostedZone"][
            "Id"
        ].rsplit("/", 1)[-1]
        for hostname in hostnames:
            self.alias(hostname, self.load_balancer_dns, balancer["CanonicalHostedZoneId"])
        self.dns = {"zoneId": self.zone_id, "zoneName": zone_name, "hostnames": dict.fromkeys(hostnames, self.service)}
        self.write_export()

    def add_https(self, certificate_arn: str) -> str:
        """The shared HTTPS listener on 443 presenting `certificate_arn`, with a fixed 404 default."""
        return str(
            self.elbv2.create_listener(
                LoadBalancerArn=self.load_balancer_arn,
                Protocol="HTTPS",
                Port=443,
                Certificates=[{"CertificateArn": certificate_arn}],
                DefaultActions=[
                    {
                        "Type": "fixed-response",
                        "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
                    }
                ],
            )["Listeners"][0]["ListenerArn"]
        )

    def imported_certificate(self, *names: str) -> str:
        """An issued certificate for `names` in ACM (imported: a self-signed one, as ACM takes any X.509)."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False)
            .sign(key, hashes.SHA256())
        )
        return str(
            self.session.client("acm").import_certificate(
                Certificate=certificate.public_bytes(serialization.Encoding.PEM),
                PrivateKey=key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                ),
            )["CertificateArn"]
        )

    def serve(self, hostnames: list[str], priority: int) -> None:
        """A listener rule forwarding `hostnames` to the service's target group."""
        self.elbv2.create_rule(
            ListenerArn=self.listener_arn,
            Priority=priority,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": hostnames}}],
            Actions=[{"Type": "forward", "TargetGroupArn": self.target_group_arn}],
        )

    def alias(self, hostname: str, target: str, target_zone_id: str) -> None:
        """An alias A record of `hostname` in the stack's zone (UPSERT: it replaces what is there)."""
        self.route53.change_resource_record_sets(
            HostedZoneId=self.zone_id,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "UPSERT",
                        "ResourceRecordSet": {
                            "Name": hostname,
                            "Type": "A",
                            "AliasTarget": {
                                "HostedZoneId": target_zone_id,
                                "DNSName": target,
                                "EvaluateTargetHealth": True,
                            },
                        },
                    }
                ]
            },
        )

    def tags(self, release_id: str | None = None, track: str | None = None) -> list[dict[str, str]]:
        tags = {"fleet:stack": self.stack, "fleet:service": self.service}
        if release_id:
            tags["fleet:release"] = release_id
        if track:
            tags[TRACK_TAG] = track
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
        self.vpc_id = vpc_id
        self.target_group_arn = self.target_group(f"{self.service}-tg", self.tags())
        self.live = self.release(LIVE_RELEASE)
        self.track(self.live)
        return self

    def target_group(self, name: str, tags: list[dict[str, str]]) -> str:
        return str(
            self.elbv2.create_target_group(
                Name=name,
                Protocol="HTTP",
                Port=8080,
                VpcId=self.vpc_id,
                TargetType="instance",
                HealthCheckPath="/healthz",
                Tags=tags,
            )["TargetGroups"][0]["TargetGroupArn"]
        )

    def add_warm(self, release_id: str, *, warm_since: datetime, minutes: int = 60) -> Release:
        """A warm previous release as the program keeps one: its own launch template and group in slot b's target
        group, its hosts healthy and out of traffic, scaling off (AlarmNotification suspended), tracked in the
        state and recorded in the outputs as `services.<name>.warm`, its window `minutes` from `warm_since`."""
        self.warm_target_group_arn = self.target_group(f"{self.service}-tgb", self.tags())
        self.warm = self.release(release_id, track=WARM_TRACK, target_group_arn=self.warm_target_group_arn)
        self.autoscaling.suspend_processes(
            AutoScalingGroupName=self.warm.asg_name, ScalingProcesses=["AlarmNotification"]
        )
        self.warm_since, self.warm_minutes = warm_since, minutes
        self.tracked.append(TrackedRelease(self.warm, role="b-release"))
        self.write_export()
        return self.warm

    def add_traffic_rule(self) -> str:
        """The service's traffic rule on its own listener: every request to the live slot's target group (and the
        canary's share to its own), at the catch-all priority the program gives it."""
        if not self.listener_arn:
            balancer = self.elbv2.create_load_balancer(Name="fleet-alb", Subnets=self.subnet_ids, Type="application")
            self.load_balancer_arn = balancer["LoadBalancers"][0]["LoadBalancerArn"]
            self.listener_arn = self.elbv2.create_listener(
                LoadBalancerArn=self.load_balancer_arn,
                Protocol="HTTP",
                Port=80,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": self.target_group_arn}],
            )["Listeners"][0]["ListenerArn"]
        self.traffic_rule_arn = self.elbv2.create_rule(
            ListenerArn=self.listener_arn,
            Priority=50000,
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["*"]}}],
            Actions=[self.forward_action()],
        )["Rules"][0]["RuleArn"]
        self.write_export()
        return self.traffic_rule_arn

    def forward_action(self, weights: dict[str, int] | None = None) -> dict[str, Any]:
        """A weighted forward: by default what the outputs say (live 100, or live 100 - w and the canary w)."""
        if weights is None:
            weights = {self.target_group_arn: 100}
            if self.canary is not None:
                weights = {self.target_group_arn: 90, self.canary_target_group_arn: 10}
        groups = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]
        return {"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}

    def switch_traffic(self, weights: dict[str, int]) -> None:
        """Change the traffic rule's forward outside Pulumi, as `fleetctl watch` does when it rolls back."""
        self.elbv2.modify_rule(RuleArn=self.traffic_rule_arn, Actions=[self.forward_action(weights)])

    def add_canary(self, release_id: str) -> Release:
        """A canary as the program creates it: a release of one host in its own target group, tagged
        `fleet:track=canary`, tracked in the state and recorded in the outputs as `services.<name>.canary`."""
        self.canary_target_group_arn = self.target_group(f"{self.service}-canary-tg", self.tags(track=CANARY_TRACK))
        self.canary = self.release(release_id, track=CANARY_TRACK)
        self.tracked.append(TrackedRelease(self.canary, role="canary"))
        self.write_export()
        return self.canary

    def release(
        self,
        release_id: str,
        *,
        http_tokens: str = "required",
        track: str | None = None,
        target_group_arn: str | None = None,
    ) -> Release:
        """A release as the program creates it: its own launch template and ASG, attached to the target group
        (a canary's: to the canary's, with one host; a warm one's: to `target_group_arn`, its slot's)."""
        template = self.ec2.create_launch_template(
            LaunchTemplateName=f"fleet-{self.stack}-{self.service}-{release_id}",
            LaunchTemplateData={
                "ImageId": AMI,
                "InstanceType": "t3.small",
                "SecurityGroupIds": [self.security_group_id],
                "MetadataOptions": {"HttpTokens": http_tokens, "HttpEndpoint": "enabled"},
                "TagSpecifications": [{"ResourceType": "instance", "Tags": self.tags(release_id, track)}],
            },
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": self.tags(release_id, track)}],
        )["LaunchTemplate"]
        asg_name = f"fleet-{self.stack}-{self.service}-{release_id}"
        hosts = 1 if track == CANARY_TRACK else 2
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=asg_name,
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"},
            MinSize=hosts,
            MaxSize=hosts if track == CANARY_TRACK else 6,
            DesiredCapacity=hosts,
            VPCZoneIdentifier=",".join(self.subnet_ids),
            TargetGroupARNs=[
                target_group_arn or (self.canary_target_group_arn if track == CANARY_TRACK else self.target_group_arn)
            ],
            Tags=[{**tag, "PropagateAtLaunch": True} for tag in self.tags(release_id, track)],
        )
        # AWS launches the ASG's instances with the template's metadata options; moto's ASG does not apply them.
        for instance_id in self.asg_instance_ids(asg_name):
            self.ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens=http_tokens)
        return Release(release_id, asg_name, template["LaunchTemplateId"], 1)

    def track(
        self,
        release: Release,
        *,
        pending_delete: bool = False,
        init_errors: list[str] | None = None,
        group: bool = True,
    ) -> None:
        """Record `release` in the stack's state, as the engine does once it has created its launch template and ASG."""
        self.tracked.append(TrackedRelease(release, pending_delete, init_errors or [], group))
        self.write_export()

    def outputs(self) -> dict[str, Any]:
        assert self.live is not None
        alarms = {} if self.alarm_names is None else {"alarms": self.alarm_names}
        canary = {} if self.canary is None else {"canary": self.canary_entry()}
        canary |= {"hostnames": self.hostnames} if self.hostnames else {}
        dns = {} if self.dns is None else {"dns": self.dns}
        warm = {} if self.warm is None else {"warm": self.warm_entry(), "warmRollbackMinutes": self.warm_minutes}
        traffic = {"trafficRuleArn": self.traffic_rule_arn} if self.traffic_rule_arn else {}
        return {
            "stack": self.stack,
            "loadBalancerDns": self.load_balancer_dns,
            **dns,
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
                        "slot": "a",
                        "since": "2026-11-20T10:00:00Z",
                    },
                    "history": [
                        {"releaseId": self.live.release_id, "version": "1.4.2"},
                        *([{"releaseId": self.warm.release_id, "version": "1.4.1"}] if self.warm else []),
                    ],
                    **alarms,
                    **canary,
                    **warm,
                    **traffic,
                }
            },
        }

    def warm_entry(self) -> dict[str, Any]:
        """`services.<name>.warm` as the program outputs it."""
        assert self.warm is not None
        assert self.warm_since is not None
        return {
            "releaseId": self.warm.release_id,
            "version": "1.4.1",
            "imageRef": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/fleet-staging-web@sha256:{'c' * 64}",
            "hostImage": AMI,
            "instanceType": "t3.small",
            "asgName": self.warm.asg_name,
            "launchTemplateId": self.warm.launch_template_id,
            "launchTemplateVersion": self.warm.launch_template_version,
            "slot": "b",
            "targetGroupArn": self.warm_target_group_arn,
            "desired": self.warm_desired,
            "warmSince": f"{self.warm_since:%Y-%m-%dT%H:%M:%SZ}",
            "retiresAt": f"{self.warm_since + timedelta(minutes=self.warm_minutes):%Y-%m-%dT%H:%M:%SZ}",
        }

    def canary_entry(self) -> dict[str, Any]:
        """`services.<name>.canary` as the program outputs it."""
        assert self.canary is not None
        return {
            "releaseId": self.canary.release_id,
            "version": "1.5.0",
            "imageRef": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/fleet-staging-web@sha256:{'b' * 64}",
            "hostImage": AMI,
            "instanceType": "t3.small",
            "asgName": self.canary.asg_name,
            "launchTemplateId": self.canary.launch_template_id,
            "launchTemplateVersion": self.canary.launch_template_version,
            "groupTrigger": self.canary.release_id,
            "slot": "c",
            "weight": 10,
            "instances": 1,
            "targetGroupArn": self.canary_target_group_arn,
            "alarms": [],
        }

    def export(self, outputs: dict[str, Any] | None = None) -> dict[str, Any]:
        """The stack's checkpoint as `pulumi stack export` prints it (apitype.UntypedDeployment, DeploymentV3)."""
        stack_urn = f"urn:pulumi:{self.stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{self.stack}"
        provider_urn = f"urn:pulumi:{self.stack}::{PROJECT}::pulumi:providers:aws::default_7_0_0"
        resources: list[dict[str, Any]] = [
            {"urn": stack_urn, "custom": False, "type": ROOT_STACK, "outputs": outputs or self.outputs()},
            {
                "urn": provider_urn,
                "custom": True,
                "id": "7c4fa3b2-0d6e-4c59-9a51-3f0e0f5d2b11",
                "type": AWS_PROVIDER,
                "parent": stack_urn,
            },
        ]
        for tracked in self.tracked:
            release = tracked.release
            name = f"{self.service}-{tracked.role}"
            parent = f"urn:pulumi:{self.stack}::{PROJECT}::{RELEASE_PARENTS}::{name}"
            template = {
                "urn": f"urn:pulumi:{self.stack}::{PROJECT}::{RELEASE_PARENTS}$aws:ec2/launchTemplate:LaunchTemplate"
                f"::{name}-launch-template",
                "custom": True,
                "id": release.launch_template_id,
                "type": LAUNCH_TEMPLATE,
                "outputs": {"id": release.launch_template_id, "latestVersion": release.launch_template_version},
                "parent": parent,
                "provider": f"{provider_urn}::7c4fa3b2-0d6e-4c59-9a51-3f0e0f5d2b11",
            }
            group = {
                "urn": f"urn:pulumi:{self.stack}::{PROJECT}::{RELEASE_PARENTS}$aws:autoscaling/group:Group"
                f"::{name}-group",
                "custom": True,
                "id": release.asg_name,
                "type": AUTOSCALING_GROUP,
                "outputs": {"id": release.asg_name, "name": release.asg_name, "arn": f"arn:{release.asg_name}"},
                "parent": parent,
                "dependencies": [template["urn"]],
                "provider": template["provider"],
            }
            if tracked.pending_delete:
                group["delete"] = True
            if tracked.init_errors:
                group["initErrors"] = tracked.init_errors
            resources += [template, group] if tracked.group else [template]
        return {
            "version": 3,
            "deployment": {
                "manifest": {"time": "2026-11-20T10:00:00.000000000Z", "magic": "0" * 64, "version": "v3.205.0"},
                "resources": resources,
            },
        }

    def with_own_export(self, export_file: Path) -> Fleet:
        """A copy of this fleet's record, with its export written to `export_file`, for a test to change the export
        of a fleet other tests share; the copy shares the fleet in AWS, which such a test must not change."""
        shared = ("session", "export_file")
        copied = {item.name: deepcopy(getattr(self, item.name)) for item in fields(self) if item.name not in shared}
        fleet = replace(self, export_file=export_file, **copied)
        fleet.write_export()
        return fleet

    def write_export(self, outputs: dict[str, Any] | None = None) -> Path:
        self.export_file.write_text(json.dumps(self.export(outputs)))
        return self.export_file

    def asg_instance_ids(self, asg_name: str) -> list[str]:
        groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg_name])["AutoScalingGroups"]
        return [instance["InstanceId"] for group in groups for instance in group["Instances"]]

    def asg_names(self) -> set[str]:
        return {
            group["AutoScalingGroupName"]
            for group in self.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        }

    def launch_template_ids(self) -> set[str]:
        return {template["LaunchTemplateId"] for template in self.ec2.describe_launch_templates()["LaunchTemplates"]}
