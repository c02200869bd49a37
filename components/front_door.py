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

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.names import TLS_POLICY
from fleet.routing import SHARED_HTTP_PORT, SHARED_HTTPS_PORT

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
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=args.load_balancer_arn,
            port=SHARED_HTTP_PORT,
            protocol="HTTP",
            default_actions=[http_default],
            tags=args.tags,
            opts=_adopting(self, args.adopts_http),
        )
        self.routing_listener = https or http
        self.scheme = "https" if https else "http"
        self.https_listener_arn = https.arn if https else None
        self.http_listener_arn = http.arn
        self.register_outputs({"httpListenerArn": http.arn, "httpsListenerArn": self.https_listener_arn})


def _adopting(parent: pulumi.Resource, urn: pulumi.Input[str] | None) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, aliases=[urn] if urn else None)
