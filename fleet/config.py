"""The stack configuration of fleet: every `fleet:` key, parsed and validated in one place, before any resource
is declared.

The program, `fleetctl` and the tests all read stack files through `parse_config`, into the dataclasses of
`fleet.config_types`, so a key means the same thing everywhere. Every problem is collected and reported at once,
each naming its key path (`fleet:services.web.capacity`) and what is allowed.

Each mapping is described once, as a table (`SERVICE`, `CAPACITY`, ...: see `fleet.schema`): its keys' names,
kinds and ranges; each default is its dataclass field's default. Rules across keys are the tables' `rules`: those
of a generic shape stated in the table (`InOrder("min", "desired", "max")`, `Requires(...)`), the others functions
of `fleet.config_rules`. The kind of a service's `settings` is `fleet.service_settings`'s. `docs/generate.py`
renders `docs/configuration.md` from these tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from fleet.config_rules import (
    canaries_named_apart,
    canary_is_another_release_of_the_service,
    canary_shares_the_service_port,
    consumers_only_where_images_are_built,
    hostnames_claimed_once,
    hostnames_in_the_zone,
    https_ports,
    names_aws_accepts,
    promoted_stack_never_builds,
    rules_fit_the_quota,
    shared_listeners,
    tls_has_a_certificate,
    unique_public_ports,
)
from fleet.config_types import (
    ECR_DIGEST_REF,
    AlarmThresholds,
    CanaryConfig,
    Capacity,
    ConfigError,
    Consumer,
    DnsConfig,
    FleetConfig,
    HealthCheck,
    ImageSource,
    NetworkConfig,
    PromotionConfig,
    RegistryConfig,
    Scaling,
    ServiceConfig,
    TlsConfig,
    problem,
)
from fleet.dns import MAX_CERTIFICATE_NAMES, ZONE_ID, ZONE_NAME
from fleet.instance_types import INSTANCE_TYPES
from fleet.names import (
    MAX_CANARY_WEIGHT,
    MAX_CUTOVER_MINUTES,
    MAX_DRAIN_SECONDS,
    MAX_WARM_ROLLBACK_MINUTES,
    NAMESPACE,
    STACK_NAME,
)
from fleet.regions import is_region
from fleet.routing import HOSTNAME_ALLOWED, MAX_HOSTNAMES, valid_hostname
from fleet.schema import (
    INVALID,
    AtLeast,
    AtLeastOne,
    CheckedByRule,
    DistinctTexts,
    ExactlyOne,
    Flag,
    InOrder,
    Inside,
    Key,
    Kind,
    Nested,
    OneOf,
    OrNull,
    Problems,
    Requires,
    Schema,
    Text,
    TrackingTarget,
    Whole,
    describe,
    parse,
)
from fleet.service_settings import Settings

SERVICE_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$")
VERSION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
AMI_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
SUBNET_ID = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
ACM_CERTIFICATE_ARN = re.compile(
    r"^arn:aws(?:-cn|-us-gov)?:acm:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:certificate/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
ACCOUNT_ID = re.compile(r"^\d{12}$")
"""An AWS account id: the ECR API's `RegistryId` pattern (`[0-9]{12}`, botocore's ecr service-2.json)."""
SNS_TOPIC_ARN = re.compile(
    r"^arn:aws(?:-cn|-us-gov)?:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$"
)

MAX_INSTANCES = 100
MAX_CANARY_INSTANCES = 20
MIN_CPU_TARGET = 10
"""Below this, target tracking on CPU keeps a fleet at its max for nothing: 0 turns CPU tracking off instead."""
MAX_ADDITIONAL_CERTIFICATES = 25
"""Certificates per Application Load Balancer besides the default one (Elastic Load Balancing quotas): the most
`tls.additionalCertificateArns` the shared HTTPS listener can serve by SNI."""


class Hostnames(Kind):
    """1-`MAX_HOSTNAMES` distinct hostnames (`fleet.routing`), read as a tuple in the order written."""

    allowed = f"a list of 1-{MAX_HOSTNAMES} distinct hostnames, each {HOSTNAME_ALLOWED}"

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            problems.add(
                key, f"must be a list of 1-{MAX_HOSTNAMES} hostnames, each {HOSTNAME_ALLOWED}; got {describe(value)}"
            )
            return INVALID
        names: list[str] = []
        for index, name in enumerate(value):
            if not isinstance(name, str) or not valid_hostname(name):
                problems.add(f"{key}[{index}]", f"must be {HOSTNAME_ALLOWED}; got {describe(name)}")
            elif name in names:
                problems.add(f"{key}[{index}]", f"{name} is listed twice; list each hostname once")
            else:
                names.append(name)
        if len(value) > MAX_HOSTNAMES:
            problems.add(
                key,
                f"has {len(value)} hostnames; at most {MAX_HOSTNAMES}: the service's listener rule matches them in "
                f"one host-header condition, which takes at most {MAX_HOSTNAMES} values (an AWS quota that cannot be "
                "raised). Use a wildcard (*.example.com) or split the service",
            )
            return INVALID
        return tuple(names) if len(names) == len(value) else INVALID


class BuildContext(Kind):
    """A directory inside the project; with a project root, one that holds a Dockerfile."""

    allowed = "a directory inside the project holding a Dockerfile, such as images/web"

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if not isinstance(value, str) or not value or value.startswith("/") or ".." in Path(value).parts:
            problems.add(key, f"must be a directory inside the project, such as images/web; got {describe(value)}")
            return INVALID
        root = problems.project_root
        if root is not None and not (root / value / "Dockerfile").is_file():
            problems.add(key, f"must be a directory holding a Dockerfile; {value}/Dockerfile does not exist")
            return INVALID
        return value


class Region(Kind):
    """An AWS region botocore's endpoint data knows (`fleet.regions`)."""

    allowed = "an AWS region such as us-east-1 (one botocore's endpoint data names)"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and is_region(value)


MAX_CONSUMERS = 25
"""Destinations of one replication rule: terraform-provider-aws's schema of aws_ecr_replication_configuration
(internal/service/ecr/replication_configuration.go, `destination` MaxItems 25); fleet writes them all in one rule."""


class Consumers(Kind):
    """A list of distinct {account, region} registries, at most MAX_CONSUMERS."""

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            problems.add(
                key,
                "must be a list of at least one {account, region}, such as "
                f'[{{account: "210987654321", region: us-east-1}}]; got {describe(value)}',
            )
            return INVALID
        if len(value) > MAX_CONSUMERS:
            problems.add(key, f"at most {MAX_CONSUMERS} consumers (one ECR replication rule); got {len(value)}")
        consumers: list[Consumer] = []
        for index, item in enumerate(value):
            consumer = parse(problems, f"{key}[{index}]", item, CONSUMER)
            if consumer is INVALID:
                continue
            if consumer in consumers:
                problems.add(
                    f"{key}[{index}]",
                    f"repeats consumer {consumer.account} in {consumer.region}: name each registry once",
                )
                continue
            consumers.append(consumer)
        return tuple(consumers)


# The tables: every key of the configuration, once.

PORT = Whole(1, 65535)

IMAGE = Schema(
    ImageSource,
    (
        Key(
            "version",
            Text(
                VERSION,
                "a quoted release version of 1-128 characters from A-Z a-z 0-9 . _ - (not starting with . or -), "
                'such as "1.4.2"',
            ),
            required=True,
        ),
        Key("build", OrNull(BuildContext())),
        Key(
            "ref",
            OrNull(
                Text(
                    ECR_DIGEST_REF,
                    "an ECR image pinned by digest: "
                    "<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>",
                )
            ),
        ),
    ),
    rules=(
        ExactlyOne(
            build="a Docker build context, for the stack that builds",
            ref="an image pinned by digest, for a promoted stack",
        ),
    ),
)
HEALTH_CHECK = Schema(
    HealthCheck,
    (
        Key("intervalSeconds", Whole(5, 300)),
        Key("healthyThreshold", Whole(2, 10)),
        Key("unhealthyThreshold", Whole(2, 10)),
        Key("timeoutSeconds", Whole(2, 120)),
    ),
    rules=(InOrder("timeoutSeconds", "intervalSeconds", strict=True),),
)
CAPACITY = Schema(
    Capacity,
    tuple(Key(name, Whole(0, MAX_INSTANCES), required=True) for name in ("min", "desired", "max")),
    rules=(
        AtLeast("desired", 1, because="a release is gated on at least one healthy instance"),
        InOrder("min", "desired", "max"),
    ),
)
SCALING = Schema(
    Scaling,
    (
        Key("enabled", Flag()),
        Key("cpuPercent", TrackingTarget(90, floor=MIN_CPU_TARGET)),
        Key("requestsPerInstance", OrNull(Whole(1, 1_000_000))),
        Key("instanceWarmupSeconds", Whole(0, 3600)),
    ),
    rules=(AtLeastOne("cpuPercent", "requestsPerInstance", nothing="tracks nothing", otherwise="enabled: false"),),
    switched_off=Scaling(enabled=False, cpu_percent=None),
)
ALARMS = Schema(
    AlarmThresholds,
    (
        Key("unhealthyHostMinutes", Whole(1, 60)),
        Key("errorRatePercent", Whole(1, 100)),
        Key("errorRateMinutes", Whole(1, 60)),
        Key("p99LatencyMs", Whole(1, 600_000)),
        Key("p99LatencyMinutes", Whole(1, 60)),
    ),
)
HOST_IMAGE = Text(AMI_ID, "an AMI id such as ami-0abc1234def567890")
INSTANCE_TYPE_NAME = OneOf(
    INSTANCE_TYPES, f"an EC2 instance type, one of the {len(INSTANCE_TYPES)} in the EC2 API (such as t3.small)"
)
CANARY = Schema(
    CanaryConfig,
    (
        Key("image", Nested(IMAGE), required="the image the canary runs, {version, build} or {version, ref}"),
        Key("hostImage", HOST_IMAGE),
        Key("instanceType", INSTANCE_TYPE_NAME),
        Key("port", CheckedByRule(), doc="Stated for clarity only: a canary runs on its service's port, and no other."),
        Key("weight", Whole(1, MAX_CANARY_WEIGHT)),
        Key("instances", Whole(1, MAX_CANARY_INSTANCES)),
    ),
)
SERVICE = Schema(
    ServiceConfig,
    (
        Key("image", Nested(IMAGE), required=True),
        Key("hostImage", HOST_IMAGE, required=True),
        Key("instanceType", INSTANCE_TYPE_NAME),
        Key("port", PORT),
        Key("publicPort", PORT),
        Key(
            "healthCheckPath",
            Text(re.compile(r"/\S*\Z"), "a URL path starting with '/' and without spaces, such as /healthz"),
        ),
        Key("healthCheck", OrNull(Nested(HEALTH_CHECK))),
        Key("capacity", OrNull(Nested(CAPACITY))),
        Key("scaling", OrNull(Nested(SCALING))),
        Key("drainSeconds", Whole(0, MAX_DRAIN_SECONDS)),
        Key("bootGraceSeconds", Whole(0, 7200)),
        Key("cutoverTimeoutMinutes", Whole(1, MAX_CUTOVER_MINUTES)),
        Key("settings", OrNull(Settings())),
        Key("httpsPort", PORT),
        Key("alarms", OrNull(Nested(ALARMS))),
        Key("canary", OrNull(Nested(CANARY, inherits=("host_image", "instance_type")))),
        Key("hostnames", OrNull(Hostnames())),
        Key("warmRollbackMinutes", Whole(0, MAX_WARM_ROLLBACK_MINUTES)),
    ),
    rules=(canary_shares_the_service_port, canary_is_another_release_of_the_service),
)
SERVICE_KEYS = SERVICE.names


class Services(Kind):
    """The services of a stack, by name: each valid one, in the order written; each needs its own publicPort."""

    allowed = (
        "service names: 1-20 lowercase letters, digits or '-', starting with a letter and not ending with '-'; "
        "each service its own publicPort; no canary on `x` while a service `x-canary` exists"
    )

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            problems.add(key, f"must map service names to their settings, at least one; got {describe(value)}")
            return INVALID
        services = []
        for name, settings in value.items():
            if not isinstance(name, str) or not SERVICE_NAME.match(name):
                problems.add(
                    f"{key}.{name}",
                    "service names must be 1-20 lowercase letters, digits or '-', starting with a letter and not "
                    "ending with '-'",
                )
                continue
            service = parse(problems, f"{key}.{name}", settings, SERVICE, name=name)
            if service is not INVALID:
                services.append(_own_ports(service, settings))
        unique_public_ports(problems, key, services)
        hostnames_claimed_once(problems, key, services)
        canaries_named_apart(problems, key, services)
        return tuple(services)


def _own_ports(service: ServiceConfig, settings: Mapping[str, Any]) -> ServiceConfig:
    """A service with hostnames has listeners of its own only on the ports it sets (to move from them, or to keep
    a port for clients that need one); 80 and 443 are the shared listeners'."""
    if not service.hostnames:
        return service
    return replace(
        service,
        public_port=service.public_port if "publicPort" in settings else None,
        https_port=service.https_port if "httpsPort" in settings else None,
    )


NETWORK = Schema(
    NetworkConfig,
    (
        Key("vpcId", OrNull(Text(VPC_ID, "a VPC id such as vpc-0123456789abcdef0"))),
        Key(
            "subnetIds",
            OrNull(
                DistinctTexts(
                    SUBNET_ID,
                    2,
                    "a list of at least two distinct subnet ids (subnet-0123456789abcdef0) in different "
                    "availability zones, as the load balancer requires",
                )
            ),
        ),
    ),
    rules=(Requires("subnetIds", "vpcId", because="name the VPC these subnets belong to"),),
)
PROMOTION = Schema(
    PromotionConfig,
    (
        Key(
            "from",
            Text(STACK_NAME, "the stack this one is promoted from: a stack name such as staging, or org/project/stack"),
            required=True,
            field="source",
        ),
        Key("allowUnverified", Flag()),
    ),
)
CONSUMER = Schema(
    Consumer,
    (
        Key(
            "account",
            Text(ACCOUNT_ID, 'a quoted 12-digit AWS account id such as "210987654321"'),
            required="the 12-digit account id of the consumer's registry, quoted",
        ),
        Key("region", Region(), required="the AWS region of the consumer's registry, such as us-east-1"),
    ),
)
REGISTRY = Schema(
    RegistryConfig,
    (Key("consumers", Consumers(), required="the registries this stack's images replicate to, [{account, region}]"),),
)
CERTIFICATE_ARN_FORM = "arn:aws:acm:<region>:<12 digits>:certificate/<id>"
TLS = Schema(
    TlsConfig,
    (
        Key(
            "certificateArn",
            OrNull(Text(ACM_CERTIFICATE_ARN, f"an ACM certificate ARN in the stack's region: {CERTIFICATE_ARN_FORM}")),
        ),
        Key(
            "additionalCertificateArns",
            OrNull(
                DistinctTexts(
                    ACM_CERTIFICATE_ARN,
                    1,
                    f"a list of distinct ACM certificate ARNs in the stack's region ({CERTIFICATE_ARN_FORM}), "
                    f"at most {MAX_ADDITIONAL_CERTIFICATES}",
                    at_most=MAX_ADDITIONAL_CERTIFICATES,
                )
            ),
        ),
    ),
)
DNS = Schema(
    DnsConfig,
    (
        Key(
            "zoneId",
            Text(ZONE_ID, "a Route 53 hosted zone id: Z and 1-31 upper-case letters or digits, such as Z08393152MPN1"),
            required=True,
        ),
        Key(
            "zoneName",
            Text(ZONE_NAME, "the hosted zone's domain name in lower case, without a trailing dot, such as example.com"),
            required="the hosted zone's domain name, such as example.com (hostnames are checked against it)",
        ),
        Key("certificateNameQuota", Whole(1, MAX_CERTIFICATE_NAMES)),
    ),
)


TOP_LEVEL = Schema(
    FleetConfig,
    (
        Key("services", Services(), required=True),
        Key("network", OrNull(Nested(NETWORK))),
        Key("promotion", OrNull(Nested(PROMOTION))),
        Key("tls", OrNull(Nested(TLS))),
        Key(
            "alarms",
            OrNull(
                Inside(
                    "topicArn",
                    Text(
                        SNS_TOPIC_ARN,
                        "an SNS topic ARN in the stack's region: arn:aws:sns:<region>:<12 digits>:<topic name>",
                    ),
                )
            ),
            field="alarm_topic_arn",
        ),
        Key("registry", OrNull(Nested(REGISTRY))),
        Key("dns", OrNull(Nested(DNS))),
    ),
    rules=(
        promoted_stack_never_builds,
        https_ports,
        shared_listeners,
        rules_fit_the_quota,
        tls_has_a_certificate,
        hostnames_in_the_zone,
        names_aws_accepts,
        consumers_only_where_images_are_built,
    ),
)


def parse_config(raw: Mapping[str, Any], stack: str, project_root: Path | None = None) -> FleetConfig:
    """Validate the `fleet:` namespace of a stack's config (keys without the `fleet:` prefix).

    With `project_root`, build contexts must exist there and hold a Dockerfile; without it (reading a stack file
    at an old git revision) only their form is checked. Raises ConfigError listing every problem.
    """
    problems = Problems(project_root)
    config = parse(problems, "", dict(raw), TOP_LEVEL, stack=stack)
    if problems.items:
        raise ConfigError([problem(key, message) for key, message in problems.items])
    return config


def fleet_keys(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The `fleet:` keys of a stack's `config:` mapping, without their prefix (other namespaces are not ours)."""
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix) :]: value for key, value in stack_config.items() if key.startswith(prefix)}
