"""The rules of a stack's configuration across keys, and its checks against the stack's region.

The key tables (`fleet.config`) state each key's kind and range, and the rules of a generic shape (`InOrder`,
`Requires`...: `fleet.schema`); the other rules are the functions here, named by the tables' `rules` (and by the
`Services` kind, for the rules across services). Each reads the valid values of its mapping and adds a problem for
each key it refuses; its docstring states the rule in `docs/configuration.md`. `region_problems` checks a parsed
configuration against `aws:region`, which is no `fleet:` key: `fleet.validation` runs it after `parse_config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleet.config_types import FleetConfig, ServiceConfig
from fleet.dns import (
    CERTIFICATE_NAME_QUOTA,
    COMMON_NAME_MAX,
    MAX_CERTIFICATE_NAMES,
    certificate_names,
    common_name,
    under_zone,
)
from fleet.limits import name_problems, repository_problem
from fleet.names import CANARY_TRACK
from fleet.regions import partition_of
from fleet.routing import MAX_RULES, SHARED_HTTP_PORT, SHARED_HTTPS_PORT, is_wildcard, listener_rules, overlaps
from fleet.schema import Problems, describe, valid

CANARY_SUFFIX = f"-{CANARY_TRACK}"


# Rules across the keys of a service (the `SERVICE` table).


def canary_shares_the_service_port(
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


def canary_is_another_release_of_the_service(
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


# Rules across the services of a stack (the `Services` kind).


def unique_public_ports(problems: Problems, key: str, services: list[ServiceConfig]) -> None:
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


def hostnames_claimed_once(problems: Problems, key: str, services: list[ServiceConfig]) -> None:
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


def canaries_named_apart(problems: Problems, key: str, services: list[ServiceConfig]) -> None:
    """A canary's resources and alarms are named `<service>-canary`: no other service may have that name."""
    names = {service.name for service in services}
    for service in services:
        if service.canary is not None and f"{service.name}{CANARY_SUFFIX}" in names:
            problems.add(
                f"{key}.{service.name}.canary",
                f"service {service.name}{CANARY_SUFFIX} exists: a canary's resources and alarms are named "
                f"<service>{CANARY_SUFFIX}, so this canary's would collide with that service's",
            )


# Rules across the top-level keys (the `TOP_LEVEL` table).


def promoted_stack_never_builds(
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


def consumers_only_where_images_are_built(
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


def https_ports(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
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


def hostnames_in_the_zone(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
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


def tls_has_a_certificate(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
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


def shared_listeners(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
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


def rules_fit_the_quota(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
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


def names_aws_accepts(problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
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


# The checks against the stack's region.


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
