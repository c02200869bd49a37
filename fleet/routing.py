"""Routing by host name on the stack's shared listeners: what a hostname may be, which services' names overlap,
and the listener-rule priority of each service; and the listeners' ports and rules the services take. Plain Python,
no Pulumi: `fleet.config` and `fleet.config_rules` check hostnames and the rules' quota with it,
`components/front_door.py` declares the rules it numbers, `__main__.py` opens the ports it lists, and the tests
read both.

The limits are the Application Load Balancer's ("Quotas for your Application Load Balancers" and "Condition types
for listener rules", Elastic Load Balancing user guide):

- a host-header value is at most 128 characters, case-insensitive, holds at least one `.`, and only letters after
  the last one; `*` matches any run of characters (dots included), `?` one;
- a condition matches at most 3 values ("up to three match evaluations per condition"), a rule at most 5, and a rule
  has at most one host-header condition: so one rule, and one service, has at most `MAX_HOSTNAMES` names;
- a load balancer has at most 100 rules besides the listeners' default ones (adjustable; `MAX_RULES` here);
- rule priorities are 1-50000, unique per listener; the provider updates a priority in place
  (terraform-provider-aws internal/service/elbv2/listener_rule.go at 032c4f07: `priority` is `ForceNew: false`,
  only `listener_arn` is ForceNew).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fleet.config_types import FleetConfig, ServiceConfig

MAX_HOSTNAME_LENGTH = 128
MAX_HOSTNAMES = 3
"""Host-header values one rule can match: AWS's three match evaluations per condition."""
MAX_RULES = 100
"""Listener rules per Application Load Balancer, default rules excluded: AWS's default quota."""
MIN_PRIORITY, MAX_PRIORITY = 1, 50_000
SHARED_HTTP_PORT = 80
SHARED_HTTPS_PORT = 443

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOSTNAME = re.compile(rf"^(?:\*\.)?(?:{_LABEL}\.)+[a-z]{{2,63}}$")
"""A lowercase DNS name of two or more labels, the last letters only, optionally below a leading `*.` wildcard."""
HOSTNAME_ALLOWED = (
    f"a lowercase DNS name of at most {MAX_HOSTNAME_LENGTH} characters such as api.example.com, optionally with a "
    "leading *. wildcard (*.example.com): labels of a-z, 0-9 and '-' (not at either end), a top-level label of "
    "letters only"
)


def valid_hostname(name: str) -> bool:
    return len(name) <= MAX_HOSTNAME_LENGTH and HOSTNAME.match(name) is not None


def is_wildcard(name: str) -> bool:
    return name.startswith("*.")


def matches(pattern: str, host: str) -> bool:
    """Whether the load balancer sends `host` to a rule for `pattern`: a wildcard's `*` matches any characters,
    so `*.example.com` matches every name ending in `.example.com`, and the pattern `*.api.example.com` too."""
    return host.endswith(pattern[1:]) if is_wildcard(pattern) else host == pattern


@dataclass(frozen=True)
class Overlap:
    """`host` of service `owner` is also matched by the wildcard `pattern` of service `other`."""

    owner: str
    host: str
    other: str
    pattern: str


def overlaps(hostnames: Mapping[str, Iterable[str]]) -> list[Overlap]:
    """Every name of a service that another service's wildcard also matches (the same name twice is a duplicate,
    not an overlap, and is left to `duplicates`)."""
    found: list[Overlap] = []
    for owner, hosts in hostnames.items():
        for host in hosts:
            for other, patterns in hostnames.items():
                found.extend(
                    Overlap(owner, host, other, pattern)
                    for pattern in patterns
                    if other != owner and is_wildcard(pattern) and pattern != host and matches(pattern, host)
                )
    return found


BAND = 25_000
"""Priorities 1-25000 are for rules of services without wildcards, 25001-50000 for those with: an exact name is
matched before any wildcard that also covers it."""
RULES_PER_SLOT = 3
SLOTS = BAND // RULES_PER_SLOT
"""Each service takes three adjacent priorities of its band: its canary's header rule, its track rule (which
attaches its target group before its hosts take requests), then its host rule."""


def _band(hostnames: Iterable[str]) -> int:
    return 1 if any(is_wildcard(name) for name in hostnames) else 0


def _slot(priority: int) -> tuple[int, int]:
    """(band, slot) of a host rule's priority."""
    band, offset = divmod(priority - MIN_PRIORITY, BAND)
    return band, offset // RULES_PER_SLOT


def _priority(band: int, slot: int) -> int:
    return band * BAND + RULES_PER_SLOT * slot + RULES_PER_SLOT


def home_slot(service: str) -> int:
    """Where a service's rules go when nothing else is there: a hash of its name, the same on every run."""
    return int(hashlib.sha256(service.encode()).hexdigest(), 16) % SLOTS


def rule_priorities(hostnames: Mapping[str, Iterable[str]], previous: Mapping[str, int]) -> dict[str, int]:
    """The host rule priority of each service with hostnames (its track rule takes the one before, its canary's
    header rule the one before that).

    `previous` holds the priorities the stack's last update gave (its outputs), removed services' included. A
    service keeps its own while its band stays the same, so adding, removing or renaming a service never moves
    another's rule. A new service (or one whose band changed) takes its home slot, or the next one free of every
    priority in `previous` and of those given here, in name order: a removed service's rule is deleted only at
    the end of the update, and AWS refuses a second rule on a listener with the same priority.
    """
    names = {service: tuple(names) for service, names in hostnames.items()}
    taken = {_slot(priority) for priority in previous.values() if RULES_PER_SLOT <= priority <= MAX_PRIORITY}
    given = {
        service: previous[service]
        for service in names
        if service in previous and _slot(previous[service])[0] == _band(names[service])
    }
    for service in sorted(set(names) - set(given)):
        band, slot = _band(names[service]), home_slot(service)
        while (band, slot) in taken:
            slot = (slot + 1) % SLOTS
        taken.add((band, slot))
        given[service] = _priority(band, slot)
    return given


def listener_rules(service: ServiceConfig) -> int:
    """The listener rules a service declares: its track rule and its traffic rule (its host rule with hostnames),
    both with a publicPort and hostnames, and its canary's header rule."""
    return 2 + (1 if service.hostnames and service.public_port is not None else 0) + (1 if service.canary else 0)


@dataclass(frozen=True)
class ListenerPorts:
    """The ports of the load balancer's listeners: each service's own, then the shared ones when a service has
    hostnames. The load balancer's firewall opens exactly these."""

    http: list[int]
    https: list[int]


def listener_ports(config: FleetConfig) -> ListenerPorts:
    routed = any(service.hostnames for service in config.services)
    http = [service.public_port for service in config.services if service.public_port is not None]
    https = [
        service.https_port
        for service in config.services
        if service.https_port is not None and service.public_port is not None
    ]
    if not config.https:
        https = []
    return ListenerPorts(
        http=[*http, *([SHARED_HTTP_PORT] if routed else [])],
        https=[*https, *([SHARED_HTTPS_PORT] if routed and config.https else [])],
    )
