"""The identity a service's hosts boot with: just enough to pull the image, read settings and ship logs."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

ASSUME_BY_EC2 = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


@dataclass
class HostRoleArgs:
    region: str
    account_id: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    """The one ECR repository the service's image comes from."""
    settings_path: str
    """SSM Parameter Store path of the service's runtime settings, `/fleet/<stack>/<service>/`."""
    log_group_arn: pulumi.Input[str]
    tags: dict[str, str]


class HostRole(pulumi.ComponentResource):
    instance_profile_arn: pulumi.Output[str]

    def __init__(self, name: str, args: HostRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:host_role:HostRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        role = aws.iam.Role(f"{name}-role", assume_role_policy=ASSUME_BY_EC2, tags=args.tags, opts=child)
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(args.account_id, args.repository_arn, args.log_group_arn).apply(
                lambda values: json.dumps(host_policy(args.region, args.settings_path, *values))
            ),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(f"{name}-profile", role=role.name, tags=args.tags, opts=child)

        self.instance_profile_arn = profile.arn
        self.register_outputs({"instanceProfileArn": self.instance_profile_arn})


def host_policy(
    region: str, settings_path: str, account_id: str, repository_arn: str, log_group_arn: str
) -> dict[str, object]:
    """Least privilege: every statement is scoped to this service's repository, settings path and log group."""
    parameters = f"arn:aws:ssm:{region}:{account_id}:parameter{settings_path.rstrip('/')}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "EcrPull",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                "Resource": repository_arn,
            },
            {
                "Sid": "ReadSettings",
                "Effect": "Allow",
                # The boot script reads the parameters its release pins, by name and version, and nothing else.
                "Action": "ssm:GetParameters",
                "Resource": [parameters, f"{parameters}/*"],
            },
            {
                "Sid": "DecryptSecureSettings",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
            },
            {
                "Sid": "ShipLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
        ],
    }
