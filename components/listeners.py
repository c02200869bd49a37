"""A service's listeners on the stack's load balancer: HTTP, or HTTPS with HTTP only redirecting to it.

Declared as children of the service (not a component of their own) so that the HTTP listener keeps the URN it
had before HTTPS existed: turning HTTPS on changes that listener's default action, which terraform-provider-aws
updates in place (`aws_lb_listener`: only `load_balancer_arn` is ForceNew, internal/service/elbv2/listener.go),
so the port never stops answering.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.config import ServiceConfig

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
"""TLS 1.3 and 1.2 with forward-secret AEAD ciphers only, and hybrid post-quantum key exchange: the policy AWS
recommends for HTTPS listeners (Elastic Load Balancing user guide, "Security policies for your Application Load
Balancer"; the console's default)."""


@dataclass(frozen=True)
class Entrypoint:
    """Where clients reach the service: the scheme and port its URL gives."""

    scheme: str
    port: int

    def url(self, dns_name: str) -> str:
        return f"{self.scheme}://{dns_name}:{self.port}"


def declare_listeners(
    name: str,
    config: ServiceConfig,
    load_balancer_arn: pulumi.Input[str],
    target_group_arn: pulumi.Input[str],
    certificate_arn: str | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> Entrypoint:
    """The HTTP listener `<name>-listener`, and with a certificate the HTTPS listener `<name>-https-listener`."""
    forward: aws.lb.ListenerDefaultActionArgsDict = {"type": "forward", "target_group_arn": target_group_arn}
    http_action: aws.lb.ListenerDefaultActionArgsDict = forward
    if certificate_arn is not None:
        aws.lb.Listener(
            f"{name}-https-listener",
            load_balancer_arn=load_balancer_arn,
            port=config.https_port,
            protocol="HTTPS",
            certificate_arn=certificate_arn,
            ssl_policy=TLS_POLICY,
            default_actions=[forward],
            tags=tags,
            opts=opts,
        )
        http_action = {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": str(config.https_port), "status_code": "HTTP_301"},
        }
    aws.lb.Listener(
        f"{name}-listener",
        load_balancer_arn=load_balancer_arn,
        port=config.public_port,
        protocol="HTTP",
        default_actions=[http_action],
        tags=tags,
        opts=opts,
    )
    if certificate_arn is None:
        return Entrypoint("http", config.public_port)
    return Entrypoint("https", config.https_port)
