"""Services on hostnames share the stack's listeners (HTTPS 443, HTTP 80): one host rule each, a 404 for any other
host, and rules that stay where they are when other services come and go. Runs the program under the mocks."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.front_door import NOT_FOUND
from components.listeners import TLS_POLICY
from fleet.names import TRACK_HEADER
from fleet.resource_types import AUTOSCALING_GROUP, LISTENER, LISTENER_RULE, SECURITY_GROUP, TARGET_GROUP
from fleet.routing import SLOTS, home_slot
from fleetctl.simulation import ACCOUNT, REGION, mock_arn

CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
HOSTS = {"web": ["www.example.com", "example.com"], "api": ["api.example.com"], "admin": ["admin.example.com"]}
NOT_FOUND_INPUT = {
    "type": "fixed-response",
    "fixedResponse": {"contentType": "text/plain", "statusCode": "404", "messageBody": "no such host\n"},
}


def routed(config: dict[str, Any], *names: str, tls: bool = True, hosts: dict[str, list[str]] = HOSTS) -> dict:
    """`config` with the services `names` (copies of web) on their hostnames, and the certificate when `tls`."""
    changed = copy.deepcopy(config)
    web = changed["fleet:services"].pop("web")
    changed["fleet:services"] = {name: {**copy.deepcopy(web), "hostnames": hosts[name]} for name in names}
    if tls:
        changed["fleet:tls"] = {"certificateArn": CERTIFICATE}
    return changed


def host_rules(run) -> dict[str, Any]:
    return {rule.parent: rule for rule in run.of_type(LISTENER_RULE) if rule.name.endswith("-host-rule")}


def target_group_arn(run, service: str, slot: str = "") -> str:
    """The ARN of a service's target group in a slot (slot a's without one)."""
    return mock_arn(TARGET_GROUP, f"{service}-tg{slot}")


def test_two_services_with_hostnames_share_one_https_listener_on_443(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    (https,) = [listener for listener in run.of_type(LISTENER) if listener.inputs["protocol"] == "HTTPS"]
    assert (https.name, https.parent, https.inputs["port"]) == ("fleet-front-door-https", "fleet-front-door", 443)
    assert (https.inputs["certificateArn"], https.inputs["sslPolicy"]) == (CERTIFICATE, TLS_POLICY)
    rules = host_rules(run)
    assert sorted(rules) == ["api", "web"]
    for service, rule in rules.items():
        assert rule.inputs["listenerArn"] == mock_arn(LISTENER, "fleet-front-door-https")
        assert rule.inputs["conditions"] == [{"hostHeader": {"values": HOSTS[service]}}]
        assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": target_group_arn(run, service)}]
    assert rules["web"].inputs["priority"] != rules["api"].inputs["priority"]


def test_a_host_no_service_claims_gets_a_fixed_404(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    assert run.one(LISTENER, "fleet-front-door-https").inputs["defaultActions"] == [NOT_FOUND_INPUT]
    assert NOT_FOUND["fixed_response"]["status_code"] == "404"


def test_with_tls_the_shared_http_listener_only_redirects_to_https(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    http = run.one(LISTENER, "fleet-front-door-http")
    assert http.inputs["port"] == 80
    assert http.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]


def test_the_shared_redirect_waits_for_the_https_listener_and_the_firewall(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    http = run.one(LISTENER, "fleet-front-door-http")
    assert {"fleet-front-door-https", "fleet-alb-sg"} <= {dependency._name for dependency in http.options.depends_on}


def test_services_with_hostnames_only_have_no_listener_of_their_own(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    assert sorted(listener.name for listener in run.of_type(LISTENER)) == [
        "fleet-front-door-http",
        "fleet-front-door-https",
    ]


def test_without_tls_the_shared_http_listener_routes_by_host_and_answers_404_otherwise(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api", tls=False))

    (listener,) = run.of_type(LISTENER)
    assert (listener.name, listener.inputs["port"], listener.inputs["protocol"]) == (
        "fleet-front-door-http",
        80,
        "HTTP",
    )
    assert listener.inputs["defaultActions"] == [NOT_FOUND_INPUT]
    assert {rule.inputs["listenerArn"] for rule in host_rules(run).values()} == {mock_arn(LISTENER, listener.name)}


def test_the_load_balancer_opens_the_shared_ports(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    ingress = run.one(SECURITY_GROUP, "fleet-alb-sg").inputs["ingress"]
    assert sorted(rule["fromPort"] for rule in ingress) == [80, 443]


def test_the_outputs_give_each_service_its_hostname_url_and_rule_priority(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    web = run.outputs["services"]["web"]
    assert (web["url"], web["hostnames"]) == ("https://www.example.com", HOSTS["web"])
    assert web["rulePriority"] == host_rules(run)["web"].inputs["priority"]
    assert "publicPort" not in web


def test_a_third_service_is_added_without_touching_the_first_two_rules(program, update, staging_config):
    first = program("staging", routed(staging_config, "web", "api"))
    second = update("staging", routed(staging_config, "web", "api", "admin"), first)

    before, after = host_rules(first), host_rules(second)
    for service in ("web", "api"):
        assert after[service].inputs == before[service].inputs
    assert after["admin"].inputs["priority"] not in {rule.inputs["priority"] for rule in before.values()}


def test_removing_a_service_leaves_the_other_rules_as_they_are(program, update, staging_config):
    first = program("staging", routed(staging_config, "web", "api", "admin"))
    second = update("staging", routed(staging_config, "web", "admin"), first)

    assert sorted(host_rules(second)) == ["admin", "web"]
    for service in ("web", "admin"):
        assert host_rules(second)[service].inputs == host_rules(first)[service].inputs


def colliding_names() -> tuple[str, str]:
    """Two service names with the same home slot: the second must go elsewhere."""
    seen: dict[int, str] = {}
    for index in range(SLOTS * 2):
        name = f"svc{index}"
        if home_slot(name) in seen:
            return seen[home_slot(name)], name
        seen[home_slot(name)] = name
    raise AssertionError("no two names share a slot")


def test_a_renamed_service_never_takes_the_priority_of_the_rule_it_replaces(program, update, staging_config):
    old, new = colliding_names()
    hosts = {old: ["app.example.com"], new: ["app.example.com"], "web": ["www.example.com"]}
    first = program("staging", routed(staging_config, "web", old, hosts=hosts))
    second = update("staging", routed(staging_config, "web", new, hosts=hosts), first)

    # The old rule is deleted only at the end of the update: the new one is created beside it first.
    assert host_rules(second)[new].inputs["priority"] != host_rules(first)[old].inputs["priority"]
    assert host_rules(second)["web"].inputs == host_rules(first)["web"].inputs


def test_a_service_whose_home_slot_is_taken_takes_the_next_one(program, staging_config):
    first, second = colliding_names()
    hosts = {first: ["a.example.com"], second: ["b.example.com"], "web": ["www.example.com"]}
    run = program("staging", routed(staging_config, "web", first, second, hosts=hosts))

    rules, (home, moved) = host_rules(run), sorted((first, second))  # new services take slots in name order
    assert rules[moved].inputs["priority"] - rules[home].inputs["priority"] in (3, 3 - 3 * SLOTS)


def test_rules_of_services_without_wildcards_come_before_those_with(program, staging_config):
    hosts = {"web": ["*.example.com"], "api": ["api.example.com"]}
    run = program("staging", routed(staging_config, "web", "api", hosts=hosts))

    rules = host_rules(run)
    assert rules["api"].inputs["priority"] < rules["web"].inputs["priority"]


def test_a_canary_of_a_service_with_hostnames_takes_its_share_in_the_host_rule(program, staging_config):
    config = routed(staging_config, "web", "api")
    config["fleet:services"]["web"]["canary"] = {"image": {"version": "1.1.0", "build": "images/web"}, "weight": 20}
    run = program("staging", config)

    rule = host_rules(run)["web"]
    assert rule.inputs["actions"] == [
        {
            "type": "forward",
            "forward": {
                "targetGroups": [
                    {"arn": target_group_arn(run, "web"), "weight": 80},
                    {"arn": target_group_arn(run, "web", "b"), "weight": 20},
                ]
            },
        }
    ]
    assert {"web-release-group", "web-release-b-group"} <= {dep._name for dep in rule.options.depends_on}
    assert not [rule for rule in run.of_type(LISTENER_RULE) if rule.name == "web-canary-weights"]


def test_a_canary_header_rule_of_a_service_with_hostnames_matches_its_hosts_before_its_host_rule(
    program, staging_config
):
    config = routed(staging_config, "web", "api")
    config["fleet:services"]["web"]["canary"] = {"image": {"version": "1.1.0", "build": "images/web"}}
    run = program("staging", config)

    header = run.one(LISTENER_RULE, "web-canary-rule")
    assert header.inputs["listenerArn"] == mock_arn(LISTENER, "fleet-front-door-https")
    assert header.inputs["priority"] == host_rules(run)["web"].inputs["priority"] - 2
    assert header.inputs["conditions"] == [
        {"hostHeader": {"values": HOSTS["web"]}},
        {"httpHeader": {"httpHeaderName": TRACK_HEADER, "values": ["canary"]}},
    ]


def test_a_stack_without_hostnames_has_no_front_door(program, staging_config):
    run = program("staging", staging_config)

    assert not [resource for resource in run.resources if resource.name.startswith("fleet-front-door")]


@pytest.mark.parametrize("tls", [True, False])
def test_each_host_rule_forwards_only_to_its_own_services_target_groups(program, staging_config, tls):
    run = program("staging", routed(staging_config, "web", "api", "admin", tls=tls))

    groups = {group.resource_id: group.parent for group in run.of_type(AUTOSCALING_GROUP)}
    assert len(groups) == 3
    for service, rule in host_rules(run).items():
        assert [action["targetGroupArn"] for action in rule.inputs["actions"]] == [target_group_arn(run, service)]


def test_a_service_with_hostnames_has_a_track_rule_that_attaches_every_slots_target_group_before_its_release(
    program, staging_config
):
    run = program("staging", routed(staging_config, "web", "api"))

    track = run.one(LISTENER_RULE, "web-track-rule")
    assert track.inputs["priority"] == host_rules(run)["web"].inputs["priority"] - 1
    assert track.inputs["conditions"] == [
        {"hostHeader": {"values": HOSTS["web"]}},
        {"httpHeader": {"httpHeaderName": TRACK_HEADER, "values": ["live"]}},
    ]
    assert track.inputs["actions"] == [
        {
            "type": "forward",
            "forward": {
                "targetGroups": [
                    {"arn": target_group_arn(run, "web"), "weight": 1},
                    {"arn": target_group_arn(run, "web", "b"), "weight": 0},
                    {"arn": target_group_arn(run, "web", "c"), "weight": 0},
                ]
            },
        }
    ]
    group = run.one(AUTOSCALING_GROUP, "web-release-group")
    assert "web-track-rule" in [dependency._name for dependency in group.options.depends_on]


def test_a_host_rule_waits_for_its_services_release_group(program, staging_config):
    run = program("staging", routed(staging_config, "web", "api"))

    for service, rule in host_rules(run).items():
        assert f"{service}-release-group" in [dependency._name for dependency in rule.options.depends_on]
