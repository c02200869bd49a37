"""Resource rule: HTTPS listeners negotiate with a TLS 1.3 security policy."""

from __future__ import annotations

from typing import Any

from fleet.resource_types import LISTENER
from policy import network
from policy.records import UNKNOWN, declared


def listener(**props: Any) -> list[str]:
    return network.https_listener_uses_tls13_policy(declared(LISTENER, "web-https-listener", props))


def test_https_listener_with_a_tls13_policy_passes() -> None:
    assert listener(protocol="HTTPS", sslPolicy="ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09") == []


def test_https_listener_with_a_policy_that_allows_tls_1_0_is_rejected() -> None:
    [message] = listener(protocol="HTTPS", sslPolicy="ELBSecurityPolicy-2016-08")
    assert "'ELBSecurityPolicy-2016-08'" in message
    assert "ELBSecurityPolicy-TLS13-" in message


def test_https_listener_without_a_policy_is_rejected_as_it_would_get_aws_default() -> None:
    [message] = listener(protocol="HTTPS")
    assert "has security policy None" in message


def test_http_listener_needs_no_policy() -> None:
    assert listener(protocol="HTTP") == []


def test_a_policy_unknown_during_preview_passes() -> None:
    assert listener(protocol="HTTPS", sslPolicy=UNKNOWN) == []
