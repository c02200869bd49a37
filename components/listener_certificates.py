"""Certificates the shared HTTPS listener serves by SNI, beside its default one (`tls.additionalCertificateArns`).

One `aws.lb.ListenerCertificate` per certificate, named by the certificate's id so that reordering the list
changes nothing. Both of its inputs are ForceNew (terraform-provider-aws internal/service/elbv2/
listener_certificate.go at 4e22d67d), so replacing one certificate by another adds the new one to the listener
(create) before the old one is removed (the delete, at the end of the update).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass
class ListenerCertificatesArgs:
    listener_arn: pulumi.Input[str]
    """The shared HTTPS listener."""
    certificate_arns: tuple[str, ...]
    """ACM certificates of the stack's region, each once (`fleet.config` checks their form, `fleet.config_rules`
    their region)."""


class ListenerCertificates(pulumi.ComponentResource):
    def __init__(self, name: str, args: ListenerCertificatesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:listener_certificates:ListenerCertificates", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for arn in args.certificate_arns:
            aws.lb.ListenerCertificate(
                f"{name}-{arn.rsplit('/', 1)[-1]}",
                listener_arn=args.listener_arn,
                certificate_arn=arn,
                opts=child,
            )
        self.register_outputs({})
