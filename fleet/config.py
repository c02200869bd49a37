"""The stack configuration of fleet: parsed and validated in one place, before any resource is declared.

The program, `fleetctl` and the tests all read stack files through `parse_config`, into the dataclasses of
`fleet.config_types`, so a key means the same thing everywhere. Every problem is collected and reported at once,
each naming its key path (`fleet:services.web.capacity`) and what is allowed.

Each mapping is described once, as a table (`SERVICE`, `CAPACITY`, ...: see `fleet.schema`): its keys' names,
kinds and ranges; each default is its dataclass field's default. Rules across keys are the tables' `rules`: those
of a generic shape stated in the table (`InOrder("min", "desired", "max")`, `Requires(...)`), the others functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

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
from fleet.dns import (
    CERTIFICATE_NAME_QUOTA,
    COMMON_NAME_MAX,
    MAX_CERTIFICATE_NAMES,
    ZONE_ID,
    ZONE_NAME,
    certificate_names,
    common_name,
    under_zone,
)
from fleet.instance_types import INSTANCE_TYPES
from fleet.limits import name_problems, repository_problem
from fleet.names import (
    CANARY_TRACK,
    MAX_CANARY_WEIGHT,
    MAX_CUTOVER_MINUTES,
    MAX_DRAIN_SECONDS,
    MAX_WARM_ROLLBACK_MINUTES,
    NAMESPACE,
    STACK_NAME,
)
from fleet.regions import is_region, partition_of
from fleet.routing import (
    HOSTNAME_ALLOWED,
    MAX_HOSTNAMES,
    MAX_RULES,
    SHARED_HTTP_PORT,
    SHARED_HTTPS_PORT,
    is_wildcard,
    listener_rules,
    overlaps,
    valid_hostname,
)
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
    valid,
)
from fleet.service_settings import Settings

SERVICE_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$")
CANARY_SUFFIX = f"-{CANARY_TRACK}"
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


# Rules across the keys of one mapping.


def _canary_shares_the_service_port(
    problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]
) -> None:
    """A canary's `port`, if given, is the service's `port`: the canary shares its firewall and health check."""
    canary, port = given.get("canary"), values["port"]
    if isinstance(canary, dict) and "port" in canary and valid(port) and canary["port"] != port:
        problems.add(
            f"{key}.canary.port",
            f"must equal the service's port ({port}); got {describe(canary['port'])}. The canary shares the "
            "service's firewall and health check: a new port is a new service",
        )


def _canary_is_another_release_of_the_service(
    problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]
) -> None:
    """The canary's image is of the service's kind (`build` or `ref`, a `ref` in the service's repository); on a
    stack that builds, its `version` differs from the service's; with `hostImage` and `instanceType` it is not the
    service's own release."""
    canary, live = values["canary"], values["image"]
    if canary is None or not valid(canary, live, values["host_image"], values["instance_type"]):
        return
    image, key = canary.image, f"{key}.canary"
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
    elif (image, canary.host_image, canary.instance_type) == (live, values["host_image"], values["instance_type"]):
        problems.add(
            key,
            "runs the service's own release (same image, hostImage and instanceType): there is nothing to compare. "
            "Change the canary's image, hostImage or instanceType, or remove the canary",
        )


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
    rules=(_canary_shares_the_service_port, _canary_is_another_release_of_the_service),
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
        _unique_public_ports(problems, key, services)
        _hostnames_claimed_once(problems, key, services)
        _canaries_named_apart(problems, key, services)
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


def _unique_public_ports(problems: Problems, key: str, services: list[ServiceConfig]) -> None:
    owners: dict[int, str] = {}
    for service in services:
        if service.public_port is None:
            continue
        if service.public_port in owners:
            problems.add(
                f"{key}.{service.name}.publicPort",
                f"port {service.public_port} is already the listener of service {owners[service.public_port]}; "
                "each service needs its own publicPort",
            )
        owners.setdefault(service.public_port, service.name)


def _hostnames_claimed_once(problems: Problems, key: str, services: list[ServiceConfig]) -> None:
    """Each host reaches one service: a name is claimed once, and a name another service's wildcard also matches
    is refused where the rule order cannot settle it (`fleet.routing`: rules without wildcards come first)."""
    owners: dict[str, str] = {}
    for service in services:
        for index, name in enumerate(service.hostnames):
            if name in owners:
                problems.add(
                    f"{key}.{service.name}.hostnames[{index}]",
                    f"{name} is already a hostname of service {owners[name]}; a hostname routes to one service",
                )
            owners.setdefault(name, service.name)
    hostnames = {service.name: service.hostnames for service in services}
    for overlap in overlaps(hostnames):
        if any(is_wildcard(name) for name in hostnames[overlap.owner]):
            index = hostnames[overlap.owner].index(overlap.host)
            problems.add(
                f"{key}.{overlap.owner}.hostnames[{index}]",
                f"{overlap.host} is also matched by {overlap.pattern} of service {overlap.other}, and both services "
                "have wildcards, so neither rule is sure to come first. A service whose hostnames have no wildcard "
                "is matched before any wildcard: list names, not a wildcard, on one of them",
            )


def _canaries_named_apart(problems: Problems, key: str, services: list[ServiceConfig]) -> None:
    """A canary's resources and alarms are named `<service>-canary`: no other service may have that name."""
    names = {service.name for service in services}
    for service in services:
        if service.canary is not None and f"{service.name}{CANARY_SUFFIX}" in names:
            problems.add(
                f"{key}.{service.name}.canary",
                f"service {service.name}{CANARY_SUFFIX} exists: a canary's resources and alarms are named "
                f"<service>{CANARY_SUFFIX}, so this canary's would collide with that service's",
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


def _promoted_stack_never_builds(
    problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]
) -> None:
    """A stack with `promotion` never builds: every service's image is a `ref`."""
    promotion, services = values["promotion"], values["services"]
    if promotion is None or not valid(promotion, services):
        return
    for service in services:
        if service.image.build is not None:
            problems.add(
                f"services.{service.name}.image.build",
                f"a stack promoted from {promotion.source} never builds: set image.ref to the image "
                f"{promotion.source} deployed (fleetctl promote writes it)",
            )


def _consumers_only_where_images_are_built(
    problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]
) -> None:
    """Replication copies the images a stack pushes: a stack that builds none has nothing to replicate."""
    registry, services = values["registry"], values["services"]
    if registry is None or not valid(registry, services, values["promotion"]):
        return
    promoted = values["promotion"] is not None
    pinned = [service.name for service in services if service.image.build is None]
    if promoted or pinned:
        reason = (
            f"this stack is promoted from {values['promotion'].source}"
            if promoted
            else f"service {', '.join(pinned)} runs a pinned image.ref"
        )
        problems.add(
            "registry.consumers",
            f"only a stack that builds its images can have consumers, and {reason}: set fleet:registry.consumers "
            "in the stack that builds (every service with image.build), which replicates what it pushes",
        )


def _https_ports(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """A service's `httpsPort` needs `tls.certificateArn`, is its own, and is no service's `publicPort`."""
    services: tuple[ServiceConfig, ...] = values["services"]
    if not valid(services, values["tls"], values["dns"]):
        return
    if not _serves_https(values):
        for service in services:
            if "httpsPort" in given["services"][service.name]:
                problems.add(
                    f"services.{service.name}.httpsPort",
                    "needs fleet:tls.certificateArn or fleet:dns.zoneId: without a certificate the services speak "
                    "HTTP on publicPort only; set the certificate (or a zone for a managed one) or remove httpsPort",
                )
        return
    public_ports = {service.public_port: service.name for service in services if service.public_port is not None}
    owners: dict[int, str] = {}
    for service in services:
        port = service.https_port
        if port is None:
            continue
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


def _hostnames_in_the_zone(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """With a zone, every hostname is in it, some service has one, and a managed certificate fits ACM's limits."""
    services: tuple[ServiceConfig, ...] = values["services"]
    dns = values["dns"]
    if dns is None or not valid(services, dns, values["tls"]):
        return
    for service in services:
        outside = [hostname for hostname in service.hostnames if not under_zone(hostname, dns.zone_name)]
        if outside:
            problems.add(
                f"services.{service.name}.hostnames",
                f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not in the zone {dns.zone_name} "
                "(fleet:dns.zoneName): fleet writes records only in that zone; use names ending in "
                f".{dns.zone_name}, or remove fleet:dns and point these names at the load balancer yourself",
            )
    hostnames = [hostname for service in services for hostname in service.hostnames]
    if not hostnames:
        problems.add(
            "dns",
            "no service has hostnames: the zone would get no record (and a managed certificate no name); set "
            "fleet:services.<name>.hostnames, or remove fleet:dns",
        )
        return
    if not _serves_https(values) or (values["tls"] is not None and values["tls"].certificate_arn is not None):
        return
    names = certificate_names(hostnames)
    if len(names) > dns.certificate_name_quota:
        problems.add(
            "dns",
            f"the managed certificate would name {len(names)} hostnames ({', '.join(names)}); ACM issues at most "
            f"{dns.certificate_name_quota} names per certificate (dns.certificateNameQuota; ACM's default quota is "
            f"{CERTIFICATE_NAME_QUOTA}, raised on request up to {MAX_CERTIFICATE_NAMES}). Use a wildcard such as "
            f"*.{dns.zone_name}, which covers every name one label below it; or have the quota raised and set "
            "dns.certificateNameQuota; or set tls.certificateArn (and tls.additionalCertificateArns) to "
            "certificates you request",
        )
    if common_name(names) is None:
        problems.add(
            "dns",
            f"every hostname is longer than {COMMON_NAME_MAX} characters, the longest a certificate's first name "
            "(its Common Name) may be: add a shorter hostname, or set tls.certificateArn",
        )


def _serves_https(values: Mapping[str, Any]) -> bool:
    """`FleetConfig.https` from a rule's (valid) values: the user's certificate, or a zone for a managed one."""
    tls, dns = values["tls"], values["dns"]
    return dns is not None or (tls is not None and tls.certificate_arn is not None)


def _tls_has_a_certificate(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """`tls` names the listeners' certificate, unless a zone lets fleet request it (a managed certificate)."""
    tls, dns = values["tls"], values["dns"]
    if not valid(tls, dns) or tls is None:
        return
    if tls.certificate_arn is None and dns is None:
        problems.add(
            "tls.certificateArn",
            "is required: the ACM certificate the HTTPS listeners present. Without it, set fleet:dns.zoneId and "
            "zoneName and fleet requests and validates one for the stack's hostnames",
        )
    elif tls.certificate_arn is None and tls.additional_certificate_arns:
        problems.add(
            "tls.additionalCertificateArns",
            "needs tls.certificateArn: a managed certificate (fleet:dns.zoneId without tls.certificateArn) already "
            "covers every hostname of the stack; remove these or set tls.certificateArn",
        )
    elif (
        tls.additional_certificate_arns
        and valid(values["services"])
        and not any(service.hostnames for service in values["services"])
    ):
        problems.add(
            "tls.additionalCertificateArns",
            "needs a service with hostnames: these certificates are served by SNI on the shared HTTPS listener "
            "(port 443), which only services with fleet:services.<name>.hostnames use; a service on its own "
            "httpsPort presents tls.certificateArn alone",
        )


def _shared_listeners(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """With hostnames, the stack's shared listeners hold port 80 (and 443 with TLS): no service's own listener may,
    and a moving service runs no canary."""
    services: tuple[ServiceConfig, ...] = values["services"]
    if not valid(services, values["tls"], values["dns"]):
        return
    routed = [service.name for service in services if service.hostnames]
    if not routed:
        return
    tls = _serves_https(values)
    shared = {SHARED_HTTP_PORT: "publicPort", **({SHARED_HTTPS_PORT: "httpsPort"} if tls else {})}
    for service in services:
        ports = {"publicPort": service.public_port, "httpsPort": service.https_port if tls else None}
        for name, port in ports.items():
            if port in shared and (service.public_port is not None):
                problems.add(
                    f"services.{service.name}.{name}",
                    f"port {port} is the shared {'HTTPS' if port == SHARED_HTTPS_PORT else 'HTTP'} listener of "
                    f"the services with hostnames ({', '.join(routed)}); "
                    + (
                        f"remove {name}: {service.name} is served there by its hostnames"
                        if service.hostnames
                        else f"give {service.name} hostnames (it moves onto the shared listener, see "
                        f"docs/topology.md), or another {name}"
                    ),
                )
        if tls and service.hostnames and service.public_port is not None and service.https_port is None:
            problems.add(
                f"services.{service.name}.httpsPort",
                "is required with publicPort on a service with hostnames when the stack has fleet:tls: its own "
                f"HTTP listener redirects to it (ports other than {SHARED_HTTP_PORT} and {SHARED_HTTPS_PORT})",
            )
        if service.hostnames and service.public_port is not None and service.canary is not None:
            problems.add(
                f"services.{service.name}.canary",
                "a service served both on its own publicPort and by hostnames is moving between them: finish the "
                "move (remove publicPort) before starting a canary, or remove its hostnames",
            )


def _rules_fit_the_quota(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """The services' listener rules fit the load balancer's quota of rules."""
    services: tuple[ServiceConfig, ...] = values["services"]
    if not valid(services):
        return
    rules = sum(listener_rules(service) for service in services)
    if rules > MAX_RULES:
        problems.add(
            "services",
            f"need {rules} listener rules (two per service, its track rule and its traffic or host rule, one more "
            "for a service with both a publicPort and hostnames, one more for each canary); a load balancer takes "
            f"at most {MAX_RULES} (AWS's default quota): split the services across stacks",
        )


def _names_aws_accepts(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """The stack's and each service's name give every resource a name AWS accepts (its length limit, no security
    group name starting with `sg-`, a lowercase ECR repository name): see docs/limits.md.

    Checked here because the mocks autoname nothing (fleet.limits)."""
    stack, services = values["stack"], values["services"]
    if not valid(services):
        return
    for service in services:
        service_key = f"services.{service.name}"
        for message in name_problems(stack, service.name, canary=service.canary is not None):
            problems.add(service_key, message)
        if service.image.build is not None and (refused := repository_problem(stack, service.name)):
            problems.add(f"{service_key}.image.build", refused)


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
        _promoted_stack_never_builds,
        _https_ports,
        _shared_listeners,
        _rules_fit_the_quota,
        _tls_has_a_certificate,
        _hostnames_in_the_zone,
        _names_aws_accepts,
        _consumers_only_where_images_are_built,
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


def region_problems(config: FleetConfig, region: str) -> list[tuple[str, str]]:
    """(key, message) for what the stack's region (`aws:region`) rules out: a certificate or alarm topic of another
    region (an ALB serves only certificates of its own region, and an alarm notifies only topics of it), an image
    its hosts cannot pull, a consumer ECR cannot replicate to.
    """
    arns = {
        "tls.certificateArn": config.tls.certificate_arn if config.tls else None,
        **{
            f"tls.additionalCertificateArns[{index}]": arn
            for index, arn in enumerate(config.tls.additional_certificate_arns if config.tls else ())
        },
        "alarms.topicArn": config.alarm_topic_arn,
    }
    return [
        *(
            (key, f"is in {arn.split(':')[3]}, but the stack is in {region} (aws:region): use one in {region}")
            for key, arn in arns.items()
            if arn and arn.split(":")[3] != region
        ),
        *_image_region_problems(config, region),
        *_consumer_partition_problems(config, region),
    ]


def _image_region_problems(config: FleetConfig, region: str) -> list[tuple[str, str]]:
    """A host logs in to ECR in its own region (components/boot.sh: `get-login-password --region $FLEET_REGION`),
    and an ECR token authenticates only to registries of the region that issued it: a ref in another region's
    registry could never be pulled. The copy ECR replicates into this stack's region can."""
    images = [
        *((f"services.{service.name}.image.ref", service.image) for service in config.services),
        *(
            (f"services.{service.name}.canary.image.ref", service.canary.image)
            for service in config.services
            if service.canary is not None
        ),
    ]
    return [
        (
            key,
            f"names a registry in {match['region']}, but the stack's hosts run in {region} (aws:region) and log in "
            f"to ECR there only, so they could not pull it. Pin the copy in {region}: add this stack's account and "
            f"region to fleet:registry.consumers of the stack that builds the image, deploy it, then `fleetctl "
            "promote` pins the replicated copy",
        )
        for key, image in images
        if (match := image.ref_match) is not None and match["region"] != region
    ]


def _consumer_partition_problems(config: FleetConfig, region: str) -> list[tuple[str, str]]:
    """ECR replicates within a partition only (aws, aws-cn, aws-us-gov...): accounts of two partitions are apart."""
    if config.registry is None:
        return []
    home = partition_of(region)
    return [
        (
            f"registry.consumers[{index}].region",
            f"{consumer.region} is in partition {partition_of(consumer.region)}, but this stack's region {region} is "
            f"in {home}: ECR replicates only within a partition",
        )
        for index, consumer in enumerate(config.registry.consumers)
        if partition_of(consumer.region) != home
    ]


def fleet_keys(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The `fleet:` keys of a stack's `config:` mapping, without their prefix (other namespaces are not ours)."""
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix) :]: value for key, value in stack_config.items() if key.startswith(prefix)}
