"""`fleet:services.<name>.hostnames`: the names the shared listeners route to a service, checked before anything is
declared, every problem naming its key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fleet.config import fleet_keys, parse_config
from fleet.config_types import ConfigError, ServiceConfig
from fleet.release import identify
from fleet.routing import MAX_HOSTNAMES, MAX_RULES
from tests.checkout import ROOT, stack_file

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"


def staging() -> dict[str, Any]:
    return fleet_keys(stack_file("staging"))


def with_services(**hostnames: list[str] | None) -> dict[str, Any]:
    """The staging stack with one service per keyword, copies of web, each with those hostnames (None: none)."""
    raw = staging()
    web = raw["services"].pop("web")
    for name, names in hostnames.items():
        raw["services"][name] = copy.deepcopy(web) | ({"hostnames": names} if names is not None else {})
    return raw


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "staging", ROOT)
    return error.value.problems


def services(raw: dict[str, Any]) -> dict[str, ServiceConfig]:
    return {service.name: service for service in parse_config(raw, "staging", ROOT).services}


def test_a_service_has_no_hostnames_by_default():
    assert services(staging())["web"].hostnames == ()


def test_hostnames_are_read_in_the_order_written():
    raw = with_services(web=["www.example.com", "*.example.org", "example.com"])
    assert services(raw)["web"].hostnames == ("www.example.com", "*.example.org", "example.com")


@pytest.mark.parametrize(
    "name",
    [
        "API.example.com",
        "api.example.com.",
        "localhost",
        "api..example.com",
        "-api.example.com",
        "api-.example.com",
        "api.example.c0m",
        "api.*.example.com",
        "*api.example.com",
        "*.*.example.com",
        "a?.example.com",
        "api_v2.example.com",
        "*.com.",
        f"{'a' * 64}.example.com",
        ".".join(["a" * 40] * 4) + ".com",
        "",
        7,
    ],
)
def test_a_malformed_hostname_is_an_error_naming_its_key_and_the_form(name):
    (problem,) = problems(with_services(web=["ok.example.com", name]))
    assert problem.startswith("fleet:services.web.hostnames[1]: must be a lowercase DNS name of at most 128")


def test_a_hostname_of_128_characters_is_allowed():
    name = ".".join(["a" * 62, "b" * 61]) + ".com"
    assert len(name) == 128
    assert services(with_services(web=[name]))["web"].hostnames == (name,)


@pytest.mark.parametrize("value", [[], "api.example.com", {"name": "api.example.com"}])
def test_hostnames_that_are_not_a_list_of_names_are_an_error(value):
    (problem,) = problems(with_services(web=value))
    assert problem.startswith("fleet:services.web.hostnames: must be a list of 1-3 hostnames")


def test_more_hostnames_than_one_rule_can_match_is_an_error_naming_the_quota():
    names = [f"h{index}.example.com" for index in range(MAX_HOSTNAMES + 1)]
    (problem,) = problems(with_services(web=names))
    assert problem.startswith("fleet:services.web.hostnames: has 4 hostnames; at most 3: the service's listener rule")
    assert "cannot be raised" in problem


def test_a_hostname_listed_twice_is_an_error():
    (problem,) = problems(with_services(web=["api.example.com", "api.example.com"]))
    assert problem == "fleet:services.web.hostnames[1]: api.example.com is listed twice; list each hostname once"


def test_the_same_hostname_on_two_services_is_an_error_naming_the_second():
    (problem,) = problems(with_services(web=["api.example.com"], api=["www.example.com", "api.example.com"]))
    assert problem == (
        "fleet:services.api.hostnames[1]: api.example.com is already a hostname of service web; a hostname routes "
        "to one service"
    )


def test_a_name_under_another_services_wildcard_is_allowed_when_it_has_no_wildcard_itself():
    raw = with_services(web=["*.example.com"], api=["api.example.com"])
    assert services(raw)["api"].hostnames == ("api.example.com",)


def test_overlapping_wildcards_of_two_services_are_an_error():
    (problem,) = problems(with_services(web=["*.example.com"], api=["*.api.example.com"]))
    assert problem.startswith(
        "fleet:services.api.hostnames[0]: *.api.example.com is also matched by *.example.com of service web, and "
        "both services have wildcards"
    )


def test_a_name_under_another_services_wildcard_is_an_error_when_its_service_has_a_wildcard_too():
    (problem,) = problems(with_services(web=["*.example.com"], api=["api.example.com", "*.example.org"]))
    assert problem.startswith("fleet:services.api.hostnames[0]: api.example.com is also matched by *.example.com")


def test_a_service_with_hostnames_and_no_public_port_has_no_listener_of_its_own():
    web = services(with_services(web=["www.example.com"]))["web"]
    assert (web.public_port, web.https_port) == (None, None)


def test_a_service_with_hostnames_keeps_the_ports_it_sets():
    raw = with_services(web=["www.example.com"])
    raw["services"]["web"].update(publicPort=8081)
    web = services(raw)["web"]
    assert (web.public_port, web.https_port) == (8081, None)


def test_a_service_on_port_80_beside_a_service_with_hostnames_is_an_error_naming_its_public_port():
    (problem,) = problems(with_services(web=None, api=["api.example.com"]))
    assert problem.startswith(
        "fleet:services.web.publicPort: port 80 is the shared HTTP listener of the services with hostnames (api); "
        "give web hostnames"
    )


def test_a_service_with_hostnames_that_sets_public_port_80_is_told_to_remove_it():
    raw = with_services(web=["www.example.com"])
    raw["services"]["web"].update(publicPort=80)
    (problem,) = problems(raw)
    assert problem.endswith("remove publicPort: web is served there by its hostnames")


def test_with_tls_a_service_on_https_port_443_beside_a_service_with_hostnames_is_an_error():
    raw = with_services(web=None, api=["api.example.com"])
    raw["services"]["web"].update(publicPort=8080 + 1)
    raw["tls"] = {"certificateArn": CERTIFICATE}
    (problem,) = problems(raw)
    assert problem.startswith("fleet:services.web.httpsPort: port 443 is the shared HTTPS listener")


def test_with_tls_a_moving_service_needs_its_own_https_port():
    raw = with_services(web=["www.example.com"])
    raw["services"]["web"].update(publicPort=8081)
    raw["tls"] = {"certificateArn": CERTIFICATE}
    (problem,) = problems(raw)
    assert problem.startswith("fleet:services.web.httpsPort: is required with publicPort on a service with hostnames")


def test_a_service_moving_from_its_own_port_to_hostnames_runs_no_canary():
    raw = with_services(web=["www.example.com"])
    raw["services"]["web"].update(publicPort=8081, canary={"image": {"version": "1.1.0", "build": "images/web"}})
    (problem,) = problems(raw)
    assert problem.startswith("fleet:services.web.canary: a service served both on its own publicPort and by")


def test_more_listener_rules_than_a_load_balancer_takes_is_an_error():
    raw = with_services(**{f"s{index}": [f"s{index}.example.com"] for index in range(MAX_RULES // 2 + 1)})
    (problem,) = problems(raw)
    assert problem.startswith("fleet:services: need 102 listener rules (two per service, its track rule and its")


def test_services_on_their_own_ports_count_their_track_and_traffic_rules_against_the_quota_too():
    raw = staging()
    web = raw["services"]["web"]
    raw["services"] = {f"s{index}": {**web, "publicPort": 1000 + index} for index in range(MAX_RULES // 2 + 1)}

    (problem,) = problems(raw)
    assert problem.startswith("fleet:services: need 102 listener rules")


def test_hostnames_are_not_part_of_the_release():
    web = services(staging())["web"]
    routed = services(with_services(web=["www.example.com"]))["web"]
    assert identify(routed, "boot", {}).release_id == identify(web, "boot", {}).release_id
