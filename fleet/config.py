"""The stack configuration of fleet: parsed and validated in one place, before any resource is declared.

Plain dataclasses, no Pulumi: the program, `fleetctl` and the tests all read stack files through `parse_config`,
so a key means the same thing everywhere. Every problem is collected and reported at once, each naming its key
path (`fleet:services.web.capacity`) and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from fleet.names import MAX_CUTOVER_MINUTES, NAMESPACE, STACK_NAME

SERVICE_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$")
VERSION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
ECR_DIGEST_REF = re.compile(
    r"^(?P<registry>(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com)"
    r"/(?P<repository>[a-z0-9][a-z0-9._/-]*)@(?P<digest>sha256:[0-9a-f]{64})$"
)
AMI_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
SETTING_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
ACM_CERTIFICATE_ARN = re.compile(
    r"^arn:aws(?:-cn|-us-gov)?:acm:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
SNS_TOPIC_ARN = re.compile(
    r"^arn:aws(?:-cn|-us-gov)?:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$"
)


@dataclass(frozen=True)
class Capacity:
    """Instance counts of a service's autoscaling group. Changing them is a scale change, never a release."""

    min: int
    desired: int
    max: int


@dataclass(frozen=True)
class ImageSource:
    """What the service's hosts run: built here from `build`, or a promoted `ref` pinned by digest."""

    version: str
    """Release version, also the image tag pushed to ECR: tag-safe, 1-128 characters."""
    build: str | None = None
    """Docker build context, relative to the project (staging)."""
    ref: str | None = None
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<64 hex>` (promoted stacks)."""

    @property
    def ref_match(self) -> re.Match[str] | None:
        return ECR_DIGEST_REF.match(self.ref) if self.ref else None


@dataclass(frozen=True)
class HealthCheck:
    """Target-group health check. Defaults make a new instance healthy after 2 x 10 s instead of AWS's 5 x 30 s."""

    interval_seconds: int = 10
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    timeout_seconds: int = 5


@dataclass(frozen=True)
class AlarmThresholds:
    """When a service's alarms fire, on its target group's one-minute metrics. Not part of the release."""

    unhealthy_host_minutes: int = 3
    """Minutes in a row with at least one unhealthy target (a host failing its health check, or a release that
    never gets healthy)."""
    error_rate_percent: int = 5
    """Target 5xx responses as a share of requests."""
    error_rate_minutes: int = 5
    p99_latency_ms: int = 2000
    """99th percentile of the time from the load balancer sending a request to the target's first response byte."""
    p99_latency_minutes: int = 5


@dataclass(frozen=True)
class Scaling:
    """Target tracking of each release's autoscaling group, between capacity.min and capacity.max.

    On by default: a fleet that runs itself scales with its load. CPU is the default signal because every service
    has it; requests per instance suits services whose cost per request is known. `enabled: false` turns it off.
    """

    enabled: bool = True
    cpu_percent: int | None = 50
    """Average CPU utilisation of the release's hosts to hold (ASGAverageCPUUtilization); None (config 0): off."""
    requests_per_instance: int | None = None
    """Requests per host per minute to hold (ALBRequestCountPerTarget); None: not tracked."""
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
    host_image: str
    """The service's hostImage when the canary does not set its own."""
    instance_type: str
    """The service's instanceType when the canary does not set its own."""
    weight: int = 10
    """Percent of the service's requests the canary takes (the live release takes the rest)."""
    instances: int = 1
    """Hosts of the canary release: a fixed count, never scaled."""


@dataclass(frozen=True)
class ServiceConfig:
    """One web service: its image, the hosts that run it, and how the load balancer reaches it."""

    name: str
    image: ImageSource
    host_image: str
    """The host OS image (AMI), pinned per stack."""
    instance_type: str = "t3.small"
    port: int = 8080
    """The port the container listens on, on the host."""
    public_port: int = 80
    """The load balancer listener port of this service: unique per stack."""
    https_port: int = 443
    """The HTTPS listener port of this service when the stack has `fleet:tls`: unique, and no service's publicPort."""
    health_check_path: str = "/healthz"
    health_check: HealthCheck = field(default_factory=HealthCheck)
    capacity: Capacity = field(default_factory=lambda: Capacity(min=2, desired=2, max=6))
    scaling: Scaling = field(default_factory=Scaling)
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
    canary: CanaryConfig | None = None
    """A canary release beside the live one, or None. Not part of the live release's identity."""


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
    """Where the load balancer and hosts live; None fields mean the account's default VPC and its subnets."""

    vpc_id: str | None = None
    subnet_ids: tuple[str, ...] | None = None


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

    certificate_arn: str
    """An ACM certificate in the stack's region, for the names clients use to reach the services."""


@dataclass(frozen=True)
class FleetConfig:
    stack: str
    services: tuple[ServiceConfig, ...]
    network: NetworkConfig = field(default_factory=NetworkConfig)
    promotion: PromotionConfig | None = None
    tls: TlsConfig | None = None
    alarm_topic_arn: str | None = None
    """An SNS topic that receives every alarm's ALARM and OK transitions."""


class ConfigError(ValueError):
    """Every problem found in a stack's configuration, one per line, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid fleet configuration:\n" + "\n".join(f"  - {problem}" for problem in problems))


def problem(key: str, message: str) -> str:
    """One line of a ConfigError: the full key (`fleet:services.web.port`), then what is wrong and what to do."""
    return f"{NAMESPACE}:{key}: {message}"


class _Problems:
    """Collects problems so that a user sees all of them in one run, not one per run."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(problem(key, message))

    def mapping(self, key: str, value: Any, allowed: Mapping[str, object]) -> dict[str, Any]:
        """`value` as a mapping holding only `allowed` keys (unknown keys are typos: reported with the allowed ones)."""
        if not isinstance(value, dict):
            self.add(key, f"must be a mapping with keys {', '.join(allowed)}; got {_describe(value)}")
            return {}
        for unknown in sorted(set(value) - set(allowed)):
            self.add(f"{key}.{unknown}", f"unknown key; allowed keys are {', '.join(allowed)}")
        return {name: value[name] for name in allowed if name in value}

    def integer(self, key: str, value: Any, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(key, f"must be a whole number from {low} to {high}; got {_describe(value)}")
            return None
        if not low <= value <= high:
            self.add(key, f"must be from {low} to {high}; got {value}")
            return None
        return value

    def optional_integer(
        self, key: str, settings: Mapping[str, Any], option: str, low: int, high: int, default: int
    ) -> Any:
        """The checked value of an optional whole-number key, or its default when the key is absent."""
        if option not in settings:
            return default
        return self.integer(f"{key}.{option}", settings[option], low, high)

    def text(self, key: str, value: Any, pattern: re.Pattern[str], allowed: str) -> str | None:
        if not isinstance(value, str) or not pattern.match(value):
            self.add(key, f"must be {allowed}; got {_describe(value)}")
            return None
        return value


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value) if value else "an empty string"
    return f"{type(value).__name__} {value!r}"


SERVICE_KEYS: dict[str, object] = {
    "image": None,
    "hostImage": None,
    "instanceType": None,
    "port": None,
    "publicPort": None,
    "healthCheckPath": None,
    "healthCheck": None,
    "capacity": None,
    "scaling": None,
    "drainSeconds": None,
    "bootGraceSeconds": None,
    "cutoverTimeoutMinutes": None,
    "settings": None,
    "httpsPort": None,
    "alarms": None,
    "canary": None,
}
CANARY_KEYS: dict[str, object] = {
    "image": None,
    "hostImage": None,
    "instanceType": None,
    "port": None,
    "weight": None,
    "instances": None,
}
MAX_CANARY_WEIGHT = 50
"""A canary takes at most half of the requests: more is a cut-over, which a release does health-gated."""
MAX_CANARY_INSTANCES = 20
IMAGE_KEYS: dict[str, object] = {"version": None, "build": None, "ref": None}
CAPACITY_KEYS: dict[str, object] = {"min": None, "desired": None, "max": None}
SCALING_KEYS: dict[str, object] = {
    "enabled": None,
    "cpuPercent": None,
    "requestsPerInstance": None,
    "instanceWarmupSeconds": None,
}
HEALTH_CHECK_KEYS: dict[str, object] = {
    "intervalSeconds": None,
    "healthyThreshold": None,
    "unhealthyThreshold": None,
    "timeoutSeconds": None,
}
NETWORK_KEYS: dict[str, object] = {"vpcId": None, "subnetIds": None}
PROMOTION_KEYS: dict[str, object] = {"from": None, "allowUnverified": None}
TOP_LEVEL_KEYS: dict[str, object] = {"services": None, "network": None, "promotion": None, "tls": None, "alarms": None}
TLS_KEYS: dict[str, object] = {"certificateArn": None}
TOPIC_KEYS: dict[str, object] = {"topicArn": None}
ALARM_KEYS: dict[str, object] = {
    "unhealthyHostMinutes": None,
    "errorRatePercent": None,
    "errorRateMinutes": None,
    "p99LatencyMs": None,
    "p99LatencyMinutes": None,
}
MAX_INSTANCES = 100
MIN_CPU_TARGET = 10
"""Below this, target tracking on CPU keeps a fleet at its max for nothing: 0 turns CPU tracking off instead."""
MAX_SETTINGS = 50
"""Settings per service: each is an SSM parameter whose name and version the launch template's user data carries."""
MAX_SETTING_BYTES = 4096
"""The value size of an SSM standard-tier parameter."""
RESERVED_SETTINGS = frozenset({"PORT", "APP_VERSION"})
RESERVED_SETTING_PREFIX = "FLEET_"
"""Names the boot script sets itself (PORT, APP_VERSION, FLEET_STACK...): a setting may not override them."""


def parse_config(raw: Mapping[str, Any], stack: str, project_root: Path | None = None) -> FleetConfig:
    """Validate the `fleet:` namespace of a stack's config (keys without the `fleet:` prefix).

    With `project_root`, build contexts must exist there and hold a Dockerfile; without it (reading a stack file
    at an old git revision) only their form is checked. Raises ConfigError listing every problem.
    """
    problems = _Problems()
    for unknown in sorted(set(raw) - set(TOP_LEVEL_KEYS)):
        problems.add(unknown, f"unknown key; allowed keys are {', '.join(TOP_LEVEL_KEYS)}")
    services = _services(problems, raw.get("services"), project_root)
    network = _network(problems, raw.get("network"))
    promotion = _promotion(problems, raw.get("promotion"))
    if promotion is not None:
        for service in services:
            if service.image.build is not None:
                problems.add(
                    f"services.{service.name}.image.build",
                    f"a stack promoted from {promotion.source} never builds: set image.ref to the image "
                    f"{promotion.source} deployed (fleetctl promote writes it)",
                )
    tls = _tls(problems, raw.get("tls"))
    _https_ports(problems, services, tls, raw.get("services"))
    alarm_topic_arn = _alarm_topic(problems, raw.get("alarms"))
    if problems.items:
        raise ConfigError(problems.items)
    return FleetConfig(
        stack=stack, services=services, network=network, promotion=promotion, tls=tls, alarm_topic_arn=alarm_topic_arn
    )


def _services(problems: _Problems, value: Any, project_root: Path | None) -> tuple[ServiceConfig, ...]:
    if not isinstance(value, dict) or not value:
        problems.add("services", f"must map service names to their settings, at least one; got {_describe(value)}")
        return ()
    services = []
    for name, settings in value.items():
        if not isinstance(name, str) or not SERVICE_NAME.match(name):
            problems.add(
                f"services.{name}",
                "service names must be 1-20 lowercase letters, digits or '-', starting with a letter and not "
                "ending with '-'",
            )
            continue
        service = _service(problems, name, settings, project_root)
        if service is not None:
            services.append(service)
    _unique_public_ports(problems, services)
    return tuple(services)


def _service(problems: _Problems, name: str, value: Any, project_root: Path | None) -> ServiceConfig | None:
    key = f"services.{name}"
    before = len(problems.items)
    settings = problems.mapping(key, value, SERVICE_KEYS)

    def integer(option: str, low: int, high: int, field_name: str) -> Any:
        return problems.optional_integer(key, settings, option, low, high, _default(ServiceConfig, field_name))

    image = _image(problems, f"{key}.image", settings.get("image"), project_root)
    host_image = problems.text(
        f"{key}.hostImage", settings.get("hostImage"), AMI_ID, "an AMI id such as ami-0abc1234def567890"
    )
    instance_type = settings.get("instanceType", _default(ServiceConfig, "instance_type"))
    problems.text(f"{key}.instanceType", instance_type, INSTANCE_TYPE, "an EC2 instance type such as t3.small")
    path = settings.get("healthCheckPath", _default(ServiceConfig, "health_check_path"))
    if not isinstance(path, str) or not path.startswith("/") or any(c.isspace() for c in path):
        problems.add(
            f"{key}.healthCheckPath",
            f"must be a URL path starting with '/' and without spaces, such as /healthz; got {_describe(path)}",
        )
    service = ServiceConfig(
        name=name,
        image=image,  # type: ignore[arg-type]  # checked below: nothing is returned while problems were added
        host_image=host_image,  # type: ignore[arg-type]
        instance_type=instance_type,
        port=integer("port", 1, 65535, "port"),
        public_port=integer("publicPort", 1, 65535, "public_port"),
        health_check_path=path,
        health_check=_health_check(problems, f"{key}.healthCheck", settings.get("healthCheck")),  # type: ignore[arg-type]
        capacity=_capacity(problems, f"{key}.capacity", settings.get("capacity")),  # type: ignore[arg-type]
        scaling=_scaling(problems, f"{key}.scaling", settings.get("scaling")),  # type: ignore[arg-type]
        drain_seconds=integer("drainSeconds", 0, 3600, "drain_seconds"),
        boot_grace_seconds=integer("bootGraceSeconds", 0, 7200, "boot_grace_seconds"),
        cutover_timeout_minutes=integer("cutoverTimeoutMinutes", 1, MAX_CUTOVER_MINUTES, "cutover_timeout_minutes"),
        settings=_settings(problems, f"{key}.settings", settings.get("settings")),
        https_port=integer("httpsPort", 1, 65535, "https_port"),
        alarms=_alarm_thresholds(problems, f"{key}.alarms", settings.get("alarms")),  # type: ignore[arg-type]
    )
    canary = None
    if "canary" in settings:
        canary = _canary(problems, f"{key}.canary", settings["canary"], service, project_root)
    return replace(service, canary=canary) if len(problems.items) == before else None


def _canary(
    problems: _Problems, key: str, value: Any, service: ServiceConfig, project_root: Path | None
) -> CanaryConfig | None:
    """The canary of `service`: what differs for its release, its share of requests and its host count.

    `service` may hold None for its own invalid values (already reported): the canary's checks against them wait.
    """
    before = len(problems.items)
    settings = problems.mapping(key, value, CANARY_KEYS)
    if not isinstance(value, dict):
        return None
    if "image" not in settings:
        problems.add(f"{key}.image", "is required: the image the canary runs, {version, build} or {version, ref}")
    image = _image(problems, f"{key}.image", settings["image"], project_root) if "image" in settings else None
    host_image: str | None = service.host_image
    if "hostImage" in settings:
        host_image = problems.text(
            f"{key}.hostImage", settings["hostImage"], AMI_ID, "an AMI id such as ami-0abc1234def567890"
        )
    instance_type: str | None = service.instance_type
    if "instanceType" in settings:
        instance_type = problems.text(
            f"{key}.instanceType", settings["instanceType"], INSTANCE_TYPE, "an EC2 instance type such as t3.small"
        )
    if service.port is not None and settings.get("port", service.port) != service.port:
        problems.add(
            f"{key}.port",
            f"must equal the service's port ({service.port}); got {_describe(settings['port'])}. The canary shares "
            "the service's firewall and health check: a new port is a new service",
        )
    weight = problems.optional_integer(key, settings, "weight", 1, MAX_CANARY_WEIGHT, _default(CanaryConfig, "weight"))
    instances = problems.optional_integer(
        key, settings, "instances", 1, MAX_CANARY_INSTANCES, _default(CanaryConfig, "instances")
    )
    if image is None or host_image is None or instance_type is None or len(problems.items) > before:
        return None
    canary = CanaryConfig(
        image=image, host_image=host_image, instance_type=instance_type, weight=weight, instances=instances
    )
    if service.image is not None:
        _canary_image(problems, key, service, canary)
    return canary if len(problems.items) == before else None


def _canary_image(problems: _Problems, key: str, service: ServiceConfig, canary: CanaryConfig) -> None:
    """The canary's image comes from where the service's does, and is a release of its own."""
    live, image = service.image, canary.image
    if (live.build is None) != (image.build is None):
        problems.add(
            f"{key}.image",
            f"must be {'built (version, build)' if live.build else 'a ref pinned by digest (version, ref)'} like "
            "the service's image: a canary is what the service runs once it finishes",
        )
    elif live.build is not None and image.version == live.version:
        problems.add(
            f"{key}.image.version",
            f"must differ from the service's image.version ({live.version}) on a stack that builds: the version "
            "tells the canary's build, hosts and metrics apart from the live release's",
        )
    elif live.ref_match and image.ref_match and live.ref_match["repository"] != image.ref_match["repository"]:
        problems.add(
            f"{key}.image.ref",
            f"must be in the service's repository ({live.ref_match['repository']}): the hosts may pull only from it",
        )
    elif (image, canary.host_image, canary.instance_type) == (live, service.host_image, service.instance_type):
        problems.add(
            key,
            "runs the service's own release (same image, hostImage and instanceType): there is nothing to compare. "
            "Change the canary's image, hostImage or instanceType, or remove the canary",
        )


def _default(cls: type, name: str) -> Any:
    """A dataclass field's default: the one place each default is written down."""
    spec = next(f for f in fields(cls) if f.name == name)
    if spec.default is MISSING:
        return spec.default_factory()  # type: ignore[operator]
    return spec.default


def _image(problems: _Problems, key: str, value: Any, project_root: Path | None) -> ImageSource | None:
    settings = problems.mapping(key, value, IMAGE_KEYS)
    if not isinstance(value, dict):
        return None
    version = problems.text(
        f"{key}.version",
        settings.get("version"),
        VERSION,
        "a quoted release version of 1-128 characters from A-Z a-z 0-9 . _ - (not starting with . or -), "
        'such as "1.4.2"',
    )
    build, ref = settings.get("build"), settings.get("ref")
    if (build is None) == (ref is None):
        problems.add(
            key,
            "set exactly one of build (a Docker build context, for the stack that builds) or ref (an image "
            "pinned by digest, for a promoted stack)",
        )
        return None
    if build is not None:
        build = _build_context(problems, f"{key}.build", build, project_root)
    else:
        ref = problems.text(
            f"{key}.ref",
            ref,
            ECR_DIGEST_REF,
            "an ECR image pinned by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>",
        )
    if version is None or (build is None and ref is None):
        return None
    return ImageSource(version=version, build=build, ref=ref)


def _build_context(problems: _Problems, key: str, value: Any, project_root: Path | None) -> str | None:
    if not isinstance(value, str) or not value or value.startswith("/") or ".." in Path(value).parts:
        problems.add(key, f"must be a directory inside the project, such as images/web; got {_describe(value)}")
        return None
    if project_root is not None and not (project_root / value / "Dockerfile").is_file():
        problems.add(key, f"must be a directory holding a Dockerfile; {value}/Dockerfile does not exist")
        return None
    return value


def _health_check(problems: _Problems, key: str, value: Any) -> HealthCheck | None:
    if value is None:
        return HealthCheck()
    settings = problems.mapping(key, value, HEALTH_CHECK_KEYS)

    def integer(option: str, low: int, high: int, field_name: str) -> Any:
        return problems.optional_integer(key, settings, option, low, high, _default(HealthCheck, field_name))

    check = HealthCheck(
        interval_seconds=integer("intervalSeconds", 5, 300, "interval_seconds"),
        healthy_threshold=integer("healthyThreshold", 2, 10, "healthy_threshold"),
        unhealthy_threshold=integer("unhealthyThreshold", 2, 10, "unhealthy_threshold"),
        timeout_seconds=integer("timeoutSeconds", 2, 120, "timeout_seconds"),
    )
    if not isinstance(value, dict) or None in (check.interval_seconds, check.timeout_seconds):
        return None
    if check.timeout_seconds >= check.interval_seconds:
        problems.add(
            key,
            f"timeoutSeconds ({check.timeout_seconds}) must be less than intervalSeconds ({check.interval_seconds})",
        )
    return check


def _capacity(problems: _Problems, key: str, value: Any) -> Capacity | None:
    if value is None:
        return _default(ServiceConfig, "capacity")
    settings = problems.mapping(key, value, CAPACITY_KEYS)
    if not isinstance(value, dict):
        return None
    sizes: dict[str, Any] = {}
    for name in CAPACITY_KEYS:
        if name not in settings:
            problems.add(f"{key}.{name}", f"is required: a whole number from 0 to {MAX_INSTANCES}")
            continue
        sizes[name] = problems.integer(f"{key}.{name}", settings[name], 0, MAX_INSTANCES)
    if len(sizes) < len(CAPACITY_KEYS) or None in sizes.values():
        return None
    capacity = Capacity(min=sizes["min"], desired=sizes["desired"], max=sizes["max"])
    if capacity.desired < 1:
        problems.add(key, "desired must be at least 1: a release is gated on at least one healthy instance")
    if capacity.min > capacity.desired:
        problems.add(key, f"min ({capacity.min}) must not exceed desired ({capacity.desired})")
    if capacity.desired > capacity.max:
        problems.add(key, f"desired ({capacity.desired}) must not exceed max ({capacity.max})")
    return capacity


def _scaling(problems: _Problems, key: str, value: Any) -> Scaling | None:
    if value is None:
        return Scaling()
    settings = problems.mapping(key, value, SCALING_KEYS)
    if not isinstance(value, dict):
        return None
    enabled = settings.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add(f"{key}.enabled", f"must be true or false; got {_describe(enabled)}")
        return None
    if not enabled:
        for option in sorted(set(settings) - {"enabled"}):
            problems.add(f"{key}.{option}", "has no effect with enabled: false; remove it or turn scaling on")
        return Scaling(enabled=False, cpu_percent=None)
    cpu = problems.optional_integer(key, settings, "cpuPercent", 0, 90, _default(Scaling, "cpu_percent"))
    if cpu is not None and 0 < cpu < MIN_CPU_TARGET:
        problems.add(f"{key}.cpuPercent", f"must be 0 (not tracked) or from {MIN_CPU_TARGET} to 90; got {cpu}")
    requests = settings.get("requestsPerInstance")
    if requests is not None:
        requests = problems.integer(f"{key}.requestsPerInstance", requests, 1, 1_000_000)
    warmup = problems.optional_integer(
        key, settings, "instanceWarmupSeconds", 0, 3600, _default(Scaling, "instance_warmup_seconds")
    )
    if cpu == 0 and requests is None and "requestsPerInstance" not in settings:
        problems.add(key, "tracks nothing: set cpuPercent and/or requestsPerInstance, or enabled: false")
    return Scaling(cpu_percent=cpu or None, requests_per_instance=requests, instance_warmup_seconds=warmup)


def _settings(problems: _Problems, key: str, value: Any) -> tuple[Setting, ...]:
    """The settings of a service, by name. A secret is `{secure: <ciphertext>}` in a stack file, or a `SecretText`
    in the program; no message about a secret ever shows its value."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.add(key, f"must map environment variable names to values; got {_describe(value)}")
        return ()
    if len(value) > MAX_SETTINGS:
        problems.add(key, f"at most {MAX_SETTINGS} settings per service; got {len(value)}")
    settings = []
    for name, raw in value.items():
        setting_key = f"{key}.{name}"
        if not isinstance(name, str) or not SETTING_NAME.match(name):
            problems.add(
                setting_key,
                "setting names must be environment variable names: 1-128 characters from A-Z 0-9 _, "
                "not starting with a digit",
            )
        elif name in RESERVED_SETTINGS or name.startswith(RESERVED_SETTING_PREFIX):
            problems.add(
                setting_key,
                f"is set by fleet on every host ({', '.join(sorted(RESERVED_SETTINGS))}, "
                f"{RESERVED_SETTING_PREFIX}*); choose another name",
            )
        else:
            setting = _setting(problems, setting_key, name, raw)
            if setting is not None:
                settings.append(setting)
    return tuple(sorted(settings, key=lambda setting: setting.name))


def _setting(problems: _Problems, key: str, name: str, raw: Any) -> Setting | None:
    if isinstance(raw, dict) and set(raw) == {"secure"} and isinstance(raw["secure"], str) and raw["secure"]:
        return Setting(name=name, value=None, ciphertext=raw["secure"])
    secret = isinstance(raw, SecretText)
    text = _setting_text(raw.plaintext if secret else raw)
    if text is None:
        shown = "a secret of another type" if secret else _describe(raw)
        problems.add(key, f"must be a string, a whole number or true/false (quote anything else); got {shown}")
    elif not text:
        problems.add(key, "must not be empty (an SSM parameter holds at least one character); remove the key instead")
    elif len(text.encode()) > MAX_SETTING_BYTES:
        problems.add(key, f"is {len(text.encode())} bytes; at most {MAX_SETTING_BYTES} (SSM standard tier)")
    elif any(ord(character) < 32 or ord(character) == 127 for character in text):
        problems.add(key, "must be one line without control characters: hosts pass settings as an environment file")
    else:
        return Setting(name=name, value=text, ciphertext=raw.ciphertext if secret else None)
    return None


def _setting_text(value: Any) -> str | None:
    """A setting's value as the container sees it: text as is, true/false, whole numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


def _unique_public_ports(problems: _Problems, services: list[ServiceConfig]) -> None:
    owners: dict[int, str] = {}
    for service in services:
        if service.public_port in owners:
            problems.add(
                f"services.{service.name}.publicPort",
                f"port {service.public_port} is already the listener of service {owners[service.public_port]}; "
                "each service needs its own publicPort",
            )
        owners.setdefault(service.public_port, service.name)


def _network(problems: _Problems, value: Any) -> NetworkConfig:
    if value is None:
        return NetworkConfig()
    settings = problems.mapping("network", value, NETWORK_KEYS)
    vpc_id = settings.get("vpcId")
    if vpc_id is not None:
        vpc_id = problems.text("network.vpcId", vpc_id, VPC_ID, "a VPC id such as vpc-0123456789abcdef0")
    subnet_ids = settings.get("subnetIds")
    if subnet_ids is None:
        return NetworkConfig(vpc_id=vpc_id)
    if vpc_id is None and "vpcId" not in settings:
        problems.add("network.subnetIds", "needs network.vpcId: name the VPC these subnets belong to")
    if (
        not isinstance(subnet_ids, list)
        or len(subnet_ids) < 2
        or not all(isinstance(s, str) and SUBNET_ID.match(s) for s in subnet_ids)
        or len(set(subnet_ids)) != len(subnet_ids)
    ):
        problems.add(
            "network.subnetIds",
            "must be a list of at least two distinct subnet ids (subnet-0123456789abcdef0) in different "
            f"availability zones, as the load balancer requires; got {_describe(subnet_ids)}",
        )
        return NetworkConfig(vpc_id=vpc_id)
    return NetworkConfig(vpc_id=vpc_id, subnet_ids=tuple(subnet_ids))


def _promotion(problems: _Problems, value: Any) -> PromotionConfig | None:
    if value is None:
        return None
    settings = problems.mapping("promotion", value, PROMOTION_KEYS)
    if not isinstance(value, dict):
        return None
    source = problems.text(
        "promotion.from",
        settings.get("from"),
        STACK_NAME,
        "the stack this one is promoted from: a stack name such as staging, or org/project/stack",
    )
    allow = settings.get("allowUnverified", False)
    if not isinstance(allow, bool):
        problems.add("promotion.allowUnverified", f"must be true or false; got {_describe(allow)}")
        return None
    return PromotionConfig(source=source, allow_unverified=allow) if source else None


def _tls(problems: _Problems, value: Any) -> TlsConfig | None:
    if value is None:
        return None
    settings = problems.mapping("tls", value, TLS_KEYS)
    if not isinstance(value, dict):
        return None
    arn = problems.text(
        "tls.certificateArn",
        settings.get("certificateArn"),
        ACM_CERTIFICATE_ARN,
        "an ACM certificate ARN in the stack's region: arn:aws:acm:<region>:<12 digits>:certificate/<id>",
    )
    return TlsConfig(certificate_arn=arn) if arn else None


def _https_ports(problems: _Problems, services: tuple[ServiceConfig, ...], tls: TlsConfig | None, raw: Any) -> None:
    """HTTPS ports: set only with a certificate, each its service's own, and never a port that serves HTTP."""
    if tls is None:
        for service in services:
            if "httpsPort" in raw[service.name]:
                problems.add(
                    f"services.{service.name}.httpsPort",
                    "needs fleet:tls.certificateArn: without a certificate the services speak HTTP on publicPort "
                    "only; set the certificate or remove httpsPort",
                )
        return
    public_ports = {service.public_port: service.name for service in services}
    owners: dict[int, str] = {}
    for service in services:
        port = service.https_port
        if port in owners:
            problems.add(
                f"services.{service.name}.httpsPort",
                f"port {port} is already the HTTPS listener of service {owners[port]}; each service needs its own",
            )
        elif port in public_ports:
            problems.add(
                f"services.{service.name}.httpsPort",
                f"port {port} is the HTTP listener (publicPort) of service {public_ports[port]}; a port serves "
                "either HTTP or HTTPS",
            )
        owners.setdefault(port, service.name)


def _alarm_thresholds(problems: _Problems, key: str, value: Any) -> AlarmThresholds | None:
    if value is None:
        return AlarmThresholds()
    settings = problems.mapping(key, value, ALARM_KEYS)

    def integer(option: str, low: int, high: int, field_name: str) -> Any:
        return problems.optional_integer(key, settings, option, low, high, _default(AlarmThresholds, field_name))

    thresholds = AlarmThresholds(
        unhealthy_host_minutes=integer("unhealthyHostMinutes", 1, 60, "unhealthy_host_minutes"),
        error_rate_percent=integer("errorRatePercent", 1, 100, "error_rate_percent"),
        error_rate_minutes=integer("errorRateMinutes", 1, 60, "error_rate_minutes"),
        p99_latency_ms=integer("p99LatencyMs", 1, 600_000, "p99_latency_ms"),
        p99_latency_minutes=integer("p99LatencyMinutes", 1, 60, "p99_latency_minutes"),
    )
    return thresholds if isinstance(value, dict) else None


def _alarm_topic(problems: _Problems, value: Any) -> str | None:
    if value is None:
        return None
    settings = problems.mapping("alarms", value, TOPIC_KEYS)
    if "topicArn" not in settings:
        return None
    return problems.text(
        "alarms.topicArn",
        settings["topicArn"],
        SNS_TOPIC_ARN,
        "an SNS topic ARN in the stack's region: arn:aws:sns:<region>:<12 digits>:<topic name>",
    )


def region_problems(config: FleetConfig, region: str) -> list[tuple[str, str]]:
    """(key, message) for the certificate or alarm topic outside the stack's region (`aws:region`): an ALB serves
    only certificates of its own region, and an alarm notifies only topics of it.
    """
    arns = {
        "tls.certificateArn": config.tls.certificate_arn if config.tls else None,
        "alarms.topicArn": config.alarm_topic_arn,
    }
    return [
        (key, f"is in {arn.split(':')[3]}, but the stack is in {region} (aws:region): use one in {region}")
        for key, arn in arns.items()
        if arn and arn.split(":")[3] != region
    ]


def fleet_keys(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The `fleet:` keys of a stack's `config:` mapping, without their prefix (other namespaces are not ours)."""
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix) :]: value for key, value in stack_config.items() if key.startswith(prefix)}
