"""A service's listeners on the stack's load balancer: HTTP, or HTTPS with HTTP only redirecting to it.

Declared as children of the service (not a component of their own) so that the HTTP listener keeps the URN it
had before HTTPS existed: turning HTTPS on changes that listener's default action, which terraform-provider-aws
updates in place (`aws_lb_listener`: only `load_balancer_arn` is ForceNew, internal/service/elbv2/listener.go),
so the port never stops answering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.config_types import ServiceConfig
from fleet.names import TLS_POLICY

ListenerAliases = tuple[pulumi.Input[str] | None, pulumi.Input[str] | None]
"""URNs of listeners a service's own HTTP and HTTPS listeners take over in place (the front door's, when the last
service leaves it for its own port: `fleet.rollout.front_door_handback`)."""


@dataclass(frozen=True)
class Entrypoint:
    """Where clients reach the service: the scheme and port its URL gives, and the listener that forwards there."""

    scheme: str
    port: int
    listener: aws.lb.Listener
    """The listener that forwards to the service's hosts: HTTPS with a certificate, else HTTP."""

    def url(self, dns_name: str) -> str:
        return f"{self.scheme}://{dns_name}:{self.port}"


def declare_listeners(
    name: str,
    config: ServiceConfig,
    load_balancer_arn: pulumi.Input[str],
    target_group_arn: pulumi.Input[str],
    certificate_arn: pulumi.Input[str] | None,
    https_opened_by: Sequence[pulumi.Resource],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    takes_over: ListenerAliases = (None, None),
) -> Entrypoint:
    """The HTTP listener `<name>-listener`, and with a certificate the HTTPS listener `<name>-https-listener`, of a
    service with a publicPort (and with a certificate an httpsPort: `fleet.config_rules` requires both).

    `https_opened_by`: what lets clients reach the HTTPS port (the load balancer's security group, whose inline
    ingress rule opens it). The redirect waits for it and for the HTTPS listener (which waits for its certificate,
    a managed one's validation included): turning TLS on updates all three in one run, and a redirect that went
    first would send clients to a port that drops or refuses them.
    """
    public_port, https_port = config.public_port, config.https_port
    assert public_port is not None, "only a service with a publicPort has listeners of its own"
    forward: aws.lb.ListenerDefaultActionArgsDict = {"type": "forward", "target_group_arn": target_group_arn}
    http_action: aws.lb.ListenerDefaultActionArgsDict = forward
    http_opts = opts
    https = None
    if certificate_arn is not None:
        assert https_port is not None, "a service with a listener of its own has an httpsPort with a certificate"
        https = aws.lb.Listener(
            f"{name}-https-listener",
            load_balancer_arn=load_balancer_arn,
            port=https_port,
            protocol="HTTPS",
            certificate_arn=certificate_arn,
            ssl_policy=TLS_POLICY,
            default_actions=[forward],
            tags=tags,
            opts=_taking_over(opts, takes_over[1]),
        )
        http_action = {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": str(https_port), "status_code": "HTTP_301"},
        }
        http_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[https, *https_opened_by]))
    http = aws.lb.Listener(
        f"{name}-listener",
        load_balancer_arn=load_balancer_arn,
        port=public_port,
        protocol="HTTP",
        default_actions=[http_action],
        tags=tags,
        opts=_taking_over(http_opts, takes_over[0]),
    )
    if https is None or https_port is None:
        return Entrypoint("http", public_port, http)
    return Entrypoint("https", https_port, https)


def _taking_over(opts: pulumi.ResourceOptions, urn: pulumi.Input[str] | None) -> pulumi.ResourceOptions:
    return opts if urn is None else pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[urn]))


def declare_target_group(
    name: str, config: ServiceConfig, vpc_id: pulumi.Input[str], tags: dict[str, str], opts: pulumi.ResourceOptions
) -> aws.lb.TargetGroup:
    """A target group of the service's hosts: its port, health check and drain time."""
    return aws.lb.TargetGroup(
        name,
        vpc_id=vpc_id,
        port=config.port,
        protocol="HTTP",
        target_type="instance",
        deregistration_delay=config.drain_seconds,
        health_check={
            "path": config.health_check_path,
            "port": "traffic-port",
            "protocol": "HTTP",
            "matcher": "200",
            "interval": config.health_check.interval_seconds,
            "timeout": config.health_check.timeout_seconds,
            "healthy_threshold": config.health_check.healthy_threshold,
            "unhealthy_threshold": config.health_check.unhealthy_threshold,
        },
        tags=tags,
        opts=opts,
    )
