"""The types of a parsed stack configuration: what every layer reads once `fleet.config` has checked a stack.

Plain frozen dataclasses, no Pulumi: the program, `fleetctl`, the components and the tests all take a `FleetConfig`,
so a key means the same thing everywhere. Each field's docstring says what its key does and each default is its
key's default (`docs/configuration.md` is rendered from them). `ConfigError` and `problem` report what is wrong
with a configuration, each problem naming its full key.

The key tables (`fleet.config`) and the rules across keys (`fleet.config_rules`) are built on these types, never
the other way round: this module imports neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from fleet.dns import CERTIFICATE_NAME_QUOTA
from fleet.names import NAMESPACE

ECR_DIGEST_REF = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]{1,32})\.amazonaws\.com)"
    r"/(?P<repository>[a-z0-9][a-z0-9._/-]{1,255})@(?P<digest>sha256:[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Capacity:
    """Instance counts of a service's autoscaling group. Changing them is a scale change, never a release."""

    min: int
    """The fewest instances autoscaling may leave the release with."""
    desired: int
    """The instances a new release starts with and is gated on; applied to a live group only when you change it (a
    deploy never undoes what autoscaling did)."""
    max: int
    """The most instances autoscaling may run."""


@dataclass(frozen=True)
class ImageSource:
    """What the service's hosts run: built here from `build`, or a promoted `ref` pinned by digest."""

    version: str
    """The release's version; the ECR tag a build pushes is `<version>-<12 hex of the build's inputs>`."""
    build: str | None = None
    """Docker build context, relative to the project: the stack builds the image and pushes it to its ECR
    repository (staging)."""
    ref: str | None = None
    """The image a promoted stack runs, pinned by digest: `fleetctl promote` writes it."""

    @property
    def ref_match(self) -> re.Match[str] | None:
        return ECR_DIGEST_REF.match(self.ref) if self.ref else None


@dataclass(frozen=True)
class HealthCheck:
    """Target-group health check. Defaults make a new instance healthy after 2 x 10 s instead of AWS's 5 x 30 s."""

    interval_seconds: int = 10
    """Seconds between two health checks of a target."""
    healthy_threshold: int = 2
    """Checks in a row a target must pass to be healthy: a new host serves after this many intervals."""
    unhealthy_threshold: int = 2
    """Checks in a row a target must fail to be unhealthy."""
    timeout_seconds: int = 5
    """Seconds without an answer after which a check fails."""


@dataclass(frozen=True)
class AlarmThresholds:
    """When a service's alarms fire, on its target group's one-minute metrics. Not part of the release."""

    unhealthy_host_minutes: int = 3
    """Minutes in a row with at least one unhealthy target (a host failing its health check, or a release that
    never gets healthy)."""
    error_rate_percent: int = 5
    """Target 5xx responses as a share of requests."""
    error_rate_minutes: int = 5
    """Minutes in a row above errorRatePercent before the alarm fires."""
    p99_latency_ms: int = 2000
    """99th percentile of the time from the load balancer sending a request to the target's first response byte."""
    p99_latency_minutes: int = 5
    """Minutes in a row above p99LatencyMs before the alarm fires."""


@dataclass(frozen=True)
class Scaling:
    """Target tracking of each release's autoscaling group, between capacity.min and capacity.max.

    On by default: a fleet that runs itself scales with its load. CPU is the default signal because every service
    has it; requests per instance suits services whose cost per request is known. `enabled: false` turns it off.
    """

    enabled: bool = True
    """`false` turns autoscaling off: the group keeps capacity.desired and is tagged `fleet:scaling=off`."""
    cpu_percent: int | None = 50
    """Average CPU utilisation of the release's hosts to hold (ASGAverageCPUUtilization); 0 turns it off."""
    requests_per_instance: int | None = None
    """Requests per host per minute to hold (ALBRequestCountPerTarget); not set: not tracked."""
    instance_warmup_seconds: int = 180
    """How long a new host's metrics are left out of the average: its boot budget (see bootGraceSeconds)."""


@dataclass(frozen=True)
class Setting:
    """One environment variable of a service's container, stored as an SSM parameter and read by hosts at boot."""

    name: str
    value: str | None = field(repr=False)
    """The text the container sees; None for a secret read from a stack file, which holds only its ciphertext."""
    ciphertext: str | None = None
    """A secret's `secure:` ciphertext in the stack file; None for a plain setting."""

    @property
    def secret(self) -> bool:
        return self.ciphertext is not None


@dataclass(frozen=True)
class SecretText:
    """A secret setting as the program receives it: the stack file's ciphertext and the value Pulumi decrypted."""

    ciphertext: str
    plaintext: Any = field(repr=False)


@dataclass(frozen=True)
class CanaryConfig:
    """A second release of a service that takes a share of its requests, to compare with the live one.

    It differs from the service only in what runs on its hosts (image, host image, instance type); everything
    else (port, health check, settings, hardening) is the service's, so the comparison is of the release alone.
    """

    image: ImageSource
    """What the canary runs: `{version, build}` on a stack that builds, `{version, ref}` on a promoted one."""
    host_image: str
    """The canary's host OS image: the service's hostImage when the canary does not set its own."""
    instance_type: str
    """The canary's instance type: the service's instanceType when the canary does not set its own."""
    weight: int = 10
    """Percent of the service's requests the canary takes (the live release takes the rest)."""
    instances: int = 1
    """Hosts of the canary release: a fixed count, never scaled."""


@dataclass(frozen=True)
class ServiceConfig:
    """One web service: its image, the hosts that run it, and how the load balancer reaches it."""

    name: str
    image: ImageSource
    """What the hosts run: `{version, build}` on a stack that builds its image, `{version, ref}` on a promoted one."""
    host_image: str
    """The host OS image (AMI), pinned per stack. It must carry docker and the AWS CLI: hosts install nothing at
    boot (`fleetctl host-image` pins the ECS-optimized Amazon Linux 2023 AMI)."""
    instance_type: str = "t3.small"
    """The hosts' EC2 instance type; a Graviton type (`t4g`, `m7g`...) builds and runs `linux/arm64`."""
    port: int = 8080
    """The port the container listens on, on the host."""
    public_port: int | None = 80
    """The load balancer listener port of this service: unique per stack. None for a service with hostnames that
    sets no publicPort: it is served on the stack's shared listeners only."""
    https_port: int | None = 443
    """The HTTPS listener port of this service when the stack has `fleet:tls`: unique, and no service's publicPort.
    None for a service with hostnames that sets no httpsPort."""
    health_check_path: str = "/healthz"
    """The path the target group's health check requests; it must answer 200."""
    health_check: HealthCheck = field(default_factory=HealthCheck)
    """How the target group checks the hosts: a release is gated on these checks."""
    capacity: Capacity = field(default_factory=lambda: Capacity(min=2, desired=2, max=6))
    """Instance counts of the release's autoscaling group: a change is a scale, never a release."""
    scaling: Scaling = field(default_factory=Scaling)
    """Target tracking of the release's autoscaling group."""
    drain_seconds: int = 30
    """Target-group deregistration delay: how long the old release's instances finish in-flight requests."""
    boot_grace_seconds: int = 180
    """ASG health-check grace period: how long a booting instance may fail ELB checks before it is replaced.

    The boot budget of a host that installs nothing: about 30 s from launch to a running OS, the image pull by
    digest (10-60 s for 50-500 MB from ECR in the region), the container's start, then 2 health checks 10 s apart;
    about 90 s, doubled for a slow pull or a cold start."""
    cutover_timeout_minutes: int = 10
    """How long a release waits for its instances to be healthy before the update fails (old release serving)."""
    settings: tuple[Setting, ...] = ()
    """Environment variables of the container, by name; part of the release (hosts read them once, at boot)."""
    alarms: AlarmThresholds = field(default_factory=AlarmThresholds)
    """When the service's CloudWatch alarms fire; a change updates them in place."""
    canary: CanaryConfig | None = None
    """A canary release beside the live one; none by default. Not part of the live release's identity."""
    hostnames: tuple[str, ...] = ()
    """DNS names (a leading `*.` wildcard allowed) the stack's shared listeners route to this service by host
    header; not part of the release. Without publicPort such a service has no listener of its own."""
    warm_rollback_minutes: int = 60
    """After a cut-over, the previous release keeps its hosts, healthy and out of traffic, this long: a rollback
    within it is one load balancer change, not a boot (docs/warm-rollback.md). It costs one extra fleet at its
    serving capacity for that long per release (desired x 1 instance-hour at the default). 0 turns it off: the
    previous release is deleted right after the cut-over. Not part of the release."""


def canary_release(service: ServiceConfig) -> ServiceConfig:
    """The service as its canary runs it: the canary's image, host image and instance type, and no canary.

    Its release identity is the canary's release id, and it is what the service becomes when the canary finishes.
    """
    assert service.canary is not None, "only a service with a canary has a canary release"
    canary = service.canary
    return replace(
        service, image=canary.image, host_image=canary.host_image, instance_type=canary.instance_type, canary=None
    )


@dataclass(frozen=True)
class NetworkConfig:
    """Where the load balancer and hosts live; absent keys mean the account's default VPC and its subnets."""

    vpc_id: str | None = None
    """The VPC of the load balancer and hosts; none: the account's default VPC. Changing it on a live stack is
    refused (it would replace every firewall)."""
    subnet_ids: tuple[str, ...] | None = None
    """The subnets of the load balancer and hosts; none: every subnet of the VPC."""


@dataclass(frozen=True)
class PromotionConfig:
    """A stack that only runs images its source stack has deployed (prod, promoted from staging)."""

    source: str
    """The source stack: a name in this project, or `org/project/stack`."""
    allow_unverified: bool = False
    """Emergency override: run an image the source stack never deployed. Shown in the stack outputs."""


@dataclass(frozen=True)
class TlsConfig:
    """HTTPS on the load balancer: every service gets an HTTPS listener, and its HTTP listener only redirects."""

    certificate_arn: str | None = None
    """An ACM certificate in the stack's region, for the names clients use to reach the services: the listeners'
    default certificate. None only with `fleet:dns.zoneId`, where fleet requests and validates one itself."""
    additional_certificate_arns: tuple[str, ...] = ()
    """More ACM certificates of the stack's region, for hostnames the first does not cover: the shared HTTPS
    listener serves each by SNI (one `aws.lb.ListenerCertificate` each)."""


@dataclass(frozen=True)
class DnsConfig:
    """The Route 53 hosted zone the stack's hostnames live in: fleet points each at the load balancer, and without
    `tls.certificateArn` requests the stack's certificate and validates it with records in this zone."""

    zone_id: str
    """The hosted zone's id: where fleet writes each hostname's alias record (and a managed certificate's validation
    records)."""
    zone_name: str
    """The zone's domain name (`example.com`). Given, not looked up, so that `fleetctl check` can tell a hostname
    outside the zone without AWS; `fleetctl audit` checks it against the zone."""
    certificate_name_quota: int = CERTIFICATE_NAME_QUOTA
    """The account's ACM quota of names per certificate: the most names a managed certificate may have. Raise it
    here only once AWS has raised the quota (Service Quotas, "Domain names per ACM certificate")."""


@dataclass(frozen=True)
class Consumer:
    """A registry that runs this stack's images: the account and region of a stack promoted from this one."""

    account: str
    region: str


@dataclass(frozen=True)
class RegistryConfig:
    """Where a building stack's images go besides its own registry (`fleet.replication`)."""

    consumers: tuple[Consumer, ...] = ()
    """The registries ECR replicates this stack's repositories to, in the order written."""


@dataclass(frozen=True)
class FleetConfig:
    stack: str
    services: tuple[ServiceConfig, ...]
    """The stack's web services, by name."""
    network: NetworkConfig = field(default_factory=NetworkConfig)
    """Where the load balancer and hosts live."""
    promotion: PromotionConfig | None = None
    """Makes this stack run only images its source stack deployed (prod promoted from staging)."""
    tls: TlsConfig | None = None
    """HTTPS on every service; without it the services speak HTTP on publicPort."""
    registry: RegistryConfig | None = None
    """Where a building stack's images are replicated to, for stacks promoted from it in other accounts or regions
    (docs/cross-account.md)."""
    alarm_topic_arn: str | None = None
    """An SNS topic that receives every alarm's ALARM and OK transitions."""
    dns: DnsConfig | None = None
    """A Route 53 zone for the stack's hostnames: alias records to the load balancer, and a managed certificate when
    `tls.certificateArn` is not set."""

    @property
    def managed_certificate(self) -> bool:
        """Whether fleet requests the stack's certificate: a zone, and no certificate of the user's."""
        return self.dns is not None and (self.tls is None or self.tls.certificate_arn is None)

    @property
    def https(self) -> bool:
        """Whether the load balancer serves HTTPS: with the user's certificate or a managed one."""
        return self.managed_certificate or (self.tls is not None and self.tls.certificate_arn is not None)


class ConfigError(ValueError):
    """Every problem found in a stack's configuration, one per line, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listed = (f"  - {problem}".replace("\n", "\n    ") for problem in problems)
        super().__init__("invalid fleet configuration:\n" + "\n".join(listed))


def problem(key: str, message: str) -> str:
    """One line of a ConfigError: the full key (`fleet:services.web.port`), then what is wrong and what to do."""
    return f"{NAMESPACE}:{key}: {message}"
