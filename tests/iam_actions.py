"""The IAM actions each resource type and invoke of the program needs, checked against iam/*.json.

`reads` are what `pulumi preview` (and refresh/diff) calls; `writes` are what `pulumi up`/`destroy` add.
Component resources (`fleet:*`) and the engine's own (`pulumi:*`, e.g. StackReference) call no AWS API.
A new resource type or invoke in the program fails tests/test_iam_policies.py until it is listed here and the
policies in iam/ grant it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.resource_types import (
    ACM_CERTIFICATE,
    AUTOSCALING_GROUP,
    CERTIFICATE_VALIDATION,
    DNS_RECORD,
    DOCKER_IMAGE,
    ECR_LIFECYCLE_POLICY,
    ECR_REGISTRY_POLICY,
    ECR_REPLICATION_CONFIGURATION,
    ECR_REPOSITORY,
    GET_AMI_IDS,
    GET_AUTHORIZATION_TOKEN,
    GET_CALLER_IDENTITY,
    GET_GROUP,
    GET_IMAGE,
    GET_PARAMETERS_BY_PATH,
    GET_SUBNETS,
    GET_VPC,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    INSTANCE_PROFILE,
    LAUNCH_TEMPLATE,
    LISTENER,
    LISTENER_CERTIFICATE,
    LISTENER_RULE,
    LOAD_BALANCER,
    LOG_GROUP,
    METRIC_ALARM,
    READ_STACK_OUTPUTS,
    SCALING_POLICY,
    SECURITY_GROUP,
    SSM_PARAMETER,
    TARGET_GROUP,
)


@dataclass(frozen=True)
class Needs:
    reads: tuple[str, ...]
    writes: tuple[str, ...] = ()


TAGGING = ("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags")

RESOURCE_ACTIONS: dict[str, Needs] = {
    # CreateLoadBalancer checks the subnets, security groups and VPC's internet gateway with the caller's rights.
    LOAD_BALANCER: Needs(
        (
            "ec2:DescribeAccountAttributes",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeAddresses",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeTags",
        ),
        (
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            *TAGGING,
        ),
    ),
    TARGET_GROUP: Needs(
        (
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTags",
        ),
        (
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            *TAGGING,
        ),
    ),
    LISTENER: Needs(
        (
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeTags",
        ),
        (
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:ModifyListener",
            *TAGGING,
        ),
    ),
    SECURITY_GROUP: Needs(
        ("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeNetworkInterfaces"),
        (
            "ec2:CreateSecurityGroup",
            "ec2:DeleteSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ),
    ),
    LAUNCH_TEMPLATE: Needs(
        ("ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"),
        (
            "ec2:CreateLaunchTemplate",
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
            "ec2:DeleteLaunchTemplate",
            "ec2:CreateTags",
            "ec2:DeleteTags",
        ),
    ),
    AUTOSCALING_GROUP: Needs(
        (
            "autoscaling:DescribeAutoScalingGroups",
            "autoscaling:DescribeScalingActivities",
            "autoscaling:DescribeLifecycleHooks",
            "autoscaling:DescribeWarmPool",
            "elasticloadbalancing:DescribeTargetHealth",
        ),
        (
            "autoscaling:CreateAutoScalingGroup",
            "autoscaling:UpdateAutoScalingGroup",
            "autoscaling:DeleteAutoScalingGroup",
            "autoscaling:SetDesiredCapacity",
            "autoscaling:AttachLoadBalancerTargetGroups",
            "autoscaling:DetachLoadBalancerTargetGroups",
            "autoscaling:CreateOrUpdateTags",
            "autoscaling:DeleteTags",
            "autoscaling:EnableMetricsCollection",
            "autoscaling:DisableMetricsCollection",
            # A warm group's suspended AlarmNotification: SuspendProcesses on create, Resume/Suspend for a change
            # (internal/service/autoscaling/group.go resourceGroupCreate, resourceGroupUpdate).
            "autoscaling:SuspendProcesses",
            "autoscaling:ResumeProcesses",
            "ec2:RunInstances",
            "ec2:CreateTags",
            "iam:PassRole",
        ),
    ),
    # The service's own alarms (fleet-<stack>-<service>-*), beside the target-tracking ones the policy makes.
    METRIC_ALARM: Needs(
        ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
    ),
    # Settings under /fleet/<stack>/<service>/; a SecureString is encrypted with the account's aws/ssm key.
    SSM_PARAMETER: Needs(
        ("ssm:DescribeParameters", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListTagsForResource"),
        (
            "ssm:PutParameter",
            "ssm:DeleteParameter",
            "ssm:AddTagsToResource",
            "ssm:RemoveTagsFromResource",
            "kms:Encrypt",
            "kms:Decrypt",
        ),
    ),
    SCALING_POLICY: Needs(
        ("autoscaling:DescribePolicies", "cloudwatch:DescribeAlarms"),
        (
            "autoscaling:PutScalingPolicy",
            "autoscaling:DeletePolicy",
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
        ),
    ),
    IAM_ROLE: Needs(
        ("iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"),
        (
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:UpdateRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
        ),
    ),
    IAM_ROLE_POLICY: Needs(("iam:GetRolePolicy",), ("iam:PutRolePolicy", "iam:DeleteRolePolicy")),
    INSTANCE_PROFILE: Needs(
        ("iam:GetInstanceProfile",),
        (
            "iam:CreateInstanceProfile",
            "iam:DeleteInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:TagInstanceProfile",
            "iam:UntagInstanceProfile",
            "iam:PassRole",
        ),
    ),
    ECR_REPOSITORY: Needs(
        ("ecr:DescribeRepositories", "ecr:ListTagsForResource"),
        (
            "ecr:CreateRepository",
            "ecr:DeleteRepository",
            "ecr:PutImageTagMutability",
            "ecr:PutImageScanningConfiguration",
            "ecr:TagResource",
            "ecr:UntagResource",
        ),
    ),
    ECR_LIFECYCLE_POLICY: Needs(("ecr:GetLifecyclePolicy",), ("ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy")),
    # terraform-provider-aws internal/service/ecr/replication_configuration.go: Put on create, update and delete
    # (an empty configuration), DescribeRegistry on read. The first Put creates ECR's replication service-linked
    # role (ECR API reference, PutReplicationConfiguration), with the caller's iam:CreateServiceLinkedRole.
    ECR_REPLICATION_CONFIGURATION: Needs(
        ("ecr:DescribeRegistry",), ("ecr:PutReplicationConfiguration", "iam:CreateServiceLinkedRole")
    ),
    # internal/service/ecr/registry_policy.go: PutRegistryPolicy, GetRegistryPolicy, DeleteRegistryPolicy.
    ECR_REGISTRY_POLICY: Needs(("ecr:GetRegistryPolicy",), ("ecr:PutRegistryPolicy", "ecr:DeleteRegistryPolicy")),
    LOG_GROUP: Needs(
        ("logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup"),
        (
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
            "logs:TagLogGroup",
            "logs:UntagLogGroup",
        ),
    ),
    # Built and pushed by the docker provider with the token of ecr:GetAuthorizationToken.
    DOCKER_IMAGE: Needs(
        ("ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer"),
        ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"),
    ),
}

RESOURCE_ACTIONS.update(
    {
        # The managed certificate: requested, read (its validation options and status), tagged, and deleted once
        # its replacement is on the listeners (internal/service/acm/certificate.go).
        ACM_CERTIFICATE: Needs(
            ("acm:DescribeCertificate", "acm:ListTagsForCertificate"),
            (
                "acm:RequestCertificate",
                "acm:DeleteCertificate",
                "acm:AddTagsToCertificate",
                "acm:RemoveTagsFromCertificate",
            ),
        ),
        # A service's host rule (and a canary's weighted forward) on a listener (internal/service/elbv2/
        # listener_rule.go): a priority change is SetRulePriorities, in place.
        LISTENER_RULE: Needs(
            ("elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags"),
            (
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
                *TAGGING,
            ),
        ),
        # Another certificate on the shared HTTPS listener, served by SNI (internal/service/elbv2/
        # listener_certificate.go).
        LISTENER_CERTIFICATE: Needs(
            ("elasticloadbalancing:DescribeListenerCertificates",),
            ("elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates"),
        ),
        # Waits, reading the certificate, until ACM has issued it; creates nothing in AWS.
        CERTIFICATE_VALIDATION: Needs(("acm:DescribeCertificate",)),
        # Alias and validation records in the stack's zone (internal/service/route53/record.go): the zone is read
        # to expand the record's name, each change is awaited with GetChange.
        DNS_RECORD: Needs(
            ("route53:GetHostedZone", "route53:ListResourceRecordSets"),
            ("route53:ChangeResourceRecordSets", "route53:GetChange"),
        ),
    }
)

INVOKE_ACTIONS: dict[str, tuple[str, ...]] = {
    GET_CALLER_IDENTITY: (),  # sts:GetCallerIdentity needs no permission
    GET_VPC: ("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"),
    GET_SUBNETS: ("ec2:DescribeSubnets",),
    GET_AUTHORIZATION_TOKEN: ("ecr:GetAuthorizationToken",),
    GET_AMI_IDS: ("autoscaling:DescribeAutoScalingGroups",),
    GET_GROUP: ("autoscaling:DescribeAutoScalingGroups",),
    # internal/service/ecr/image_data_source.go: DescribeImages by digest.
    GET_IMAGE: ("ecr:DescribeImages",),
    # internal/service/ssm/parameters_by_path_data_source.go: GetParametersByPath under /fleet-rollbacks/<stack>/,
    # authorized against the path it asks for (Systems Manager user guide, "How Parameter Store authorizes parameter
    # retrieval"): the deploy policy grants it on the role's own stack's path only.
    GET_PARAMETERS_BY_PATH: ("ssm:GetParametersByPath",),
    READ_STACK_OUTPUTS: (),  # the state backend's access, not an AWS permission of the program
}

WATCH_CALLS: dict[str, str] = {
    "cloudwatch:DescribeAlarms": "*",
    "elasticloadbalancing:DescribeTargetHealth": "*",
    "elasticloadbalancing:DescribeRules": "*",
    "ssm:PutParameter": "arn:aws:ssm:<REGION>:<ACCOUNT_ID>:parameter/fleet-rollbacks/<STACK>/web/5b1f0c9e2a7d",
    "autoscaling:UpdateAutoScalingGroup": "arn:aws:autoscaling:<REGION>:<ACCOUNT_ID>:autoScalingGroup:"
    "0d5d4e8a-2b8f-4c0e-9a51-3f4e5d6c7b8a:autoScalingGroupName/fleet-<STACK>-web-20261201000000",
    "autoscaling:ResumeProcesses": "arn:aws:autoscaling:<REGION>:<ACCOUNT_ID>:autoScalingGroup:"
    "0d5d4e8a-2b8f-4c0e-9a51-3f4e5d6c7b8a:autoScalingGroupName/fleet-<STACK>-web-20261201000000",
    "elasticloadbalancing:ModifyRule": "arn:aws:elasticloadbalancing:<REGION>:<ACCOUNT_ID>:listener-rule/app/"
    "fleet-<STACK>-lb-1a2b3c4/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
}
"""`fleetctl watch --rollback`, run by a deploy job with its stack's deploy role: each call it makes
(fleetctl/commands/watch.py `SWITCH_CALLS`) and the resource it acts on, for the stack's web service."""

ENGINE_TYPES_PREFIXES = ("fleet:", "pulumi:")

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "BatchGet", "BatchCheck")
