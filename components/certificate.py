"""The stack's managed certificate: one ACM certificate for its hostnames, validated by DNS in the stack's zone.

The listeners take `validated_arn`, the ARN as `aws.acm.CertificateValidation` returns it once ACM has issued the
certificate, so no listener ever presents a certificate that is still pending validation.

A change of names replaces the certificate: `domain_name` and `subject_alternative_names` are ForceNew in
terraform-provider-aws (internal/service/acm/certificate.go at fc271f69), and Pulumi replaces create-before-delete.
So the new certificate is requested, its records written and its validation awaited first; the listeners then
move to it in place (`aws_lb_listener.certificate_arn` is not ForceNew, internal/service/elbv2/listener.go), and
the old certificate is deleted only at the end of the update, once nothing presents it (the provider retries
`DeleteCertificate` while ACM reports it in use). tests/engine_model.py follows this order.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.dns import WILDCARD, common_name, validation_domains


@dataclass
class CertificateArgs:
    names: tuple[str, ...]
    """The names to certify (`fleet.dns.certificate_names`): sorted, each once, at most the ACM quota."""
    zone_id: str
    """The Route 53 hosted zone that holds every name, where the validation records go."""
    tags: dict[str, str]


class Certificate(pulumi.ComponentResource):
    validated_arn: pulumi.Output[str]
    """The certificate's ARN, known only once ACM has validated it: what the listeners present."""

    def __init__(self, name: str, args: CertificateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:certificate:Certificate", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        domain = common_name(args.names)
        assert domain is not None, "fleet.config_rules refuses names none of which fits a certificate's Common Name"

        certificate = aws.acm.Certificate(
            name,
            domain_name=domain,
            # Every name, the domain name too: ACM lists it among the alternative names, and the provider's Read
            # stores that list, so a list without it would differ from the state on every run, and the field is
            # ForceNew (certificate.go: the CustomizeDiff adds `domain_name` to the set for the same reason).
            subject_alternative_names=list(args.names),
            validation_method="DNS",
            tags=args.tags,
            opts=child,
        )
        records = [
            _validation_record(f"{name}-validation-{domain_name}", certificate, domain_name, args.zone_id, child)
            for domain_name in validation_domains(args.names)
        ]
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn for record in records],
            opts=child,
        )

        self.validated_arn = validation.certificate_arn
        self.register_outputs({"validatedArn": self.validated_arn})


def _validation_record(
    name: str, certificate: aws.acm.Certificate, domain: str, zone_id: str, opts: pulumi.ResourceOptions
) -> aws.route53.Record:
    """The CNAME ACM asks for `domain`, which a wildcard of it shares (ACM gives both the same record).

    ACM's record is specific to the domain and the account, not to the certificate, and serves every certificate
    of that name in any region ("DNS validation", ACM user guide): a replacement certificate finds its records in
    place and the record resources stay as they are. `allow_overwrite`: the record may already exist for another
    certificate of the same name (another stack's in the same account); it is the same record.
    """
    option = certificate.domain_validation_options.apply(
        lambda options: next(o for o in options if o.domain_name in (domain, f"{WILDCARD}{domain}"))
    )
    return aws.route53.Record(
        name,
        zone_id=zone_id,
        name=option.resource_record_name,
        type=option.resource_record_type,
        records=[option.resource_record_value],
        ttl=60,
        allow_overwrite=True,
        opts=opts,
    )
