"""The stack's shared listeners, on which services are reached by host name: HTTPS on 443 with the stack's
certificate, and HTTP on 80 (redirecting to HTTPS, or routing by host when the stack has no certificate).

A request for a host no service claims gets a fixed 404 from the routing listener's default action: it never
reaches a service by default. Each service's rule (`<service>-host-rule`, `components/service.py`) sits on
`routing_listener`; the front door holds no rules, so adding or removing a service never touches it.

Moving onto the front door: port 80 (and 443) may already be the listener of a service served on its own port.
A listener's port is not ForceNew and AWS allows one listener per port, so the front door's listener takes over
that listener (`adopts_*`: an alias of its URN) and is updated in place. For the update that does it, the routing
listener keeps forwarding to the moving service (`carried_target_group_arn`) while that service's host rule is
created; the next update turns the default into the 404. `docs/topology.md` gives the steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.listeners import ListenerAliases
from fleet import resource_types as types
from fleet.config_types import FleetConfig
from fleet.names import NAMESPACE, TLS_POLICY, stack_tags
from fleet.outputs import ServiceOutputs
from fleet.rollout import front_door_handback, front_door_takeover
from fleet.routing import SHARED_HTTP_PORT, SHARED_HTTPS_PORT, rule_priorities

NOT_FOUND: aws.lb.ListenerDefaultActionArgsDict = {
    "type": "fixed-response",
    "fixed_response": {"content_type": "text/plain", "status_code": "404", "message_body": "no such host\n"},
}


@dataclass
class FrontDoorArgs:
    load_balancer_arn: pulumi.Input[str]
    certificate_arn: pulumi.Input[str] | None
    """The HTTPS listener's default certificate (an ACM ARN, or a managed certificate's validated ARN); None: the
    stack has no TLS and the HTTP listener routes by host."""
    tags: dict[str, str]
    https_opened_by: Sequence[pulumi.Resource] = ()
    """What lets clients reach port 443 (the load balancer's security group): the HTTP redirect waits for it and
    for the HTTPS listener, as a service's own redirect does (`components/listeners.py`)."""
    adopts_http: pulumi.Input[str] | None = None
    """The URN of the listener on port 80 the stack's last update left (a service's own), to update in place."""
    adopts_https: pulumi.Input[str] | None = None
    """The URN of the listener on port 443 the stack's last update left, to update in place."""
    carried_target_group_arn: pulumi.Input[str] | None = None
    """The target group of the service whose own listener this update takes over: the routing listener's default
    action for this update only, so the service keeps a route until its host rule exists."""


@dataclass(frozen=True)
class HostRoute:
    """Where a service with hostnames is reached: the front door's routing listener, at this rule priority."""

    listener: aws.lb.Listener
    priority: int
    """The service's host rule's (`fleet.routing.rule_priorities`); its canary's header rule takes the one before."""
    scheme: str

    def url(self, hostnames: tuple[str, ...]) -> str:
        return f"{self.scheme}://{hostnames[0]}"


class FrontDoor(pulumi.ComponentResource):
    routing_listener: aws.lb.Listener
    """The listener the services' host rules are on: HTTPS with a certificate, else HTTP."""
    https_listener_arn: pulumi.Output[str] | None
    """The shared HTTPS listener (None without TLS): where SNI certificates attach."""
    http_listener_arn: pulumi.Output[str]
    scheme: str

    def route(self, priority: int) -> HostRoute:
        return HostRoute(self.routing_listener, priority, self.scheme)

    def __init__(self, name: str, args: FrontDoorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:front_door:FrontDoor", name, None, opts)
        default: aws.lb.ListenerDefaultActionArgsDict = (
            {"type": "forward", "target_group_arn": args.carried_target_group_arn}
            if args.carried_target_group_arn is not None
            else NOT_FOUND
        )
        https = None
        http_default = default
        http_opts = _adopting(self, args.adopts_http)
        if args.certificate_arn is not None:
            https = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=args.load_balancer_arn,
                port=SHARED_HTTPS_PORT,
                protocol="HTTPS",
                certificate_arn=args.certificate_arn,
                ssl_policy=TLS_POLICY,
                default_actions=[default],
                tags=args.tags,
                opts=_adopting(self, args.adopts_https),
            )
            http_default = {
                "type": "redirect",
                "redirect": {"protocol": "HTTPS", "port": str(SHARED_HTTPS_PORT), "status_code": "HTTP_301"},
            }
            http_opts = pulumi.ResourceOptions.merge(
                http_opts, pulumi.ResourceOptions(depends_on=[https, *args.https_opened_by])
            )
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=args.load_balancer_arn,
            port=SHARED_HTTP_PORT,
            protocol="HTTP",
            default_actions=[http_default],
            tags=args.tags,
            opts=http_opts,
        )
        self.routing_listener = https or http
        self.scheme = "https" if https else "http"
        self.https_listener_arn = https.arn if https else None
        self.http_listener_arn = http.arn
        self.register_outputs({"httpListenerArn": http.arn, "httpsListenerArn": self.https_listener_arn})


def _adopting(parent: pulumi.Resource, urn: pulumi.Input[str] | None) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, aliases=[urn] if urn else None)


FRONT_DOOR = f"{NAMESPACE}-front-door"
SERVICE_TYPE = "fleet:service:Service"
FRONT_DOOR_TYPE = "fleet:front_door:FrontDoor"


@dataclass(frozen=True)
class Routing:
    front_door: FrontDoor | None = None
    routes: dict[str, HostRoute] = field(default_factory=dict)
    """Each service with hostnames: where its host rule goes."""
    handbacks: dict[str, ListenerAliases] = field(default_factory=dict)
    """The service whose own listeners take the front door's over (`fleet.rollout.front_door_handback`)."""


def host_routes(
    config: FleetConfig,
    previous: Mapping[str, ServiceOutputs],
    load_balancer_arn: pulumi.Input[str],
    certificate_arn: pulumi.Input[str] | None,
    https_opened_by: Sequence[pulumi.Resource] = (),
) -> Routing:
    """The front door and each service's route on it; none when no service has hostnames (the stack then
    declares what it did before hostnames existed, unless its own listeners take a front door's over)."""
    routed = {service.name: service.hostnames for service in config.services if service.hostnames}
    if not routed:
        handback = front_door_handback(config, previous)
        handbacks: dict[str, ListenerAliases] = {}
        for service, suffix, index in ((handback.http_owner, "http", 0), (handback.https_owner, "https", 1)):
            if service is not None:
                aliases = list(handbacks.get(service, (None, None)))
                aliases[index] = pulumi.create_urn(
                    f"{FRONT_DOOR}-{suffix}", types.LISTENER, parent=pulumi.create_urn(FRONT_DOOR, FRONT_DOOR_TYPE)
                )
                handbacks[service] = (aliases[0], aliases[1])
        return Routing(handbacks=handbacks)
    takeover = front_door_takeover(config, previous)
    front_door = FrontDoor(
        FRONT_DOOR,
        FrontDoorArgs(
            load_balancer_arn=load_balancer_arn,
            certificate_arn=certificate_arn,
            tags=stack_tags(config.stack),
            https_opened_by=https_opened_by,
            adopts_http=_listener_urn(takeover.http_owner, "listener"),
            adopts_https=_listener_urn(takeover.https_owner, "https-listener"),
            carried_target_group_arn=takeover.carried_target_group_arn,
        ),
    )
    kept = {name: entry.rule_priority for name, entry in previous.items() if entry.rule_priority is not None}
    priorities = rule_priorities(routed, kept)
    return Routing(front_door, {name: front_door.route(priority) for name, priority in priorities.items()})


def _listener_urn(service: str | None, suffix: str) -> pulumi.Output[str] | None:
    """The URN of a service's own listener (`components/listeners.py` names them `<service>-<suffix>`)."""
    if service is None:
        return None
    return pulumi.create_urn(f"{service}-{suffix}", types.LISTENER, parent=pulumi.create_urn(service, SERVICE_TYPE))
