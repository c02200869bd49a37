"""Names in DNS and on certificates: which hostnames a zone holds and which names a managed certificate needs.

Plain functions of the configured hostnames, so the program, `fleetctl` and the audit agree on them, and so the
config rules (`fleet.config_rules`) can refuse what ACM or Route 53 would refuse before anything is declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WILDCARD = "*."

ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
"""A Route 53 hosted zone id as `CreateHostedZone` returns it without its `/hostedzone/` prefix: `Z` and upper-case
letters and digits (Z1D633PJN98FT9, Z08393152MPN1ODRL6P3L). botocore's route53 model gives `ResourceId` a maximum
length of 32 and no pattern; the `Z` form is what every zone id has."""

ZONE_NAME = re.compile(r"^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?!-)[a-z0-9-]{2,63}(?<!-)$")
"""A zone's domain name, lower case and without the trailing dot Route 53 adds (`example.com`); labels of 1-63
characters, at most 253 in all (RFC 1035, as ACM's `DomainNameString` and Route 53's `DNSName` allow)."""

CERTIFICATE_NAME_QUOTA = 10
"""Domain names per ACM certificate: the initial quota (ACM `RequestCertificate`, SubjectAlternativeNames: "the
initial quota is 10 domain names", raised on request up to 100). The domain name counts as one of them."""
MAX_CERTIFICATE_NAMES = 100
"""The most names ACM puts on one certificate, whatever the account's quota (`DomainList`: max 100)."""

COMMON_NAME_MAX = 64
"""The longest name ACM accepts as a certificate's DomainName (its Common Name, RFC 5280); SANs may be 253."""

DUAL_STACK_TYPES = frozenset({"dualstack", "dualstack-without-public-ipv4"})
"""The load balancer `ip_address_type`s that answer on IPv6 (elbv2 `IpAddressType`): only these get an AAAA record."""


def under_zone(hostname: str, zone_name: str) -> bool:
    """Whether `hostname` (maybe `*.`-prefixed) is a name inside `zone_name`: the zone's apex or below it."""
    name = hostname.removeprefix(WILDCARD).lower()
    zone = zone_name.lower()
    return name == zone or name.endswith(f".{zone}")


def covered_by_wildcard(hostname: str, hostnames: Iterable[str]) -> bool:
    """Whether another of `hostnames` is a wildcard matching `hostname` (`*.example.com` covers `api.example.com`,
    not `example.com` nor `a.b.example.com`): a certificate need not list it."""
    if hostname.startswith(WILDCARD) or "." not in hostname:
        return False
    parent = hostname.split(".", 1)[1]
    return f"{WILDCARD}{parent}" in hostnames


def certificate_names(hostnames: Iterable[str]) -> tuple[str, ...]:
    """The names a managed certificate lists for `hostnames`: each once, lower case, none a wildcard already
    covers; sorted so that the order of services in the stack file never changes the certificate."""
    names = {hostname.lower() for hostname in hostnames}
    return tuple(sorted(name for name in names if not covered_by_wildcard(name, names)))


def common_name(names: tuple[str, ...]) -> str | None:
    """The certificate's DomainName: the first of `names` short enough for a Common Name; None if none is."""
    return next((name for name in names if len(name) <= COMMON_NAME_MAX), None)


def validation_domains(names: Iterable[str]) -> tuple[str, ...]:
    """The domains ACM validates for `names`, one DNS record each: `*.example.com` is validated as `example.com`,
    so a wildcard and its apex share one record (ACM `DomainValidation.DomainName` and its ResourceRecord)."""
    return tuple(sorted({name.removeprefix(WILDCARD) for name in names}))


def dual_stack(ip_address_type: str) -> bool:
    """Whether a load balancer of this `ip_address_type` answers on IPv6, so its names get AAAA records too."""
    return ip_address_type in DUAL_STACK_TYPES
