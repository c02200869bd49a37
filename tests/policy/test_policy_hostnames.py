"""Stack rules of `policy/hostnames.py`: a hostname is claimed once, a host rule forwards to its own service only,
and every HTTPS listener uses fleet's TLS policy. Checked on records, and on what the program declares."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleet.names import SERVICE_TAG, TLS_POLICY
from fleet.resource_types import LISTENER, LISTENER_RULE, TARGET_GROUP
from fleetctl.simulation import ACCOUNT, REGION, mock_arn
from policy.__main__ import evaluate
from policy.hostnames import (
    host_rules_forward_to_their_own_service,
    hostnames_are_claimed_once,
    https_listeners_use_the_tls_policy,
)
from policy.records import UNKNOWN, declared, make_urn
from tests.policy.test_policy_on_program import records_of

LISTENER_ARN = mock_arn(LISTENER, "fleet-front-door-https")
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"


def target_group(service: str) -> Any:
    return declared(
        TARGET_GROUP, f"{service}-tg", {"arn": mock_arn(TARGET_GROUP, f"{service}-tg"), "tags": {SERVICE_TAG: service}}
    )


def host_rule(service: str, hosts: list[str], forward_to: str | None = None, **kwargs: Any) -> Any:
    arn = UNKNOWN if forward_to is None else mock_arn(TARGET_GROUP, f"{forward_to}-tg")
    return declared(
        LISTENER_RULE,
        f"{service}-host-rule",
        {
            "listenerArn": LISTENER_ARN,
            "conditions": [{"hostHeader": {"values": hosts}}],
            "actions": [{"type": "forward", "targetGroupArn": arn}],
            "tags": {SERVICE_TAG: service},
        },
        **kwargs,
    )


def test_two_services_on_different_hostnames_pass():
    records = [host_rule("web", ["www.example.com"], "web"), host_rule("api", ["api.example.com"], "api")]
    assert hostnames_are_claimed_once(records) == []


def test_two_services_claiming_one_hostname_are_caught():
    records = [host_rule("web", ["www.example.com"], "web"), host_rule("api", ["www.example.com"], "api")]
    [(urn, message)] = hostnames_are_claimed_once(records)
    assert urn == make_urn(LISTENER_RULE, "api-host-rule")
    assert "matches host 'www.example.com', which a rule of service 'web'" in message


def test_a_service_and_its_canary_header_rule_may_share_hostnames():
    canary = host_rule("web", ["www.example.com"], "web")
    records = [host_rule("web", ["www.example.com"], "web"), canary]
    assert hostnames_are_claimed_once(records) == []


def test_a_host_rule_forwarding_to_its_own_target_group_passes():
    records = [target_group("web"), host_rule("web", ["www.example.com"], "web")]
    assert host_rules_forward_to_their_own_service(records) == []


def test_a_host_rule_forwarding_to_another_services_target_group_is_caught():
    records = [target_group("web"), target_group("api"), host_rule("web", ["www.example.com"], "api")]
    [(_, message)] = host_rules_forward_to_their_own_service(records)
    assert "forwards to target group 'api-tg' of service 'api'" in message


def test_a_host_rule_forwarding_to_a_target_group_of_no_service_in_the_stack_is_caught():
    records = [host_rule("web", ["www.example.com"], "elsewhere")]
    [(_, message)] = host_rules_forward_to_their_own_service(records)
    assert "(not declared in this stack)" in message


def test_during_preview_the_target_group_is_found_by_the_urn_the_actions_depend_on():
    api = target_group("api")
    rule = host_rule("web", ["www.example.com"], property_dependencies={"actions": [api.urn]})
    [(_, message)] = host_rules_forward_to_their_own_service([target_group("web"), api, rule])
    assert "of service 'api'" in message


def https_listener(policy: Any) -> Any:
    return declared(LISTENER, "fleet-front-door-https", {"protocol": "HTTPS", "sslPolicy": policy})


@pytest.mark.parametrize("policy", [TLS_POLICY, UNKNOWN])
def test_an_https_listener_with_the_tls_policy_passes(policy):
    assert https_listeners_use_the_tls_policy([https_listener(policy)]) == []


@pytest.mark.parametrize("policy", ["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-2016-08", None])
def test_an_https_listener_with_any_other_policy_is_caught(policy):
    [(_, message)] = https_listeners_use_the_tls_policy([https_listener(policy)])
    assert f"set ssl_policy to {TLS_POLICY}" in message


def routed_staging(config: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    web = changed["fleet:services"]["web"]
    web["hostnames"] = ["www.example.com"]
    web["canary"] = {"image": {"version": "1.1.0", "build": "images/web"}}
    changed["fleet:services"]["api"] = {**copy.deepcopy(web), "hostnames": ["api.example.com"]}
    del changed["fleet:services"]["api"]["canary"]
    changed["fleet:tls"] = {"certificateArn": CERTIFICATE}
    return changed


def test_a_stack_of_services_on_hostnames_passes_every_policy_of_the_pack(program, staging_config):
    run = program("staging", routed_staging(staging_config))

    assert evaluate(records_of(run)) == []
