"""Additional certificates on the shared HTTPS listener: one SNI attachment each, named by the certificate."""

from __future__ import annotations

from components.listener_certificates import ListenerCertificates, ListenerCertificatesArgs
from fleet.resource_types import LISTENER_CERTIFICATE
from tests.components.harness import declare

LISTENER = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/fleet-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
)
FIRST = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
SECOND = "arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000"


def attached(*arns: str):
    args = ListenerCertificatesArgs(listener_arn=LISTENER, certificate_arns=arns)
    return declare(lambda: ListenerCertificates("fleet-sni", args)).of_type(LISTENER_CERTIFICATE)


def test_each_additional_certificate_is_attached_to_the_shared_https_listener():
    assert {r.name: r.inputs for r in attached(FIRST, SECOND)} == {
        "fleet-sni-11111111-2222-3333-4444-555555555555": {"listenerArn": LISTENER, "certificateArn": FIRST},
        "fleet-sni-66666666-7777-8888-9999-000000000000": {"listenerArn": LISTENER, "certificateArn": SECOND},
    }


def test_reordering_the_certificates_keeps_every_attachment():
    assert {r.name for r in attached(FIRST, SECOND)} == {r.name for r in attached(SECOND, FIRST)}


def test_an_attachment_is_replaced_create_before_delete():
    assert not any(r.registration.delete_before_replace for r in attached(FIRST))
