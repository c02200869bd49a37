"""The stack outputs, as typed records: what the program exports per service, and how it is written and read back.

The program writes them (`write_service`); the next run of the program reads its own back (carry-over, release
history, promotion guard), and so do `fleetctl` (pinning, retention, plan, audit, canary status) and the promoted
stack's guard. Each output key is named once, here. Parsing tolerates outputs written by older versions: a key they
lack reads as None (or empty). A key holding a value of the wrong type is an `OutputsError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, TypeVar

from fleet.clock import parse_iso
from fleet.names import SLOTS

STACK = "stack"
"""The stack's name: tells which stack a file of outputs belongs to."""
SERVICES = "services"
"""Per service, by name: what serves (its live release, history, canary) and how it is reached."""
LOAD_BALANCER_DNS = "loadBalancerDns"
"""The DNS name of the stack's load balancer: point your domain at it."""
NETWORK = "network"
"""Where the stack runs."""
PROMOTION = "promotion"
"""On a promoted stack only: `{source, verified, override, unverifiedServices}`, the source stack, whether every
image was verified against it, whether `allowUnverified` is set, and the services only the override let through."""
REGISTRY = "registry"
"""A building stack's registry and the consumers it replicates to (`RegistryOutputs`); absent without consumers."""
VPC_ID = "vpcId"
"""Under `network`: the VPC the stack's load balancer and hosts live in."""
DNS = "dns"
"""The stack's zone and the hostnames it points at the load balancer (`DnsOutputs`); only with `fleet:dns`."""

HISTORY_DEPTH = 5
"""Releases kept in the `history` output: what `fleetctl rollback` can go back to."""


class OutputsError(ValueError):
    """A stack output that holds a value of the wrong type; the message names its key."""


Parse = Callable[[Any, str], Any]


def _text(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise OutputsError(f"{where} must be a string; got {value!r}")


def _whole(value: Any, where: str) -> int | None:
    """Outputs read back from the engine carry numbers as JSON numbers: 8080 comes back as 8080.0."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raise OutputsError(f"{where} must be a whole number; got {value!r}")


def _slot(value: Any, where: str) -> str | None:
    if value is None or value in SLOTS:
        return value
    raise OutputsError(f"{where} must be one of the slots {', '.join(SLOTS)}; got {value!r}")


def _time(value: Any, where: str) -> str | None:
    """A time as `fleet.clock.iso` writes it, kept as written."""
    if value is None:
        return None
    try:
        parse_iso(value)
    except (TypeError, ValueError):
        raise OutputsError(f"{where} must be a UTC time such as 2026-12-02T01:23:45Z; got {value!r}") from None
    return str(value)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(name, str) and name for name in value):
        return tuple(value)
    raise OutputsError(f"{where} must be a list of alarm names; got {value!r}")


def _hostnames(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(name, str) and name for name in value):
        return tuple(value)
    raise OutputsError(f"{where} must be a list of hostnames; got {value!r}")


def _output(key: str, parse: Parse, *, default: Any = None, write_none: bool = False) -> Any:
    """A record field: its output key, how its value is read, and whether None is written (else left out)."""
    return field(default=default, metadata={"key": key, "parse": parse, "write_none": write_none})


R = TypeVar("R")


def _record(cls: type[R]) -> Parse:
    def parse(value: Any, where: str) -> R | None:
        return None if value is None else parse_record(cls, value, where)

    return parse


def _records(cls: type[R]) -> Parse:
    def parse(value: Any, where: str) -> tuple[R, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise OutputsError(f"{where} must be a list; got {value!r}")
        return tuple(parse_record(cls, entry, f"{where}[{index}]") for index, entry in enumerate(value))

    return parse


@dataclass(frozen=True, kw_only=True)
class ReleaseEntry:
    """What identifies a release a stack ran: an entry of its `history`, and the start of its live `release`."""

    release_id: str | None = _output("releaseId", _text)
    """The release's 12-character id (`fleet.release`): what the launch template's replacement trigger is."""
    version: str | None = _output("version", _text)
    """The config's `image.version`."""
    image_ref: str | None = _output("imageRef", _text)
    """The image the hosts run, pinned by digest."""
    host_image: str | None = _output("hostImage", _text)
    """The host OS image (AMI)."""
    instance_type: str | None = _output("instanceType", _text)
    """The hosts' instance type."""

    @classmethod
    def key_of(cls, attribute: str) -> str:
        """The output key of a field, for messages that name it."""
        return output_key(cls, attribute)


@dataclass(frozen=True, kw_only=True)
class DeployedRelease(ReleaseEntry):
    """A release with the resources it runs on: the service's live `release`."""

    asg_name: str | None = _output("asgName", _text)
    """The release's autoscaling group."""
    launch_template_id: str | None = _output("launchTemplateId", _text)
    """The release's launch template."""
    launch_template_version: int | None = _output("launchTemplateVersion", _whole)
    """The template version the group launches."""
    group_trigger: str | None = _output("groupTrigger", _text)
    """The replacement trigger the group was created with; absent on stacks deployed before it was recorded."""
    slot: str | None = _output("slot", _slot)
    """The release slot it runs in (`a`, `b` or `c`, fleet/slots.py); absent on stacks deployed before slots: the
    live release was then in slot a, a canary in slot c."""
    target_group_arn: str | None = _output("targetGroupArn", _text)
    """Its slot's target group."""
    since: str | None = _output("since", _time)
    """When it took this role (ISO-8601 UTC): the live release, since its cut-over completed; a canary, since it
    started."""


@dataclass(frozen=True, kw_only=True)
class CanaryRelease(DeployedRelease):
    """A release taking a share of a service's traffic beside its live release, on its own target group."""

    weight: int | None = _output("weight", _whole)
    """Its share of the listener's traffic, in percent."""
    instances: int | None = _output("instances", _whole)
    """Its fixed number of hosts."""
    alarms: tuple[str, ...] = _output("alarms", _names, default=())
    """The names of the canary's CloudWatch alarms."""


@dataclass(frozen=True, kw_only=True)
class WarmRelease(DeployedRelease):
    """The previous release while its warm window is open: its hosts healthy in its slot, out of traffic, ready to
    take all of it again with one load balancer change (a switch)."""

    desired: int | None = _output("desired", _whole)
    """The capacity it is pinned at: what its group ran when it left traffic."""
    warm_since: str | None = _output("warmSince", _time)
    """When it left traffic (ISO-8601 UTC)."""
    retires_at: str | None = _output("retiresAt", _time)
    """`warmSince + warmRollbackMinutes`: the first `pulumi up` after it retires the release."""


@dataclass(frozen=True, kw_only=True)
class CapacityOutputs:
    """`capacity` as the config said at that update."""

    min: int | None = _output("min", _whole)
    """`capacity.min`."""
    desired: int | None = _output("desired", _whole)
    """`capacity.desired` (the live group may run another number: autoscaling moves it)."""
    max: int | None = _output("max", _whole)
    """`capacity.max`."""


@dataclass(frozen=True, kw_only=True)
class ServiceOutputs:
    """What the stack exports for one service (its `services.<name>` output)."""

    url: str | None = _output("url", _text)
    """Where the service answers: `https://` with `fleet:tls`, else `http://`, on the load balancer."""
    alarms: tuple[str, ...] = _output("alarms", _names, default=())
    """The names of the service's CloudWatch alarms."""
    target_group_arn: str | None = _output("targetGroupArn", _text)
    """The live release's target group (its slot's)."""
    image_digest: str | None = _output("imageDigest", _text, write_none=True)
    """The digest this stack built; null on a stack that runs promoted images."""
    port: int | None = _output("port", _whole)
    """The container's port on the host."""
    public_port: int | None = _output("publicPort", _whole)
    """The service's HTTP listener port on the load balancer."""
    health_check_path: str | None = _output("healthCheckPath", _text)
    """The path the health check requests."""
    capacity: CapacityOutputs | None = _output("capacity", _record(CapacityOutputs))
    release: DeployedRelease | None = _output("release", _record(DeployedRelease))
    history: tuple[ReleaseEntry, ...] = _output("history", _records(ReleaseEntry), default=())
    """The last releases, newest first, the live one included: what a rollback can return to."""
    canary: CanaryRelease | None = _output("canary", _record(CanaryRelease))
    hostnames: tuple[str, ...] | None = _output("hostnames", _hostnames)
    """The names the shared listeners route to the service; absent for a service served on its own port only."""
    rule_priority: int | None = _output("rulePriority", _whole)
    """Its host rule's priority on the shared listener: kept on the next update (`fleet.routing`)."""
    warm: WarmRelease | None = _output("warm", _record(WarmRelease))
    """The previous release, warm; absent when there is none."""
    traffic_rule_arn: str | None = _output("trafficRuleArn", _text)
    """The listener rule that forwards the service's requests: changing its forward is a switch."""
    track_rule_arn: str | None = _output("trackRuleArn", _text)
    """The rule that attaches every slot's target group to the load balancer (`X-Fleet-Track: live`)."""
    warm_rollback_minutes: int | None = _output("warmRollbackMinutes", _whole)
    """The warm window, as the config set it."""

    def image_refs(self) -> set[str]:
        """Every image this service ran: its live release's, its warm one's, its canary's and those in its history."""
        entries = [*(entry for entry in (self.release, self.warm, self.canary) if entry), *self.history]
        return {entry.image_ref for entry in entries if entry.image_ref}


def _hostname_services(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """`{hostname: service}`, read as pairs in the order written."""
    if value is None:
        return ()
    if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return tuple(value.items())
    raise OutputsError(f"{where} must map hostnames to service names; got {value!r}")


@dataclass(frozen=True, kw_only=True)
class DnsOutputs:
    """The `dns` output: where the stack's names live and which service each names, for the audit."""

    zone_id: str | None = _output("zoneId", _text)
    """`fleet:dns.zoneId`."""
    zone_name: str | None = _output("zoneName", _text)
    """`fleet:dns.zoneName`."""
    hostnames: tuple[tuple[str, str], ...] = _output("hostnames", _hostname_services, default=())
    """(hostname, service) for each hostname with an alias record in the zone; written as an object, the service
    by hostname."""
    certificate_arn: str | None = _output("certificateArn", _text)
    """The managed certificate, once validated; None when the stack presents the user's certificate."""


def write_dns(outputs: DnsOutputs) -> dict[str, Any]:
    """The `dns` output the program exports (hostnames as an object)."""
    written = write_record(outputs)
    written[output_key(DnsOutputs, "hostnames")] = dict(outputs.hostnames)
    return written


def parse_dns(outputs: Mapping[str, Any]) -> DnsOutputs | None:
    """The stack's `dns` output; None for a stack without a zone (or from before zones)."""
    value = outputs.get(DNS)
    return None if value is None else parse_record(DnsOutputs, value, DNS)


@dataclass(frozen=True, kw_only=True)
class ConsumerOutputs:
    """A registry the stack's images are replicated to."""

    account: str | None = _output("account", _text)
    """The consumer's account id."""
    region: str | None = _output("region", _text)
    """The consumer registry's region."""


@dataclass(frozen=True, kw_only=True)
class RegistryOutputs:
    """The `registry` output: what a promoted stack reads to know where its source's images can be pulled."""

    account: str | None = _output("account", _text)
    """The source's own registry (its account id) ..."""
    region: str | None = _output("region", _text)
    """... in its region."""
    repository_prefix: str | None = _output("repositoryPrefix", _text)
    """The start of the names of the repositories replicated (`fleet-<stack>-`)."""
    consumers: tuple[ConsumerOutputs, ...] = _output("consumers", _records(ConsumerOutputs), default=())

    def replicates_to(self, account: str, region: str) -> bool:
        return ConsumerOutputs(account=account, region=region) in self.consumers


def parse_registry(outputs: Mapping[str, Any]) -> RegistryOutputs | None:
    """The `registry` output of a stack's outputs; None when it has none (no consumers, or an older version)."""
    value = outputs.get(REGISTRY)
    return None if value is None else parse_record(RegistryOutputs, value, REGISTRY)


def output_key(cls: type, attribute: str) -> str:
    """The output key of a record's field, for messages that name it."""
    return str(next(f.metadata["key"] for f in fields(cls) if f.name == attribute))


def parse_record(cls: type[R], value: Any, where: str) -> R:
    """The record `cls` of the output object `value`; `where` names it in errors (`services.web.release`)."""
    if not isinstance(value, Mapping):
        raise OutputsError(f"{where} must be an object; got {value!r}")
    assert is_dataclass(cls)
    parsed = {
        f.name: f.metadata["parse"](value.get(f.metadata["key"]), f"{where}.{f.metadata['key']}") for f in fields(cls)
    }
    return cls(**{name: item for name, item in parsed.items() if item is not None})


def write_record(record: Any) -> dict[str, Any]:
    """The output object of a record, its keys in field order; None is left out unless the field writes it."""
    written = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if value is None and not f.metadata["write_none"]:
            continue
        written[f.metadata["key"]] = _written(value)
    return written


def _written(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return write_record(value)
    if isinstance(value, tuple):
        return [_written(item) for item in value]
    return value


def write_service(outputs: ServiceOutputs) -> dict[str, Any]:
    """The `services.<name>` output the program exports."""
    return write_record(outputs)


def parse_service(value: Any, name: str) -> ServiceOutputs:
    """The `services.<name>` output, as `write_service` (or an older version of it) wrote it."""
    return parse_record(ServiceOutputs, value, f"{SERVICES}.{name}")


def parse_services(outputs: Mapping[str, Any]) -> dict[str, ServiceOutputs]:
    """Every service a stack's outputs export, by name; none when they have no `services` output."""
    return parse_services_output(outputs.get(SERVICES))


def parse_services_output(services: Any) -> dict[str, ServiceOutputs]:
    """The value of a stack's `services` output, by service name; None (no such output) has none."""
    if services is None:
        return {}
    if not isinstance(services, Mapping):
        raise OutputsError(f"{SERVICES} must be an object; got {services!r}")
    return {name: parse_service(value, name) for name, value in services.items()}


def live_vpc_id(outputs: Mapping[str, Any]) -> str | None:
    """The VPC the stack's last update ran in; None before the first, or from a version that did not export it."""
    network = outputs.get(NETWORK)
    return _text(network.get(VPC_ID), f"{NETWORK}.{VPC_ID}") if isinstance(network, Mapping) else None


def release_history(current: ReleaseEntry, previous: ServiceOutputs | None) -> tuple[ReleaseEntry, ...]:
    """The last releases, newest first: the live one, then those before it (a re-deploy is not a new entry)."""
    earlier = [entry for entry in (previous.history if previous else ()) if entry.release_id != current.release_id]
    return (current, *earlier)[:HISTORY_DEPTH]
