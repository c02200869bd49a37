"""HTTPS: with `fleet:tls.certificateArn` each service gets an HTTPS listener and its HTTP listener only redirects."""

from __future__ import annotations

import pytest

from components.listeners import TLS_POLICY
from fleet.config_types import ConfigError
from fleet.resource_types import AUTOSCALING_GROUP, LISTENER, SECURITY_GROUP
from fleetctl.simulation import ACCOUNT, REGION
from tests.policy.test_policy_on_program import violations

LOAD_BALANCER_GROUP = (SECURITY_GROUP, "fleet-alb-sg")
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"


@pytest.fixture
def tls_config(staging_config):
    return {**staging_config, "fleet:tls": {"certificateArn": CERTIFICATE}}


def ingress_ports(run) -> list[int]:
    return sorted(rule["fromPort"] for rule in run.one(*LOAD_BALANCER_GROUP).inputs["ingress"])


def test_without_a_certificate_the_service_speaks_http_only(program, staging_config):
    run = program("staging", staging_config)

    (listener,) = run.of_type(LISTENER)
    assert (listener.name, listener.inputs["protocol"], listener.inputs["port"]) == ("web-listener", "HTTP", 80)
    assert listener.inputs["defaultActions"][0]["type"] == "forward"
    assert ingress_ports(run) == [80]
    assert run.outputs["services"]["web"]["url"].startswith("http://")


def test_with_a_certificate_an_https_listener_forwards_to_the_target_group_with_a_tls13_policy(program, tls_config):
    run = program("staging", tls_config)

    https = run.one(LISTENER, "web-https-listener")
    assert (https.inputs["protocol"], https.inputs["port"]) == ("HTTPS", 443)
    assert https.inputs["certificateArn"] == CERTIFICATE
    assert https.inputs["sslPolicy"] == TLS_POLICY
    assert TLS_POLICY.startswith("ELBSecurityPolicy-TLS13-")
    [action] = https.inputs["defaultActions"]
    [target_group_arn] = run.one(AUTOSCALING_GROUP).inputs["targetGroupArns"]
    assert action == {"type": "forward", "targetGroupArn": target_group_arn}
    assert https.parent == "web"


def test_with_a_certificate_the_http_listener_keeps_its_name_and_only_redirects_to_https(program, tls_config):
    run = program("staging", tls_config)

    http = run.one(LISTENER, "web-listener")
    assert (http.inputs["protocol"], http.inputs["port"], http.parent) == ("HTTP", 80, "web")
    assert http.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]


def test_turning_https_on_updates_the_http_listener_in_place(program, staging_config, tls_config):
    before = program("staging", staging_config).one(LISTENER, "web-listener")
    after = program("staging", tls_config).one(LISTENER, "web-listener")

    # aws_lb_listener's only ForceNew field is load_balancer_arn; nothing here asks for a replacement either.
    assert after.inputs["loadBalancerArn"] == before.inputs["loadBalancerArn"]
    assert (after.type, after.name, after.parent) == (before.type, before.name, before.parent)
    assert not after.options.replace_on_changes
    assert not after.options.delete_before_replace
    assert after.replacement_trigger is None


def depends_on(declared) -> set[tuple[str, str]]:
    """What a resource waits for, as the stack transformation sees its options."""
    return {(resource._type, resource._name) for resource in declared.options.depends_on or []}


def test_with_a_certificate_the_redirect_waits_for_the_https_listener_and_the_firewall_that_opens_it(
    program, tls_config
):
    run = program("staging", tls_config)

    assert depends_on(run.one(LISTENER, "web-listener")) == {(LISTENER, "web-https-listener"), LOAD_BALANCER_GROUP}


def test_without_a_certificate_the_http_listener_waits_for_nothing_extra(program, staging_config):
    run = program("staging", staging_config)

    assert depends_on(run.one(LISTENER, "web-listener")) == set()


def test_with_a_certificate_the_load_balancer_opens_the_https_ports_too(program, tls_config):
    run = program("staging", tls_config)

    assert ingress_ports(run) == [80, 443]
    rules = {rule["fromPort"]: rule for rule in run.one(*LOAD_BALANCER_GROUP).inputs["ingress"]}
    assert rules[443]["description"] == "HTTPS listener 443"
    assert rules[443]["cidrBlocks"] == ["0.0.0.0/0"]


def test_with_a_certificate_the_outputs_give_https_urls(program, tls_config):
    run = program("staging", tls_config)

    assert run.outputs["services"]["web"]["url"] == "https://fleet-alb-1234.eu-west-1.elb.amazonaws.com:443"


def test_each_service_has_its_own_https_port_and_its_http_listener_redirects_there(program, tls_config, with_service):
    config = with_service(tls_config, service="web")
    config["fleet:services"]["api"] = {**config["fleet:services"]["web"], "publicPort": 8080, "httpsPort": 8443}

    run = program("staging", config)

    assert run.one(LISTENER, "api-https-listener").inputs["port"] == 8443
    assert run.one(LISTENER, "api-listener").inputs["defaultActions"][0]["redirect"]["port"] == "8443"
    assert ingress_ports(run) == [80, 443, 8080, 8443]
    assert run.outputs["services"]["api"]["url"].endswith(":8443")


def test_policy_pack_passes_a_stack_with_https(program, tls_config):
    assert violations(program("staging", tls_config)) == []


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:acm:eu-west-1:12345678901:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
        "arn:aws:iam::123456789012:server-certificate/web",
        "0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
        "",
    ],
)
def test_a_certificate_arn_that_is_not_an_acm_certificate_is_rejected_naming_the_key(program, staging_config, arn):
    with pytest.raises(ConfigError) as error:
        program("staging", {**staging_config, "fleet:tls": {"certificateArn": arn}})

    [problem] = error.value.problems
    assert problem.startswith(
        "fleet:tls.certificateArn: must be an ACM certificate ARN in the stack's region: "
        "arn:aws:acm:<region>:<12 digits>:certificate/<id>; got "
    )


def test_https_port_without_a_certificate_is_an_error_naming_the_key(program, staging_config, with_service):
    with pytest.raises(ConfigError) as error:
        program("staging", with_service(staging_config, httpsPort=8443))

    assert error.value.problems == [
        "fleet:services.web.httpsPort: needs fleet:tls.certificateArn or fleet:dns.zoneId: without a certificate "
        "the services speak HTTP on publicPort only; set the certificate (or a zone for a managed one) or remove "
        "httpsPort"
    ]


def test_two_services_on_one_https_port_is_an_error_naming_the_second(program, tls_config, with_service):
    config = with_service(tls_config)
    config["fleet:services"]["api"] = {**config["fleet:services"]["web"], "publicPort": 8080}

    with pytest.raises(ConfigError) as error:
        program("staging", config)

    assert error.value.problems == [
        "fleet:services.api.httpsPort: port 443 is already the HTTPS listener of service web; each service needs "
        "its own"
    ]


def test_an_https_port_that_is_a_services_public_port_is_an_error(program, tls_config, with_service):
    config = with_service(tls_config)
    config["fleet:services"]["api"] = {**config["fleet:services"]["web"], "publicPort": 443, "httpsPort": 8443}

    with pytest.raises(ConfigError) as error:
        program("staging", config)

    assert error.value.problems == [
        "fleet:services.web.httpsPort: port 443 is the HTTP listener (publicPort) of service api; a port serves "
        "either HTTP or HTTPS"
    ]


def test_a_certificate_in_another_region_than_the_stack_is_rejected(program, staging_config):
    elsewhere = CERTIFICATE.replace(REGION, "us-east-1")

    with pytest.raises(ConfigError) as error:
        program("staging", {**staging_config, "fleet:tls": {"certificateArn": elsewhere}})

    assert error.value.problems == [
        "fleet:tls.certificateArn: is in us-east-1, but the stack is in eu-west-1 (aws:region): use one in eu-west-1"
    ]
