"""The audit's rules: pure functions from the facts about a fleet to findings, one function per property.

Each rule states one property an immutable fleet keeps between deploys; a finding is a place where the live
fleet has drifted from what the stack deployed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import NamedTuple

from fleet.names import RELEASE_TAG, SERVICE_TAG, STACK_TAG
from fleetctl.audit_facts import (
    AutoScalingGroup,
    DnsFacts,
    FleetFacts,
    Instance,
    LaunchTemplateVersion,
    PortRule,
)
from fleetctl.traffic import shares
from fleetctl.warm import Window

SSH_PORT = 22
INTERNET = frozenset({"0.0.0.0/0", "::/0"})
# A launch template may name its image as an SSM parameter, resolved at launch: nothing to compare with.
SSM_IMAGE_PREFIX = "resolve:ssm:"
# CloudWatch's state of a breached alarm; OK and INSUFFICIENT_DATA (no traffic yet) are not findings.
ALARM_STATE = "ALARM"
# Longest engine error quoted in a finding: the first line says what failed.
MAX_ERROR_LENGTH = 200
# A target in these states serves traffic (or is about to); any other state means the fleet is short of hosts.
SERVING_TARGET_STATES = frozenset({"healthy", "initial"})
UNKNOWN_SERVICE = "-"
# ACM's status of a certificate a listener can present.
ISSUED = "ISSUED"
# Only a running host is detached: a pending one may be an ASG launch newer than the ASG listing the audit read.
DETACHED_STATE = "running"


@dataclass(frozen=True)
class Finding:
    kind: str
    service: str
    resource: str
    detail: str


class Orphans(NamedTuple):
    """The orphan ASGs `--cleanup` may act on, by age; those already being deleted are in neither list."""

    old: list[str]
    # Younger than the minimum age: possibly the new release of a `pulumi up` still running, never deleted.
    young: list[str]
    # The launch templates only the old orphans use, untracked by the stack's state: deleted with them.
    launch_templates: list[str]


def audit(facts: FleetFacts, *, now: datetime, max_age: timedelta, min_orphan_age: timedelta) -> list[Finding]:
    """All findings, rule by rule. `now` is a parameter so the age rules can be checked at any date."""
    rules: list[Callable[[FleetFacts], Iterator[Finding]]] = [
        missing_resources,
        stray_instances,
        detached_instances,
        orphan_asgs(now, min_orphan_age),
        tracked_asgs,
        old_instances(now, max_age),
        ssh_open,
        open_to_internet,
        imdsv1,
        mutated_instances,
        unhealthy_targets,
        alarms,
        dns_records,
        unserved_hostnames,
        certificates,
        replication,
        registry_grant,
        overdue_warm_releases(now),
        traffic_rules,
    ]
    return [finding for rule in rules for finding in rule(facts)]


def orphans(facts: FleetFacts, *, now: datetime, min_age: timedelta) -> Orphans:
    """The orphan ASGs not already being deleted; `--cleanup` deletes exactly the old ones."""
    candidates = [asg for asg in _orphan_asgs(facts) if not asg.deleting]
    old = [asg for asg in candidates if not _young(asg, now, min_age)]
    return Orphans(
        old=[asg.name for asg in old],
        young=[asg.name for asg in candidates if _young(asg, now, min_age)],
        launch_templates=_launch_templates_only_of(facts, old),
    )


def missing_resources(facts: FleetFacts) -> Iterator[Finding]:
    """What the outputs say is live but AWS no longer has: the service is down or half-deleted."""
    template_versions = {(version.template_id, version.version) for version in facts.launch_template_versions}
    for service in facts.services:
        release = service.release
        if service.asg is None:
            yield Finding("missing-asg", release.service, release.asg_name, f"the {release.role}'s ASG does not exist")
        if service.targets is None:
            yield Finding(
                "missing-target-group", release.service, release.target_group_arn, "the target group does not exist"
            )
        if (release.launch_template_id, release.launch_template_version) not in template_versions:
            yield Finding(
                "missing-launch-template",
                release.service,
                f"{release.launch_template_id}:{release.launch_template_version}",
                f"the {release.role}'s launch template version does not exist",
            )
        for name in release.alarm_names:
            if name not in facts.alarms:
                yield Finding("missing-alarm", release.service, name, "the service's alarm does not exist")


def stray_instances(facts: FleetFacts) -> Iterator[Finding]:
    """Hosts serving a service that were not launched from its live release: changed by hand or added.

    Hosts of another release's ASG (an orphan, a release the state still tracks) are reported once, under it.
    """
    for service in facts.services:
        release = service.release
        live_template = (release.launch_template_id, release.launch_template_version)
        members = set(service.asg.instance_ids if service.asg else ())
        targets = {target.id for target in service.targets or ()}
        other_releases = {
            instance_id for asg in facts.asgs if asg.name != release.asg_name for instance_id in asg.instance_ids
        }
        for instance_id in sorted(members | (targets - other_releases)):
            instance = facts.instances.get(instance_id)
            if instance is None or instance.launch_template == live_template:
                continue
            where = " and ".join(
                place
                for place, present in (
                    ("in the ASG", instance_id in members),
                    ("in the target group", instance_id in targets),
                )
                if present
            )
            origin = (
                f"launched from {instance.launch_template[0]}:{instance.launch_template[1]}"
                if instance.launch_template
                else "not launched from a launch template"
            )
            yield Finding(
                "stray-instance",
                release.service,
                instance_id,
                f"{where}; {origin}, {release.role} {release.release_id} is {live_template[0]}:{live_template[1]}",
            )


def detached_instances(facts: FleetFacts) -> Iterator[Finding]:
    """Hosts of a service outside all its ASGs and its target group: detached by hand, still running and paid for."""
    attached: dict[str, set[str]] = {}
    for asg in facts.asgs:
        attached.setdefault(asg.tags.get(SERVICE_TAG, UNKNOWN_SERVICE), set()).update(asg.instance_ids)
    for service in facts.services:
        ids = attached.setdefault(service.release.service, set())
        ids.update(service.asg.instance_ids if service.asg else ())
        ids.update(target.id for target in service.targets or ())
    for instance in sorted(facts.instances.values(), key=lambda instance: instance.id):
        name = instance.tags.get(SERVICE_TAG)
        if (
            name is not None
            and instance.tags.get(STACK_TAG) == facts.stack
            and instance.state == DETACHED_STATE
            and instance.id not in attached.get(name, set())
        ):
            yield Finding("stray-instance", name, instance.id, "detached: in no autoscaling group or target group")


def orphan_asgs(now: datetime, min_age: timedelta) -> Callable[[FleetFacts], Iterator[Finding]]:
    def rule(facts: FleetFacts) -> Iterator[Finding]:
        """ASGs of the stack that no live release owns: leaked by a failed or interrupted cut-over."""
        for asg in _orphan_asgs(facts):
            if asg.deleting:
                status = ", deletion in progress"
            elif _young(asg, now, min_age):
                status = "; young: may be a cut-over in progress, not cleaned up"
            else:
                status = ""
            yield Finding(
                "orphan-asg",
                asg.tags.get(SERVICE_TAG, UNKNOWN_SERVICE),
                asg.name,
                f"{_members(asg)}, created {_age(now - asg.created)} ago, "
                f"release {asg.tags.get(RELEASE_TAG, 'unknown')}{status}",
            )

    return rule


def tracked_asgs(facts: FleetFacts) -> Iterator[Finding]:
    """ASGs the stack's state marks: never orphans, but a replaced or uninitialized release is a risk to serving.

    After a failed cut-over the state holds the old ASG marked `delete` (it goes at the end of the next successful
    update, healthy or not) and the new one with init errors (it never passed the health gate).
    """
    live = {service.release.asg_name: service.release for service in facts.services}
    for asg in facts.asgs:
        tracked = facts.tracked_asgs.get(asg.name)
        if tracked is None:
            continue
        service = asg.tags.get(SERVICE_TAG) or (live[asg.name].service if asg.name in live else UNKNOWN_SERVICE)
        errors = f"; initialization errors: {tracked.init_errors[0][:MAX_ERROR_LENGTH]}" if tracked.init_errors else ""
        if tracked.pending_delete:
            serving = f"; it is the {live[asg.name].role} in the stack outputs" if asg.name in live else ""
            detail = "marked for deletion in the stack's state: the next successful update deletes it"
            yield Finding("pending-delete-asg", service, asg.name, f"{_members(asg)}; {detail}{serving}{errors}")
        elif tracked.init_errors:
            detail = "in the stack's state but never initialized: it has not passed the health gate"
            yield Finding("unhealthy-release", service, asg.name, f"{_members(asg)}; {detail}{errors}")
        elif tracked.pending_replacement:
            detail = "deleted before its replacement was created: a `pulumi up` must recreate it"
            yield Finding("pending-replacement", service, asg.name, f"{_members(asg)}; {detail}")


def old_instances(now: datetime, max_age: timedelta) -> Callable[[FleetFacts], Iterator[Finding]]:
    def rule(facts: FleetFacts) -> Iterator[Finding]:
        """The phoenix rule: every host is replaced within `max_age`, so none accumulates drift."""
        owners = _instance_owners(facts)
        for instance in sorted(facts.instances.values(), key=lambda instance: instance.id):
            age = now - instance.launched
            if age > max_age:
                yield Finding(
                    "old-instance",
                    owners.get(instance.id, UNKNOWN_SERVICE),
                    instance.id,
                    f"launched {_age(age)} ago ({instance.launched:%Y-%m-%d}), limit {max_age.days} days",
                )

    return rule


def ssh_open(facts: FleetFacts) -> Iterator[Finding]:
    """Immutable hosts are never logged into: no security group of the fleet may let SSH in, from anywhere."""
    yield from _host_group_rules(facts, "ssh-open", lambda rule: rule.sources if _allows_ssh(rule) else ())


def open_to_internet(facts: FleetFacts) -> Iterator[Finding]:
    """Hosts take traffic only from their load balancer: no security group of a host is open to the internet.

    A rule that lets SSH in is `ssh-open`'s finding, whatever its sources (they are in its detail): one finding
    per rule."""
    yield from _host_group_rules(
        facts,
        "open-to-internet",
        lambda rule: () if _allows_ssh(rule) else tuple(source for source in rule.sources if source in INTERNET),
    )


def imdsv1(facts: FleetFacts) -> Iterator[Finding]:
    """Without required IMDSv2 tokens, an SSRF in the app can read the host's credentials.

    A launch template version sets this for the hosts it launches; a host's own metadata options can be switched
    back to IMDSv1 afterwards (`modify-instance-metadata-options`), so both are checked.
    """
    for version in facts.launch_template_versions:
        if version.http_tokens != "required":
            yield Finding(
                "imdsv1",
                version.tags.get(SERVICE_TAG, UNKNOWN_SERVICE),
                f"{version.template_id}:{version.version} ({version.template_name})",
                f"HttpTokens is {version.http_tokens or 'unset (optional)'}, not required",
            )
    owners = _instance_owners(facts)
    for instance in sorted(facts.instances.values(), key=lambda instance: instance.id):
        if instance.http_tokens != "required":
            yield Finding(
                "imdsv1",
                owners.get(instance.id, UNKNOWN_SERVICE),
                instance.id,
                f"the host's HttpTokens is {instance.http_tokens or 'unset (optional)'}, not required",
            )


def mutated_instances(facts: FleetFacts) -> Iterator[Finding]:
    """A host is what its launch template version says: a changed type, image or security group is a hand edit."""
    versions = {(version.template_id, version.version): version for version in facts.launch_template_versions}
    owners = _instance_owners(facts)
    for instance in sorted(facts.instances.values(), key=lambda instance: instance.id):
        version = versions.get(instance.launch_template) if instance.launch_template else None
        if version is None:
            continue
        differences = _differences(instance, version)
        if differences:
            yield Finding(
                "mutated-instance",
                owners.get(instance.id, UNKNOWN_SERVICE),
                instance.id,
                f"differs from {version.template_id}:{version.version}: {'; '.join(differences)}",
            )


def unhealthy_targets(facts: FleetFacts) -> Iterator[Finding]:
    """A target the load balancer does not send traffic to is capacity the fleet believes it has."""
    for service in facts.services:
        for target in service.targets or ():
            if target.state not in SERVING_TARGET_STATES:
                reason = f" ({target.reason})" if target.reason else ""
                yield Finding("unhealthy-target", service.release.service, target.id, f"{target.state}{reason}")


def alarms(facts: FleetFacts) -> Iterator[Finding]:
    """A service's alarm in ALARM state: the live release is sick (5xx, latency, unhealthy hosts...)."""
    for service in facts.services:
        for name in service.release.alarm_names:
            alarm = facts.alarms.get(name)
            if alarm is not None and alarm.state == ALARM_STATE:
                yield Finding("alarm", service.release.service, name, alarm.reason or "in ALARM state")


def dns_records(facts: FleetFacts) -> Iterator[Finding]:
    """Each of the stack's hostnames resolves to its load balancer: an alias record of it in the stack's zone."""
    dns = facts.dns
    if dns is None:
        return
    if dns.actual_zone_name is None:
        yield Finding("missing-zone", UNKNOWN_SERVICE, dns.zone_id, "the hosted zone (fleet:dns.zoneId) does not exist")
        return
    if dns.actual_zone_name != dns.zone_name:
        yield Finding(
            "zone-name-mismatch",
            UNKNOWN_SERVICE,
            dns.zone_id,
            f"the zone is {dns.actual_zone_name}, but fleet:dns.zoneName says {dns.zone_name}",
        )
    for hostname, service in dns.hostnames:
        records = [r for r in dns.records if r.name == hostname.lower() and r.type in ("A", "AAAA", "CNAME")]
        if not records:
            yield Finding("missing-dns-record", service, hostname, f"no A record in zone {dns.zone_id}")
        for record in records:
            target = record.alias_target or ", ".join(record.values)
            if record.alias_target != dns.load_balancer_dns:
                yield Finding(
                    "dns-record-elsewhere",
                    service,
                    hostname,
                    f"{record.type} record points at {target}, not at the stack's load balancer "
                    f"{dns.load_balancer_dns}",
                )


def unserved_hostnames(facts: FleetFacts) -> Iterator[Finding]:
    """Every name that leads to the load balancer is one a listener rule serves; any other gets the 404 default.

    The names are the stack's hostnames and any other record of the zone aliasing its load balancer.
    """
    dns = facts.dns
    if dns is None or dns.served_hosts is None:
        return
    names = dict(dns.hostnames)
    for record in _records_of_the_load_balancer(dns):
        names.setdefault(record, UNKNOWN_SERVICE)
    for hostname, service in names.items():
        if not any(fnmatchcase(hostname.lower(), pattern) for pattern in dns.served_hosts):
            where = "is a hostname of the stack" if service != UNKNOWN_SERVICE else "points at the load balancer"
            yield Finding(
                "unserved-hostname",
                service,
                hostname,
                f"{where} but no listener rule matches it: requests get the fixed 404",
            )


def certificates(facts: FleetFacts) -> Iterator[Finding]:
    """HTTPS presents, for each hostname, an issued certificate that names it (by default or by SNI)."""
    if facts.certificates is None:
        return
    for certificate in facts.certificates:
        if certificate.status != ISSUED:
            yield Finding(
                "certificate-not-issued",
                UNKNOWN_SERVICE,
                certificate.arn,
                f"the HTTPS listener on {certificate.listener_port} presents a certificate ACM reports as "
                f"{certificate.status}",
            )
    if not facts.certificates:
        return
    issued = [c for c in facts.certificates if c.status == ISSUED]
    for hostname, service in facts.hostnames:
        if not any(_certifies(name, hostname) for c in issued for name in c.names):
            yield Finding(
                "uncovered-hostname",
                service,
                hostname,
                "no issued certificate on the HTTPS listener names it: clients get a certificate for another name",
            )


def _certifies(name: str, hostname: str) -> bool:
    """Whether a certificate name covers `hostname` (RFC 6125: a wildcard stands for exactly one label); a
    wildcard hostname is covered only by the same wildcard."""
    hostname = hostname.lower()
    if name == hostname:
        return True
    return name.startswith("*.") and not hostname.startswith("*.") and hostname.split(".", 1)[-1] == name[2:]


def _records_of_the_load_balancer(dns: DnsFacts) -> list[str]:
    return [record.name for record in dns.records if record.alias_target == dns.load_balancer_dns]


def _orphan_asgs(facts: FleetFacts) -> list[AutoScalingGroup]:
    """ASGs of the stack that neither the outputs' live releases nor the stack's state account for."""
    live = {service.release.asg_name for service in facts.services}
    return [asg for asg in facts.asgs if asg.name not in live and asg.name not in facts.tracked_asgs]


def _launch_templates_only_of(facts: FleetFacts, doomed: list[AutoScalingGroup]) -> list[str]:
    """The launch templates of `doomed` ASGs that nothing else uses or tracks, and that are the stack's own."""
    doomed_names = {asg.name for asg in doomed}
    kept = (
        facts.tracked_launch_template_ids
        | {service.release.launch_template_id for service in facts.services}
        | {asg.launch_template_id for asg in facts.asgs if asg.name not in doomed_names and asg.launch_template_id}
    )
    own = {
        version.template_id for version in facts.launch_template_versions if version.tags.get(STACK_TAG) == facts.stack
    }
    return sorted({asg.launch_template_id for asg in doomed if asg.launch_template_id} & own - kept)


def _members(asg: AutoScalingGroup) -> str:
    listed = f": {', '.join(sorted(asg.instance_ids))}" if asg.instance_ids else ""
    return f"{len(asg.instance_ids)} instance(s){listed}"


def _host_group_rules(
    facts: FleetFacts, kind: str, offending: Callable[[PortRule], tuple[str, ...]]
) -> Iterator[Finding]:
    """A finding per ingress rule with `offending` sources, in the security groups of the fleet's hosts and
    templates."""
    owners = _instance_owners(facts)
    users: dict[str, set[str]] = {group_id: set() for group_id in facts.security_groups}
    for instance in facts.instances.values():
        for group_id in instance.security_group_ids:
            users.setdefault(group_id, set()).add(owners.get(instance.id, UNKNOWN_SERVICE))
    for version in facts.launch_template_versions:
        for group_id in version.security_group_ids:
            users.setdefault(group_id, set()).add(version.tags.get(SERVICE_TAG, UNKNOWN_SERVICE))
    for group_id, group in sorted(facts.security_groups.items()):
        for rule in group.ingress:
            sources = offending(rule)
            if sources:
                yield Finding(
                    kind,
                    ",".join(sorted(users[group_id])),
                    f"{group_id} ({group.name})",
                    f"allows {_ports(rule)} from {', '.join(sources)}",
                )


def _differences(instance: Instance, version: LaunchTemplateVersion) -> list[str]:
    """What the host has that its template version does not say, among what the version sets."""
    differences = []
    if version.instance_type and instance.instance_type != version.instance_type:
        differences.append(f"instance type {instance.instance_type}, template {version.instance_type}")
    if version.image_id and not version.image_id.startswith(SSM_IMAGE_PREFIX) and instance.image_id != version.image_id:
        differences.append(f"image {instance.image_id}, template {version.image_id}")
    if version.security_group_ids and set(instance.security_group_ids) != set(version.security_group_ids):
        differences.append(
            f"security groups {','.join(sorted(instance.security_group_ids)) or 'none'}, "
            f"template {','.join(sorted(version.security_group_ids))}"
        )
    return differences


def _young(asg: AutoScalingGroup, now: datetime, min_age: timedelta) -> bool:
    return now - asg.created < min_age


def _allows_ssh(rule: PortRule) -> bool:
    if rule.from_port is None or rule.to_port is None:
        return rule.protocol in {"-1", "tcp", "6"}
    return rule.protocol in {"tcp", "6"} and rule.from_port <= SSH_PORT <= rule.to_port


def _ports(rule: PortRule) -> str:
    if rule.from_port is None:
        return "all traffic" if rule.protocol == "-1" else f"{rule.protocol} all ports"
    span = str(rule.from_port) if rule.from_port == rule.to_port else f"{rule.from_port}-{rule.to_port}"
    return f"{rule.protocol} {span}"


def _instance_owners(facts: FleetFacts) -> dict[str, str]:
    """Which service each instance belongs to: by its ASG or target group, else by its own tag."""
    owners = {
        instance_id: instance.tags[SERVICE_TAG]
        for instance_id, instance in facts.instances.items()
        if SERVICE_TAG in instance.tags
    }
    for asg in facts.asgs:
        if SERVICE_TAG in asg.tags:
            owners.update(dict.fromkeys(asg.instance_ids, asg.tags[SERVICE_TAG]))
    for service in facts.services:
        owners.update(dict.fromkeys((target.id for target in service.targets or ()), service.release.service))
        owners.update(dict.fromkeys(service.asg.instance_ids if service.asg else (), service.release.service))
    return owners


def _age(age: timedelta) -> str:
    return f"{age.days}d" if age.days else f"{age.seconds // 3600}h{age.seconds % 3600 // 60:02d}m"


def replication(facts: FleetFacts) -> Iterator[Finding]:
    """Each consumer in the stack's `registry` output has its replication rule: ECR keeps one configuration per
    registry, and anything that puts another replaces fleet's, so no new build reaches the consumer."""
    registry = facts.registry
    if registry is None:
        return
    for account, region in registry.consumers:
        if (registry.repository_prefix, account, region) not in registry.destinations:
            yield Finding(
                "replication",
                UNKNOWN_SERVICE,
                f"{account} in {region}",
                f"the registry no longer replicates {registry.repository_prefix}* there (its replication "
                "configuration was replaced): new builds do not reach that consumer; deploy this stack again",
            )


def registry_grant(facts: FleetFacts) -> Iterator[Finding]:
    """The registry policy the stack declared is the registry's: ECR keeps one per registry, and a policy put by
    anything else replaces the grant that lets the source replicate here."""
    registry = facts.registry
    if registry is None:
        return
    for deployed in registry.deployed_policies:
        if registry.policy is None or json.loads(registry.policy) != json.loads(deployed):
            now = "no registry policy" if registry.policy is None else "another registry policy"
            yield Finding(
                "registry-grant",
                UNKNOWN_SERVICE,
                "registry policy",
                f"the registry has {now}, not the grant this stack deployed: its source can no longer replicate "
                "new builds here; deploy this stack again (it owns the registry's policy)",
            )


def overdue_warm_releases(now: datetime) -> Callable[[FleetFacts], Iterator[Finding]]:
    def rule(facts: FleetFacts) -> Iterator[Finding]:
        """A warm release past its window still runs its hosts until the stack's next `pulumi up` retires it: each
        hour overdue costs its pinned capacity in instance-hours."""
        for service in facts.services:
            record = service.release.warm
            if record is None:
                continue
            window = Window.of(record, now, f"services.{service.release.service}.warm")
            if not window.open:
                yield Finding(
                    "overdue-warm-release",
                    service.release.service,
                    service.release.asg_name,
                    f"warm release {service.release.release_id}: {window.retirement()}",
                )

    return rule


def traffic_rules(facts: FleetFacts) -> Iterator[Finding]:
    """The traffic rule sends each service's requests where the outputs say: the live slot (and the canary's
    share). Anything else was switched outside Pulumi, by `fleetctl watch` rolling a release back or by hand, and
    the next `pulumi up` would switch it back unless the stack file is pinned to what now serves."""
    for traffic in facts.traffic:
        if traffic.forwards is None:
            yield Finding("missing-traffic-rule", traffic.service, traffic.rule_arn, "the traffic rule does not exist")
            continue
        actual = shares(traffic.forwards)
        if actual == dict(traffic.expected):
            continue

        def listed(split: Mapping[str, int], roles: Mapping[str, str] = traffic.roles) -> str:
            return ", ".join(f"{share}% to {roles.get(arn, arn)}" for arn, share in split.items()) or "nothing"

        yield Finding(
            "traffic-rule",
            traffic.service,
            traffic.rule_arn,
            f"forwards {listed(actual)}; the outputs say {listed(traffic.expected)}: switched outside Pulumi "
            f"(`fleetctl status {facts.stack} --service {traffic.service}` says by what, and what to pin)",
        )
