"""What the audit knows about a deployed fleet: the stack's state and AWS, read into plain dataclasses.

Reading AWS is kept apart from judging it (fleetctl/audit_rules.py) so the rules are pure functions of these
facts, and so every AWS call the audit makes is in this one module.

The stack's state is its checkpoint, as `pulumi stack export` prints it: `{"version": 3, "deployment":
{"resources": [...]}}`, each resource with `urn`, `type`, `id`, `outputs` and the engine's marks `delete`,
`pendingReplacement` and `initErrors` (pulumi/pulumi sdk/go/common/apitype/core.go, `UntypedDeployment`,
`DeploymentV3`, `ResourceV3`). The stack outputs are the root `pulumi:pulumi:Stack` resource's `outputs` in it,
which is where `pulumi stack output` reads them (pkg/resource/stack/checkpoint.go `GetRootStackResource`): one
read gives the audit the live releases and everything the engine tracks, from the same snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fleet.names import CANARY_TRACK, STACK_TAG, WARM_TRACK
from fleet.outputs import (
    LOAD_BALANCER_DNS,
    SERVICES,
    STACK,
    CanaryRelease,
    DeployedRelease,
    OutputsError,
    ServiceOutputs,
    WarmRelease,
    output_key,
    parse_dns,
    parse_registry,
    parse_service,
    parse_services,
)
from fleet.resource_types import AUTOSCALING_GROUP, ECR_REGISTRY_POLICY, LAUNCH_TEMPLATE, ROOT_STACK
from fleetctl.errors import CommandError
from fleetctl.traffic import Forward, expected_shares, forwards_of
from fleetctl.warm import parse_time

# EC2 tags every instance launched from a launch template with these: the only record of what it was built from.
TEMPLATE_ID_TAG = "aws:ec2launchtemplate:id"
TEMPLATE_VERSION_TAG = "aws:ec2launchtemplate:version"
# Instances in these states cost money or serve traffic; terminated ones are history.
LIVE_INSTANCE_STATES = ("pending", "running", "stopping", "stopped")
# How findings name a service's main release, whose resources carry no `fleet:track` tag (a canary's: CANARY_TRACK).
LIVE_TRACK = "live"
# describe_alarms takes at most 100 names a call.
ALARM_NAMES_PER_CALL = 100


@dataclass(frozen=True)
class LiveRelease:
    """A release of one of the stack's services, as the stack outputs record it: the service's live release, its
    canary (`services.<name>.canary`), which serves a share of the requests from its own target group, or its warm
    previous release (`services.<name>.warm`), healthy in its own slot's target group and out of traffic."""

    service: str
    release_id: str
    asg_name: str
    launch_template_id: str
    launch_template_version: int
    target_group_arn: str
    # `services.<name>.alarms` in the outputs; stacks deployed before alarms existed have none.
    alarm_names: tuple[str, ...] = ()
    track: str = LIVE_TRACK
    warm: WarmRelease | None = None
    """A warm release's record (its window, its pinned capacity); None for a live or canary release."""
    traffic_rule_arn: str | None = None
    """The live release's: its service's traffic rule (`trafficRuleArn`), where the outputs record one."""
    weight: int | None = None
    """A canary's: its share of the requests."""

    @property
    def role(self) -> str:
        """How findings name it: `live release` or `canary release`."""
        return f"{self.track} release"


@dataclass(frozen=True)
class TrackedResource:
    """A resource the stack's state tracks, with the marks the engine left on it."""

    urn: str
    # The physical id: an ASG's name (terraform-provider-aws `resourceGroupCreate` sets it to the name before it
    # waits for capacity), a launch template's `lt-...` id.
    id: str
    # `delete`: a replacement was created, so the engine deletes this one at the end of the next successful update
    # (pkg/resource/deploy/step.go `CreateStep.Apply`), even if the replacement never became healthy.
    pending_delete: bool
    # `pendingReplacement`: deleted before its replacement was created (delete-before-replace).
    pending_replacement: bool
    # `initErrors`: created (or updated) but not initialized, e.g. an ASG whose capacity wait timed out.
    init_errors: tuple[str, ...]


@dataclass(frozen=True)
class StackState:
    """What the stack's checkpoint says: its outputs, and the ASGs (by name) and launch templates (by id) it tracks."""

    outputs: Mapping[str, Any]
    asgs: Mapping[str, TrackedResource]
    launch_templates: Mapping[str, TrackedResource]
    registry_policies: tuple[str, ...] = ()
    """The policy documents of the registry policies the state tracks: a consumer's grant (`RegistryGrant`)."""


@dataclass(frozen=True)
class AutoScalingGroup:
    name: str
    created: datetime
    instance_ids: tuple[str, ...]
    tags: Mapping[str, str]
    # A force delete is asynchronous: the group lingers, terminating its instances, for a few minutes.
    deleting: bool
    # The launch template it launches from (directly or in a mixed instances policy); None for a launch config.
    launch_template_id: str | None


@dataclass(frozen=True)
class Instance:
    id: str
    state: str
    launched: datetime
    # (launch template id, version) the instance was launched from; None when it was not launched from one.
    launch_template: tuple[str, int] | None
    security_group_ids: tuple[str, ...]
    tags: Mapping[str, str]
    instance_type: str
    image_id: str
    # The instance's own metadata options, which `modify-instance-metadata-options` changes after launch.
    http_tokens: str | None


@dataclass(frozen=True)
class Target:
    """A target registered in a target group and its health as the load balancer sees it."""

    id: str
    state: str
    reason: str | None


@dataclass(frozen=True)
class LaunchTemplateVersion:
    template_id: str
    template_name: str
    version: int
    http_tokens: str | None
    security_group_ids: tuple[str, ...]
    tags: Mapping[str, str]
    # None when the version leaves it to the launch request (or, for the image, to an SSM parameter).
    image_id: str | None
    instance_type: str | None


@dataclass(frozen=True)
class PortRule:
    """One ingress permission of a security group: protocol, port range (None = all ports), sources."""

    protocol: str
    from_port: int | None
    to_port: int | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str
    ingress: tuple[PortRule, ...]


@dataclass(frozen=True)
class Alarm:
    name: str
    state: str
    reason: str


@dataclass(frozen=True)
class ServiceFacts:
    release: LiveRelease
    asg: AutoScalingGroup | None
    # None when the target group itself is gone.
    targets: tuple[Target, ...] | None


@dataclass(frozen=True)
class TrafficFacts:
    """A service's traffic rule (`trafficRuleArn`) as the load balancer has it, beside what the outputs say."""

    service: str
    rule_arn: str
    forwards: tuple[Forward, ...] | None
    """None: the rule does not exist."""
    expected: Mapping[str, int]
    """Percent of the requests per target group the outputs say it sends."""
    roles: Mapping[str, str]
    """How findings name each of the service's target groups: `live release <id>`, `warm release <id>`..."""


@dataclass(frozen=True)
class DnsRecord:
    """A record set of the stack's zone, its names as Route 53 lists them made comparable: lower case, no trailing
    dot, `\\052` read as the `*` of a wildcard, an alias target without the `dualstack.` Route 53 may prefix."""

    name: str
    type: str
    alias_target: str | None
    values: tuple[str, ...]


@dataclass(frozen=True)
class DnsFacts:
    """The stack's names (its `dns` output) and what Route 53 and the load balancer say of them."""

    zone_id: str
    zone_name: str
    """What the outputs (the stack's `fleet:dns.zoneName`) call the zone."""
    hostnames: tuple[tuple[str, str], ...]
    """(hostname, service) the stack points at its load balancer."""
    load_balancer_dns: str
    # None when the zone does not exist (any more).
    actual_zone_name: str | None
    records: tuple[DnsRecord, ...]
    # The host-header values of every rule of the load balancer's listeners; None when the load balancer is gone.
    served_hosts: tuple[str, ...] | None


@dataclass(frozen=True)
class ServedCertificate:
    """A certificate an HTTPS listener of the stack's load balancer presents (by default or by SNI)."""

    arn: str
    listener_port: int
    names: tuple[str, ...]
    """Its DomainName and SubjectAlternativeNames, lower case; none when ACM does not know it (deleted)."""
    status: str
    """ACM's `Status` (ISSUED, PENDING_VALIDATION, EXPIRED...), `MISSING` when ACM does not know the ARN."""


@dataclass(frozen=True)
class FleetFacts:
    stack: str
    services: tuple[ServiceFacts, ...]
    # Every ASG tagged with the stack, plus the live ones even if their tags were lost.
    asgs: tuple[AutoScalingGroup, ...]
    instances: Mapping[str, Instance]
    launch_template_versions: tuple[LaunchTemplateVersion, ...]
    security_groups: Mapping[str, SecurityGroup]
    # What the stack's state tracks: never an orphan, whatever AWS says.
    tracked_asgs: Mapping[str, TrackedResource]
    tracked_launch_template_ids: frozenset[str]
    # The services' alarms found in CloudWatch, by name.
    alarms: Mapping[str, Alarm]
    # The stack's zone, records and served hostnames; None for a stack without `fleet:dns`.
    dns: DnsFacts | None = None
    # (hostname, service) of every service with hostnames, from the outputs.
    hostnames: tuple[tuple[str, str], ...] = ()
    # What the load balancer's HTTPS listeners present; None when no service has hostnames or no load balancer has
    # the outputs' DNS name.
    certificates: tuple[ServedCertificate, ...] | None = None
    registry: RegistryFacts | None = None
    """The stack's registry settings, read only for a stack that replicates or grants replication."""
    traffic: tuple[TrafficFacts, ...] = ()
    """The traffic rule of each service whose outputs record one."""


@dataclass(frozen=True)
class RegistryFacts:
    """A registry's replication rules and policy as ECR reports them, beside what the stack deployed."""

    consumers: tuple[tuple[str, str], ...]
    """(account, region) of each consumer in the stack's `registry` output: where its rule should replicate."""
    repository_prefix: str | None
    destinations: frozenset[tuple[str, str, str]]
    """(repository filter, account, region) of every replication destination ECR has for the registry."""
    deployed_policies: tuple[str, ...]
    """The registry policies the stack's state tracks (its grant), as documents."""
    policy: str | None
    """The registry's policy in ECR; None when it has none."""


def stack_state(export: Mapping[str, Any], stack: str) -> StackState:
    """The outputs and the tracked ASGs and launch templates in a `pulumi stack export` of `stack`."""
    deployment = export.get("deployment")
    if not isinstance(deployment, dict):
        raise CommandError("the stack export has no `deployment` object: is it `pulumi stack export` output?")
    resources = deployment.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(resource, dict) for resource in resources):
        raise CommandError("the stack export's `deployment.resources` must be a list of objects")
    outputs: Mapping[str, Any] = {}
    for resource in resources:
        if resource.get("type") == ROOT_STACK and not resource.get("parent"):
            exported_stack = _urn_stack(str(resource.get("urn", "")))
            if exported_stack != stack.rsplit("/", 1)[-1]:
                raise CommandError(f"the stack export is of stack {exported_stack!r}, not {stack!r}")
            outputs = resource.get("outputs") or {}
    return StackState(
        outputs=outputs,
        asgs=_tracked(resources, AUTOSCALING_GROUP),
        launch_templates=_tracked(resources, LAUNCH_TEMPLATE),
        registry_policies=tuple(
            str(resource["outputs"]["policy"])
            for resource in resources
            if resource.get("type") == ECR_REGISTRY_POLICY
            and isinstance(resource.get("outputs"), dict)
            and isinstance(resource["outputs"].get("policy"), str)
            and not resource.get("delete")
        ),
    )


def _urn_stack(urn: str) -> str:
    """The stack of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def _tracked(resources: Iterable[Mapping[str, Any]], resource_type: str) -> dict[str, TrackedResource]:
    """Every resource of the type with a physical id; a replaced one and its replacement are both listed."""
    tracked = (
        TrackedResource(
            urn=str(resource.get("urn", "")),
            id=resource["id"],
            pending_delete=resource.get("delete") is True,
            pending_replacement=resource.get("pendingReplacement") is True,
            init_errors=tuple(str(error) for error in resource.get("initErrors") or ()),
        )
        for resource in resources
        if resource.get("type") == resource_type and isinstance(resource.get("id"), str) and resource["id"]
    )
    return {resource.id: resource for resource in tracked}


def live_releases(outputs: Mapping[str, Any], stack: str) -> tuple[LiveRelease, ...]:
    """The releases serving each service in `outputs` (its live one, and its canary if it has one), checked against
    the stack-outputs contract."""
    if outputs.get(STACK, stack) != stack:
        raise CommandError(f"the outputs are for stack {outputs[STACK]!r}, not {stack!r}")
    services = outputs.get(SERVICES)
    if not isinstance(services, dict):
        raise CommandError("stack outputs have no `services` object: is this a fleet stack?")
    return tuple(release for name, service in sorted(services.items()) for release in _serving_releases(name, service))


def _serving_releases(name: str, service: Any) -> list[LiveRelease]:
    """The service's live release, and its warm and canary releases when it has them."""
    try:
        outputs = parse_service(service, name)
    except OutputsError as error:
        raise CommandError(f"stack outputs: {error}") from error
    where = f"{SERVICES}.{name}"
    releases = [_release(name, outputs.release, f"{where}.release", outputs, where)]
    if outputs.warm is not None:
        warm_where = f"{where}.warm"
        # Its window must be readable: the rules judge it.
        parse_time(outputs.warm.retires_at, f"{warm_where}.{output_key(WarmRelease, 'retires_at')}")
        releases.append(_release(name, outputs.warm, warm_where, outputs.warm, warm_where))
    if outputs.canary is not None:
        canary_where = f"{where}.canary"
        releases.append(_release(name, outputs.canary, canary_where, outputs.canary, canary_where))
    return releases


def _release(
    name: str,
    release: DeployedRelease | None,
    where: str,
    owner: ServiceOutputs | DeployedRelease,
    owner_where: str,
) -> LiveRelease:
    """A release in a role; its target group and alarms are `owner`'s: the service's for live, its own for a warm
    release (which has no alarms) or a canary."""
    if release is None:
        raise CommandError(f"stack outputs: {where} must be an object")
    required = {
        f"{where}.{release.key_of(attribute)}": getattr(release, attribute)
        for attribute in ("release_id", "asg_name", "launch_template_id")
    }
    required[f"{owner_where}.{output_key(type(owner), 'target_group_arn')}"] = owner.target_group_arn
    for key, value in required.items():
        if not value:
            raise CommandError(f"stack outputs: {key} must be a non-empty string")
    version = release.launch_template_version
    if version is None or version < 1:
        raise CommandError(
            f"stack outputs: {where}.{release.key_of('launch_template_version')} must be a positive integer"
        )
    return LiveRelease(
        service=name,
        release_id=str(release.release_id),
        asg_name=str(release.asg_name),
        launch_template_id=str(release.launch_template_id),
        launch_template_version=version,
        target_group_arn=str(owner.target_group_arn),
        alarm_names=getattr(owner, "alarms", ()),
        track=_track(release),
        warm=release if isinstance(release, WarmRelease) else None,
        traffic_rule_arn=owner.traffic_rule_arn if isinstance(owner, ServiceOutputs) else None,
        weight=release.weight if isinstance(release, CanaryRelease) else None,
    )


def _track(release: DeployedRelease) -> str:
    if isinstance(release, CanaryRelease):
        return CANARY_TRACK
    return WARM_TRACK if isinstance(release, WarmRelease) else LIVE_TRACK


def gather_facts(session: Any, stack: str, releases: Iterable[LiveRelease], state: StackState) -> FleetFacts:
    """Read everything the audit rules look at, with a handful of describe calls per service."""
    releases = tuple(releases)
    ec2 = session.client("ec2")
    autoscaling = session.client("autoscaling")
    elbv2 = session.client("elbv2")

    named = sorted({release.asg_name for release in releases} | set(state.asgs))
    asgs = _auto_scaling_groups(autoscaling, stack, named)
    asgs_by_name = {asg.name: asg for asg in asgs}
    services = tuple(
        ServiceFacts(release, asgs_by_name.get(release.asg_name), _targets(elbv2, release.target_group_arn))
        for release in releases
    )
    member_ids = {instance_id for asg in asgs for instance_id in asg.instance_ids}
    target_ids = {target.id for service in services for target in service.targets or () if target.id.startswith("i-")}
    instances = _instances(ec2, stack, member_ids | target_ids)
    template_ids = (
        {release.launch_template_id for release in releases}
        | {instance.launch_template[0] for instance in instances.values() if instance.launch_template}
        | {asg.launch_template_id for asg in asgs if asg.launch_template_id}
        | _tagged_template_ids(ec2, stack)
    )
    versions = tuple(version for template_id in sorted(template_ids) for version in _versions(ec2, template_id))
    group_ids = {group for instance in instances.values() for group in instance.security_group_ids} | {
        group for version in versions for group in version.security_group_ids
    }
    return FleetFacts(
        stack=stack,
        services=services,
        asgs=asgs,
        instances=instances,
        launch_template_versions=versions,
        security_groups=_security_groups(ec2, group_ids),
        tracked_asgs=state.asgs,
        tracked_launch_template_ids=frozenset(state.launch_templates),
        alarms=_alarms(session.client("cloudwatch"), [name for release in releases for name in release.alarm_names]),
        dns=_dns(session, state.outputs),
        **_names(session, state.outputs),
        registry=_registry(session, state),
        traffic=_traffic(elbv2, releases),
    )


def _traffic(elbv2: Any, releases: tuple[LiveRelease, ...]) -> tuple[TrafficFacts, ...]:
    """Each service's traffic rule, where the outputs record one (stacks deployed before warm releases do not)."""
    found = []
    for service in sorted({release.service for release in releases}):
        roles = {release.track: release for release in releases if release.service == service}
        live, canary = roles[LIVE_TRACK], roles.get(CANARY_TRACK)
        if live.traffic_rule_arn is None:
            continue
        canary_share = None if canary is None else (canary.target_group_arn, canary.weight or 0)
        found.append(
            TrafficFacts(
                service=service,
                rule_arn=live.traffic_rule_arn,
                forwards=rule_forwards(elbv2, live.traffic_rule_arn),
                expected=expected_shares(live.target_group_arn, canary_share),
                roles={release.target_group_arn: release.role + f" {release.release_id}" for release in roles.values()},
            )
        )
    return tuple(found)


def rule_forwards(elbv2: Any, rule_arn: str) -> tuple[Forward, ...] | None:
    """Where a listener rule forwards, as the load balancer has it; None when the rule does not exist."""
    try:
        (rule,) = elbv2.describe_rules(RuleArns=[rule_arn])["Rules"]
    except elbv2.exceptions.RuleNotFoundException:
        return None
    return forwards_of(rule.get("Actions", []))


def _registry(session: Any, state: StackState) -> RegistryFacts | None:
    """ECR's replication rules and registry policy, for a stack that declared either (`fleet.replication`)."""
    try:
        registry = parse_registry(state.outputs)
    except OutputsError as error:
        raise CommandError(f"stack outputs: {error}") from error
    if registry is None and not state.registry_policies:
        return None
    ecr = session.client("ecr")
    rules = ecr.describe_registry().get("replicationConfiguration", {}).get("rules", [])
    destinations = frozenset(
        (repository_filter["filter"], destination["registryId"], destination["region"])
        for rule in rules
        for repository_filter in rule.get("repositoryFilters", [])
        for destination in rule.get("destinations", [])
    )
    try:
        policy: str | None = ecr.get_registry_policy()["policyText"]
    except ecr.exceptions.RegistryPolicyNotFoundException:
        policy = None
    consumers = registry.consumers if registry else ()
    return RegistryFacts(
        consumers=tuple((str(consumer.account), str(consumer.region)) for consumer in consumers),
        repository_prefix=registry.repository_prefix if registry else None,
        destinations=destinations,
        deployed_policies=state.registry_policies,
        policy=policy,
    )


def _names(session: Any, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The services' hostnames and the certificates the load balancer presents for them."""
    try:
        services = parse_services(outputs)
    except OutputsError as error:
        raise CommandError(f"the stack's outputs are not fleet's: {error}") from error
    hostnames = tuple((h, name) for name, service in services.items() for h in service.hostnames or ())
    load_balancer_dns = outputs.get(LOAD_BALANCER_DNS)
    if not hostnames or not isinstance(load_balancer_dns, str):
        return {"hostnames": hostnames}
    elbv2 = session.client("elbv2")
    arn = _load_balancer_arn(elbv2, dns_name(load_balancer_dns))
    if arn is None:
        return {"hostnames": hostnames}
    acm = session.client("acm")
    served = []
    for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
        if listener["Protocol"] != "HTTPS":
            continue
        pages = elbv2.get_paginator("describe_listener_certificates").paginate(ListenerArn=listener["ListenerArn"])
        arns = dict.fromkeys(c["CertificateArn"] for page in pages for c in page["Certificates"])
        served += [_served_certificate(acm, certificate, listener["Port"]) for certificate in arns]
    return {"hostnames": hostnames, "certificates": tuple(served)}


def _served_certificate(acm: Any, arn: str, port: int) -> ServedCertificate:
    try:
        certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    except acm.exceptions.ResourceNotFoundException:
        return ServedCertificate(arn, port, (), "MISSING")
    names = [certificate["DomainName"], *certificate.get("SubjectAlternativeNames", ())]
    return ServedCertificate(arn, port, tuple(dict.fromkeys(n.lower() for n in names)), certificate["Status"])


def _dns(session: Any, outputs: Mapping[str, Any]) -> DnsFacts | None:
    """The zone's records and the load balancer's host rules, when the stack has a zone."""
    try:
        dns = parse_dns(outputs)
    except OutputsError as error:
        raise CommandError(f"the stack's outputs are not fleet's: {error}") from error
    load_balancer_dns = outputs.get(LOAD_BALANCER_DNS)
    if dns is None or not dns.zone_id or not dns.zone_name or not isinstance(load_balancer_dns, str):
        return None
    route53 = session.client("route53")
    records: tuple[DnsRecord, ...] = ()
    try:
        zone = route53.get_hosted_zone(Id=dns.zone_id)["HostedZone"]
    except route53.exceptions.NoSuchHostedZone:
        zone = None
    else:
        pages = route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=dns.zone_id)
        records = tuple(_record(raw) for page in pages for raw in page["ResourceRecordSets"])
    return DnsFacts(
        zone_id=dns.zone_id,
        zone_name=dns.zone_name,
        hostnames=dns.hostnames,
        load_balancer_dns=dns_name(load_balancer_dns),
        actual_zone_name=dns_name(zone["Name"]) if zone else None,
        records=records,
        served_hosts=_served_hosts(session.client("elbv2"), dns_name(load_balancer_dns)),
    )


def dns_name(name: str) -> str:
    """A DNS name as the audit compares names: lower case, no trailing dot, Route 53's `\\052` as `*`."""
    return name.replace("\\052", "*").rstrip(".").lower()


def _record(raw: Mapping[str, Any]) -> DnsRecord:
    alias = raw.get("AliasTarget")
    return DnsRecord(
        name=dns_name(raw["Name"]),
        type=raw["Type"],
        alias_target=dns_name(alias["DNSName"]).removeprefix("dualstack.") if alias else None,
        values=tuple(record["Value"] for record in raw.get("ResourceRecords", ())),
    )


def _load_balancer_arn(elbv2: Any, load_balancer_dns: str) -> str | None:
    """The stack's load balancer, found by the DNS name the outputs record; None when none has it."""
    pages = elbv2.get_paginator("describe_load_balancers").paginate()
    arns = [
        balancer["LoadBalancerArn"]
        for page in pages
        for balancer in page["LoadBalancers"]
        if dns_name(balancer["DNSName"]) == load_balancer_dns
    ]
    return arns[0] if arns else None


def _served_hosts(elbv2: Any, load_balancer_dns: str) -> tuple[str, ...] | None:
    """Every host-header value of the rules of the load balancer's listeners; None when the load balancer is gone."""
    arn = _load_balancer_arn(elbv2, load_balancer_dns)
    if arn is None:
        return None
    hosts = []
    for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
        for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
            for condition in rule.get("Conditions", ()):
                if condition.get("Field") == "host-header":
                    config = condition.get("HostHeaderConfig") or {}
                    hosts += [dns_name(value) for value in config.get("Values") or condition.get("Values") or ()]
    return tuple(hosts)


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in items or ()}


def _utc(moment: datetime) -> datetime:
    """AWS timestamps are UTC; some emulators omit the zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _auto_scaling_groups(autoscaling: Any, stack: str, live_names: list[str]) -> tuple[AutoScalingGroup, ...]:
    pages = autoscaling.get_paginator("describe_auto_scaling_groups")
    tagged = pages.paginate(Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}])
    named = pages.paginate(AutoScalingGroupNames=live_names) if live_names else []
    groups = {
        group["AutoScalingGroupName"]: AutoScalingGroup(
            name=group["AutoScalingGroupName"],
            created=_utc(group["CreatedTime"]),
            instance_ids=tuple(instance["InstanceId"] for instance in group.get("Instances", ())),
            tags=_tags(group.get("Tags")),
            deleting=group.get("Status") == "Delete in progress",
            launch_template_id=_group_template_id(group),
        )
        for result in (tagged, named)
        for page in result
        for group in page["AutoScalingGroups"]
    }
    return tuple(groups[name] for name in sorted(groups))


def _group_template_id(group: Mapping[str, Any]) -> str | None:
    mixed = group.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification", {})
    template = group.get("LaunchTemplate") or mixed
    return template.get("LaunchTemplateId")


def _targets(elbv2: Any, target_group_arn: str) -> tuple[Target, ...] | None:
    try:
        descriptions = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    except elbv2.exceptions.TargetGroupNotFoundException:
        return None
    return tuple(
        Target(
            id=description["Target"]["Id"],
            state=description["TargetHealth"]["State"],
            reason=description["TargetHealth"].get("Reason"),
        )
        for description in descriptions["TargetHealthDescriptions"]
    )


def _instances(ec2: Any, stack: str, instance_ids: set[str]) -> dict[str, Instance]:
    """The stack's tagged instances plus the given ones (ASG members, targets), whatever their tags."""
    live = {"Name": "instance-state-name", "Values": list(LIVE_INSTANCE_STATES)}
    filter_sets = [[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}, live]]
    if instance_ids:
        filter_sets.append([{"Name": "instance-id", "Values": sorted(instance_ids)}, live])
    pages = ec2.get_paginator("describe_instances")
    instances = (
        _instance(raw)
        for filters in filter_sets
        for page in pages.paginate(Filters=filters)
        for reservation in page["Reservations"]
        for raw in reservation["Instances"]
    )
    return {instance.id: instance for instance in instances}


def _instance(raw: Mapping[str, Any]) -> Instance:
    tags = _tags(raw.get("Tags"))
    template_id, version = tags.get(TEMPLATE_ID_TAG), tags.get(TEMPLATE_VERSION_TAG, "")
    return Instance(
        id=raw["InstanceId"],
        state=raw["State"]["Name"],
        launched=_utc(raw["LaunchTime"]),
        launch_template=(template_id, int(version)) if template_id and version.isdigit() else None,
        security_group_ids=tuple(group["GroupId"] for group in raw.get("SecurityGroups", ())),
        tags=tags,
        instance_type=raw.get("InstanceType", ""),
        image_id=raw.get("ImageId", ""),
        http_tokens=raw.get("MetadataOptions", {}).get("HttpTokens"),
    )


def _tagged_template_ids(ec2: Any, stack: str) -> set[str]:
    pages = ec2.get_paginator("describe_launch_templates")
    return {
        template["LaunchTemplateId"]
        for page in pages.paginate(Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [stack]}])
        for template in page["LaunchTemplates"]
    }


def _versions(ec2: Any, template_id: str) -> list[LaunchTemplateVersion]:
    """Every version of one launch template; none when it no longer exists (the rules report that)."""
    try:
        templates = ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"]
        if not templates:  # AWS answers an unknown id with NotFound, moto with an empty list
            return []
        pages = ec2.get_paginator("describe_launch_template_versions").paginate(LaunchTemplateId=template_id)
        raw_versions = [version for page in pages for version in page["LaunchTemplateVersions"]]
    except ec2.exceptions.ClientError as error:
        if error.response["Error"]["Code"].startswith("InvalidLaunchTemplate"):
            return []
        raise
    tags = _tags(templates[0].get("Tags"))
    return [
        LaunchTemplateVersion(
            template_id=template_id,
            template_name=raw["LaunchTemplateName"],
            version=raw["VersionNumber"],
            http_tokens=raw["LaunchTemplateData"].get("MetadataOptions", {}).get("HttpTokens"),
            security_group_ids=_template_group_ids(raw["LaunchTemplateData"]),
            tags=tags,
            image_id=raw["LaunchTemplateData"].get("ImageId"),
            instance_type=raw["LaunchTemplateData"].get("InstanceType"),
        )
        for raw in raw_versions
    ]


def _template_group_ids(data: Mapping[str, Any]) -> tuple[str, ...]:
    interface_groups = [
        group for interface in data.get("NetworkInterfaces", ()) for group in interface.get("Groups", ())
    ]
    return tuple(dict.fromkeys([*data.get("SecurityGroupIds", ()), *interface_groups]))


def _security_groups(ec2: Any, group_ids: set[str]) -> dict[str, SecurityGroup]:
    if not group_ids:
        return {}
    pages = ec2.get_paginator("describe_security_groups")
    return {
        raw["GroupId"]: SecurityGroup(
            id=raw["GroupId"],
            name=raw["GroupName"],
            ingress=tuple(_port_rule(permission) for permission in raw.get("IpPermissions", ())),
        )
        for page in pages.paginate(Filters=[{"Name": "group-id", "Values": sorted(group_ids)}])
        for raw in page["SecurityGroups"]
    }


def _port_rule(permission: Mapping[str, Any]) -> PortRule:
    sources = (
        *(item["CidrIp"] for item in permission.get("IpRanges", ())),
        *(item["CidrIpv6"] for item in permission.get("Ipv6Ranges", ())),
        *(item["PrefixListId"] for item in permission.get("PrefixListIds", ())),
        *(item["GroupId"] for item in permission.get("UserIdGroupPairs", ())),
    )
    protocol = permission["IpProtocol"]
    all_ports = protocol == "-1" or "FromPort" not in permission or permission["FromPort"] == -1
    return PortRule(
        protocol=protocol,
        from_port=None if all_ports else permission["FromPort"],
        to_port=None if all_ports else permission["ToPort"],
        sources=sources,
    )


def _alarms(cloudwatch: Any, names: list[str]) -> dict[str, Alarm]:
    """The named metric alarms that exist; a name CloudWatch does not know is simply absent."""
    chunks = [names[start : start + ALARM_NAMES_PER_CALL] for start in range(0, len(names), ALARM_NAMES_PER_CALL)]
    pages = cloudwatch.get_paginator("describe_alarms")
    return {
        raw["AlarmName"]: Alarm(name=raw["AlarmName"], state=raw["StateValue"], reason=raw.get("StateReason", ""))
        for chunk in chunks
        for page in pages.paginate(AlarmNames=chunk, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        for raw in [*page.get("MetricAlarms", ()), *page.get("CompositeAlarms", ())]
    }
