"""Every invalid config value stops the program with one error naming its key and what is allowed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fleet.config import fleet_keys, parse_config
from fleet.config_types import AlarmThresholds, Capacity, ConfigError, HealthCheck, Scaling
from fleetctl.simulation import FleetMocks
from tests.checkout import ROOT, stack_file

VALID_REF = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "a" * 64


def staging() -> dict[str, Any]:
    return fleet_keys(stack_file("staging"))


def problems(raw: dict[str, Any], project_root: Path | None = ROOT) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "staging", project_root)
    return error.value.problems


def with_web(**settings: Any) -> dict[str, Any]:
    raw = staging()
    raw["services"]["web"].update(settings)
    return raw


def test_repository_stack_files_are_valid():
    for stack in ("staging", "prod"):
        config = parse_config(fleet_keys(stack_file(stack)), stack, ROOT)
        assert [service.name for service in config.services] == ["web"]


def test_optional_keys_take_their_documented_defaults():
    raw = staging()
    raw["services"]["web"] = {
        "image": {"version": "1.0.0", "build": "images/web"},
        "hostImage": "ami-0123456789abcdef0",
    }

    (web,) = parse_config(raw, "staging", ROOT).services

    assert (web.instance_type, web.port, web.public_port, web.health_check_path) == ("t3.small", 8080, 80, "/healthz")
    assert web.capacity == Capacity(min=2, desired=2, max=6)
    assert (web.drain_seconds, web.boot_grace_seconds, web.cutover_timeout_minutes) == (30, 180, 10)
    assert (web.health_check.interval_seconds, web.health_check.healthy_threshold) == (10, 2)


@pytest.mark.parametrize(("raw", "shown"), [({}, "nothing"), ({"services": {}}, "dict {}")], ids=["missing", "empty"])
def test_a_stack_without_services_is_an_error(raw, shown):
    assert problems(raw) == [f"fleet:services: must map service names to their settings, at least one; got {shown}"]


def test_unknown_top_level_key_is_an_error():
    raw = staging()
    raw["servces"] = {}
    assert problems(raw) == [
        "fleet:servces: unknown key; allowed keys are services, network, promotion, tls, alarms, registry, dns"
    ]


def test_misspelled_service_key_is_named_with_the_allowed_ones():
    (problem,) = problems(with_web(instanceTyp="t3.small"))
    assert problem.startswith("fleet:services.web.instanceTyp: unknown key; allowed keys are image, hostImage")


@pytest.mark.parametrize("name", ["Web", "9web", "web-", "a" * 21, "web_api"])
def test_malformed_service_name_is_an_error(name):
    raw = staging()
    raw["services"][name] = raw["services"].pop("web")
    (problem,) = problems(raw)
    assert problem.startswith(f"fleet:services.{name}: service names must be 1-20 lowercase letters")


def test_a_canary_of_a_service_whose_name_another_service_has_with_canary_appended_is_an_error():
    raw = staging()
    raw["services"]["web-canary"] = {**raw["services"]["web"], "publicPort": 81}
    raw["services"]["web"]["canary"] = {"image": {"version": "1.1.0", "build": "images/web"}}
    assert problems(raw) == [
        "fleet:services.web.canary: service web-canary exists: a canary's resources and alarms are named "
        "<service>-canary, so this canary's would collide with that service's"
    ]


def test_a_service_named_like_a_canary_is_accepted_where_no_canary_collides():
    raw = staging()
    raw["services"]["web-canary"] = raw["services"].pop("web")
    assert [service.name for service in parse_config(raw, "staging", ROOT).services] == ["web-canary"]


def test_missing_version_is_an_error():
    (problem,) = problems(with_web(image={"build": "images/web"}))
    assert problem.startswith("fleet:services.web.image.version: must be a quoted release version")
    assert problem.endswith("got nothing")


@pytest.mark.parametrize("version", ["", "-1.0", ".1", "1.0/2", "v 1", "a" * 129, 1.4])
def test_malformed_version_is_an_error(version):
    (problem,) = problems(with_web(image={"version": version, "build": "images/web"}))
    assert problem.startswith("fleet:services.web.image.version: must be a quoted release version of 1-128")


@pytest.mark.parametrize(
    "image",
    [{"version": "1.0.0", "build": "images/web", "ref": VALID_REF}, {"version": "1.0.0"}],
    ids=["both", "neither"],
)
def test_an_image_needs_exactly_one_of_build_and_ref(image):
    assert problems(with_web(image=image)) == [
        "fleet:services.web.image: set exactly one of build (a Docker build context, for the stack that builds) or "
        "ref (an image pinned by digest, for a promoted stack)"
    ]


@pytest.mark.parametrize(
    "ref",
    [
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.0.0",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:abc",
        "docker.io/library/web@sha256:" + "a" * 64,
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:latest@sha256:" + "a" * 64,
    ],
)
def test_ref_not_pinned_to_an_ecr_digest_is_an_error(ref):
    (problem,) = problems(with_web(image={"version": "1.0.0", "ref": ref}))
    assert problem.startswith("fleet:services.web.image.ref: must be an ECR image pinned by digest")


def test_build_context_without_a_dockerfile_is_an_error():
    (problem,) = problems(with_web(image={"version": "1.0.0", "build": "images/missing"}))
    assert problem == (
        "fleet:services.web.image.build: must be a directory holding a Dockerfile; "
        "images/missing/Dockerfile does not exist"
    )


@pytest.mark.parametrize("context", ["/etc", "../elsewhere", ""])
def test_build_context_outside_the_project_is_an_error(context):
    (problem,) = problems(with_web(image={"version": "1.0.0", "build": context}))
    assert problem.startswith("fleet:services.web.image.build: must be a directory inside the project")


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        pytest.param(
            {"min": 3, "desired": 2, "max": 6},
            "fleet:services.web.capacity: min (3) must not exceed desired (2)",
            id="min-above-desired",
        ),
        pytest.param(
            {"min": 1, "desired": 7, "max": 6},
            "fleet:services.web.capacity: desired (7) must not exceed max (6)",
            id="desired-above-max",
        ),
        pytest.param(
            {"min": 0, "desired": 0, "max": 6},
            "fleet:services.web.capacity: desired must be at least 1: a release is gated on at least one healthy "
            "instance",
            id="zero-desired",
        ),
        pytest.param(
            {"min": -1, "desired": 2, "max": 6},
            "fleet:services.web.capacity.min: must be from 0 to 100; got -1",
            id="negative",
        ),
        pytest.param(
            {"min": 1, "max": 6},
            "fleet:services.web.capacity.desired: is required: a whole number from 0 to 100",
            id="missing",
        ),
        pytest.param(
            {"min": 1, "desired": 2, "max": "2"},
            "fleet:services.web.capacity.max: must be a whole number from 0 to 100; got '2'",
            id="text",
        ),
        pytest.param(
            {"min": 1, "desired": 2, "max": True},
            "fleet:services.web.capacity.max: must be a whole number from 0 to 100; got bool True",
            id="boolean",
        ),
        pytest.param(
            {"min": 1, "desired": 2, "max": 2.5},
            "fleet:services.web.capacity.max: must be a whole number from 0 to 100; got float 2.5",
            id="fraction",
        ),
    ],
)
def test_invalid_capacity_is_an_error_naming_the_size(capacity, expected):
    assert problems(with_web(capacity=capacity)) == [expected]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("port", 0, "must be from 1 to 65535; got 0"),
        ("port", 65536, "must be from 1 to 65535; got 65536"),
        ("port", -80, "must be from 1 to 65535; got -80"),
        ("port", "8080", "must be a whole number from 1 to 65535; got '8080'"),
        ("publicPort", 70000, "must be from 1 to 65535; got 70000"),
        ("httpsPort", 0, "must be from 1 to 65535; got 0"),
        ("drainSeconds", 3601, "must be from 0 to 3600; got 3601"),
        ("bootGraceSeconds", -1, "must be from 0 to 7200; got -1"),
        ("cutoverTimeoutMinutes", 0, "must be from 1 to 60; got 0"),
    ],
)
def test_a_whole_number_outside_its_limits_is_an_error_naming_them(key, value, expected):
    assert problems(with_web(**{key: value})) == [f"fleet:services.web.{key}: {expected}"]


def test_two_services_on_one_public_port_is_an_error():
    raw = staging()
    raw["services"]["api"] = copy.deepcopy(raw["services"]["web"])
    (problem,) = problems(raw)
    assert problem.startswith("fleet:services.api.publicPort: port 80 is already the listener of service web")


@pytest.mark.parametrize("path", ["healthz", "", "/health z", 42])
def test_health_check_path_not_starting_with_a_slash_is_an_error(path):
    (problem,) = problems(with_web(healthCheckPath=path))
    assert problem.startswith("fleet:services.web.healthCheckPath: must be a URL path starting with '/'")


@pytest.mark.parametrize("ami", ["ami-123", "ami-0A1B2C3D4E5F60718", "0a1b2c3d4e5f60718", "", None])
def test_malformed_host_image_is_an_error(ami):
    (problem,) = problems(with_web(hostImage=ami))
    assert problem.startswith("fleet:services.web.hostImage: must be an AMI id such as ami-0abc1234def567890")


def test_malformed_instance_type_is_an_error():
    (problem,) = problems(with_web(instanceType="large"))
    assert problem.startswith("fleet:services.web.instanceType: must be an EC2 instance type")


@pytest.mark.parametrize(
    ("health_check", "key"),
    [
        ({"intervalSeconds": 4}, "healthCheck.intervalSeconds: must be from 5 to 300"),
        ({"healthyThreshold": 11}, "healthCheck.healthyThreshold: must be from 2 to 10"),
        ({"unhealthyThreshold": 1}, "healthCheck.unhealthyThreshold: must be from 2 to 10"),
        ({"timeoutSeconds": 121}, "healthCheck.timeoutSeconds: must be from 2 to 120"),
        ({"intervalSeconds": 10, "timeoutSeconds": 10}, "healthCheck: timeoutSeconds (10) must be less than"),
        ({"interval": 10}, "healthCheck.interval: unknown key"),
    ],
)
def test_health_check_outside_the_target_group_limits_is_an_error(health_check, key):
    (problem,) = problems(with_web(healthCheck=health_check))
    assert problem.startswith(f"fleet:services.web.{key}")


SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
SUBNET_LIST = (
    "fleet:network.subnetIds: must be a list of at least two distinct subnet ids (subnet-0123456789abcdef0) in "
    "different availability zones, as the load balancer requires; got "
)


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        pytest.param(
            {"subnetIds": SUBNETS},
            "fleet:network.subnetIds: needs network.vpcId: name the VPC these subnets belong to",
            id="subnets-without-vpc",
        ),
        pytest.param(
            {"vpcId": "default"},
            "fleet:network.vpcId: must be a VPC id such as vpc-0123456789abcdef0; got 'default'",
            id="malformed-vpc",
        ),
        pytest.param(
            {"vpcId": "vpc-0123456789abcdef0", "subnetIds": SUBNETS[:1]},
            SUBNET_LIST + "list ['subnet-0123456789abcdef0']",
            id="one-subnet",
        ),
        pytest.param(
            {"vpcId": "vpc-0123456789abcdef0", "subnetIds": [SUBNETS[0], SUBNETS[0]]},
            SUBNET_LIST + "list ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef0']",
            id="the-same-subnet-twice",
        ),
        pytest.param(
            {"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-a", "subnet-b"]},
            SUBNET_LIST + "list ['subnet-a', 'subnet-b']",
            id="malformed-subnets",
        ),
        pytest.param(
            {"vpcId": "vpc-0123456789abcdef0", "subnetIds": SUBNETS[0]},
            SUBNET_LIST + "'subnet-0123456789abcdef0'",
            id="not-a-list",
        ),
        pytest.param({"vpcId": "vpc-0123456789abcdef0", "subnetIds": []}, SUBNET_LIST + "list []", id="empty-list"),
    ],
)
def test_invalid_network_is_an_error_naming_its_key(network, expected):
    raw = staging()
    raw["network"] = network
    assert problems(raw) == [expected]


def test_null_optional_keys_take_their_defaults_and_null_values_are_errors():
    """`healthCheck:` with nothing after it in YAML is null: the same as leaving the key out. Not so for a value."""
    (web,) = parse_config(with_web(healthCheck=None, scaling=None, settings=None, alarms=None), "staging").services

    assert (web.health_check, web.scaling, web.settings, web.alarms) == (
        HealthCheck(),
        Scaling(),
        (),
        AlarmThresholds(),
    )
    assert problems(with_web(port=None)) == [
        "fleet:services.web.port: must be a whole number from 1 to 65535; got nothing"
    ]


def test_promoted_stack_that_builds_is_an_error():
    raw = staging()
    raw["promotion"] = {"from": "staging"}
    (problem,) = problems(raw)
    assert problem.startswith("fleet:services.web.image.build: a stack promoted from staging never builds")


def test_promotion_override_must_be_a_boolean():
    raw = fleet_keys(stack_file("prod"))
    raw["promotion"]["allowUnverified"] = "yes"
    assert problems(raw) == ["fleet:promotion.allowUnverified: must be true or false; got 'yes'"]


def test_every_problem_is_reported_at_once():
    raw = with_web(port=0, hostImage="ami-1", capacity={"min": 3, "desired": 2, "max": 6})
    raw["network"] = {"subnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}

    keys = [problem.split(": ", 1)[0] for problem in problems(raw)]

    assert keys == [
        "fleet:services.web.hostImage",
        "fleet:services.web.port",
        "fleet:services.web.capacity",
        "fleet:network.subnetIds",
    ]


def test_error_message_lists_every_problem_on_its_own_line():
    with pytest.raises(ConfigError) as error:
        parse_config(with_web(port=0, hostImage="ami-1"), "staging", ROOT)
    assert str(error.value).splitlines()[0] == "invalid fleet configuration:"
    assert len(str(error.value).splitlines()) == 3


def test_program_with_bad_config_declares_no_resource(program, staging_config):
    staging_config["fleet:services"]["web"]["capacity"] = {"min": 3, "desired": 2, "max": 6}
    staging_config["fleet:typo"] = "x"
    mocks = FleetMocks()

    with pytest.raises(ConfigError) as error:
        program("staging", staging_config, mocks=mocks)

    assert error.value.problems == [
        "fleet:typo: unknown key; allowed keys are services, network, promotion, tls, alarms, registry, dns",
        "fleet:services.web.capacity: min (3) must not exceed desired (2)",
    ]
    assert mocks.inputs == {}
    assert mocks.invokes == []


def test_scaling_defaults_to_cpu_target_tracking():
    (web,) = parse_config(staging(), "staging").services
    assert web.scaling == Scaling(enabled=True, cpu_percent=50, requests_per_instance=None, instance_warmup_seconds=180)


def test_scaling_can_track_requests_only():
    (web,) = parse_config(with_web(scaling={"cpuPercent": 0, "requestsPerInstance": 600}), "staging").services
    assert (web.scaling.cpu_percent, web.scaling.requests_per_instance) == (None, 600)


@pytest.mark.parametrize(
    ("scaling", "expected"),
    [
        ({"cpuPercent": 95}, "scaling.cpuPercent: must be from 0 to 90; got 95"),
        ({"cpuPercent": 5}, "scaling.cpuPercent: must be 0 (not tracked) or from 10 to 90; got 5"),
        ({"requestsPerInstance": 0}, "scaling.requestsPerInstance: must be from 1 to 1000000; got 0"),
        ({"instanceWarmupSeconds": 3601}, "scaling.instanceWarmupSeconds: must be from 0 to 3600; got 3601"),
        ({"cpuPercent": 0}, "scaling: tracks nothing: set cpuPercent and/or requestsPerInstance, or enabled: false"),
        ({"enabled": "no"}, "scaling.enabled: must be true or false; got 'no'"),
        ({"enabled": False, "cpuPercent": 60}, "scaling.cpuPercent: has no effect with enabled: false"),
        ({"target": 50}, "scaling.target: unknown key; allowed keys are enabled, cpuPercent"),
    ],
)
def test_invalid_scaling_is_an_error_naming_its_key(scaling, expected):
    (problem,) = problems(with_web(scaling=scaling))
    assert problem.startswith(f"fleet:services.web.{expected}")
