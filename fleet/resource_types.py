"""The Pulumi type tokens of what the program declares and the invokes it makes, as the engine, the state and the
policy pack name them: for the code that reads declarations or state by type (`fleetctl`, the policy pack, the
tests). The program itself declares through the provider's classes, which carry these tokens."""

from __future__ import annotations

AUTOSCALING_GROUP = "aws:autoscaling/group:Group"
SCALING_POLICY = "aws:autoscaling/policy:Policy"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
LISTENER_CERTIFICATE = "aws:lb/listenerCertificate:ListenerCertificate"
ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
DNS_RECORD = "aws:route53/record:Record"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_LIFECYCLE_POLICY = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
ECR_REPLICATION_CONFIGURATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
ECR_REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
DOCKER_IMAGE = "docker:index/image:Image"
ROOT_STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
AWS_PROVIDER = "pulumi:providers:aws"

# Invokes (lookups): what the program reads before it declares anything.
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
GET_VPC = "aws:ec2/getVpc:getVpc"
GET_SUBNETS = "aws:ec2/getSubnets:getSubnets"
GET_AUTHORIZATION_TOKEN = "aws:ecr/getAuthorizationToken:getAuthorizationToken"
GET_AMI_IDS = "aws:autoscaling/getAmiIds:getAmiIds"
GET_GROUP = "aws:autoscaling/getGroup:getGroup"
GET_IMAGE = "aws:ecr/getImage:getImage"
GET_PARAMETERS_BY_PATH = "aws:ssm/getParametersByPath:getParametersByPath"
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's builtin invoke behind StackReference (pulumi/pulumi pkg/resource/deploy/builtins.go,
`readStackReference`): the outputs of a stack's last update. A failed update writes over them what the program
registered, if anything (pulumi/pulumi pkg/resource/deploy/step_executor.go, since v3.112; tests/engine_model.py
rule 7)."""
