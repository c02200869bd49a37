"""A canary's config: what differs for its release, its share of requests, and every problem named at once."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.config import fleet_keys, parse_config
from fleet.config_types import CanaryConfig, ImageSource, canary_release
from fleet.release import identify
from tests.checkout import ROOT, stack_file
from tests.config.test_config import problems

SERVICE_REF = fleet_keys(stack_file("prod"))["services"]["web"]["image"]["ref"]
OTHER_REF = SERVICE_REF.rsplit("@", 1)[0] + "@sha256:" + "c" * 64


def with_canary(stack: str = "staging", **canary: Any) -> dict[str, Any]:
    raw = fleet_keys(stack_file(stack))
    raw["services"]["web"]["canary"] = canary
    return raw


def built(version: str = "1.1.0") -> dict[str, str]:
    return {"version": version, "build": "images/web"}


def web(raw: dict[str, Any], stack: str = "staging"):
    (service,) = parse_config(raw, stack, ROOT).services
    return service


def test_a_stack_without_canary_parses_to_no_canary():
    assert web(fleet_keys(stack_file("staging"))).canary is None


def test_canary_defaults_to_ten_percent_on_one_host_with_the_services_host():
    service = web(with_canary(image=built()))

    assert service.canary == CanaryConfig(
        image=ImageSource(version="1.1.0", build="images/web"),
        host_image=service.host_image,
        instance_type=service.instance_type,
        weight=10,
        instances=1,
    )


def test_canary_release_is_the_service_running_the_canarys_image_host_and_type():
    service = web(with_canary(image=built(), hostImage="ami-0123456789abcdef0", instanceType="t4g.small", weight=20))

    release = canary_release(service)

    assert (release.image, release.host_image, release.instance_type) == (
        ImageSource(version="1.1.0", build="images/web"),
        "ami-0123456789abcdef0",
        "t4g.small",
    )
    assert release.canary is None
    assert (release.capacity, release.settings, release.port) == (service.capacity, service.settings, service.port)


def test_a_promoted_stack_takes_a_canary_ref_from_the_services_repository():
    service = web(with_canary("prod", image={"version": "1.1.0", "ref": OTHER_REF}, weight=5, instances=2), "prod")

    assert (service.canary.image.ref, service.canary.weight, service.canary.instances) == (OTHER_REF, 5, 2)


@pytest.mark.parametrize(("weight", "shown"), [(0, "0"), (51, "51"), (-10, "-10")])
def test_weight_outside_one_to_fifty_is_an_error(weight, shown):
    assert problems(with_canary(image=built(), weight=weight)) == [
        f"fleet:services.web.canary.weight: must be from 1 to 50; got {shown}"
    ]


@pytest.mark.parametrize("instances", [0, 21, "2", True])
def test_instances_outside_one_to_twenty_is_an_error(instances):
    (problem,) = problems(with_canary(image=built(), instances=instances))
    assert problem.startswith("fleet:services.web.canary.instances: must be")
    assert "1 to 20" in problem


def test_a_canary_port_other_than_the_services_is_an_error():
    (problem,) = problems(with_canary(image=built(), port=9090))
    assert problem.startswith("fleet:services.web.canary.port: must equal the service's port (8080); got int 9090")


def test_a_canary_port_equal_to_the_services_is_accepted():
    assert web(with_canary(image=built(), port=8080)).canary is not None


def test_unknown_canary_key_is_an_error_naming_the_allowed_ones():
    assert problems(with_canary(image=built(), capacity={"min": 1})) == [
        "fleet:services.web.canary.capacity: unknown key; allowed keys are image, hostImage, instanceType, port, "
        "weight, instances"
    ]


def test_a_canary_without_image_is_an_error():
    (problem,) = problems(with_canary(weight=10))
    assert problem.startswith("fleet:services.web.canary.image: is required")


def test_a_canary_that_is_not_a_mapping_is_an_error():
    raw = fleet_keys(stack_file("staging"))
    raw["services"]["web"]["canary"] = "1.1.0"
    (problem,) = problems(raw)
    assert problem.startswith("fleet:services.web.canary: must be a mapping with keys image, hostImage")


def test_a_canary_image_follows_the_image_rules():
    (problem,) = problems(with_canary(image={"version": "1.1.0", "build": "images/missing"}))
    assert problem.startswith("fleet:services.web.canary.image.build: must be a directory holding a Dockerfile")


def test_a_canary_with_the_services_version_on_a_building_stack_is_an_error():
    (problem,) = problems(with_canary(image=built("1.0.0")))
    assert problem.startswith("fleet:services.web.canary.image.version: must differ from the service's image.version")


def test_a_canary_running_the_services_own_release_is_an_error():
    live = fleet_keys(stack_file("prod"))["services"]["web"]["image"]
    (problem,) = problems(with_canary("prod", image=live))
    assert problem.startswith("fleet:services.web.canary: runs the service's own release")


@pytest.mark.parametrize(
    "change",
    [
        {"image": {"version": "1.1.0", "ref": SERVICE_REF}},
        {"image": {"version": "1.0.0", "ref": OTHER_REF}},
        {"hostImage": "ami-0123456789abcdef0"},
        {"instanceType": "t3.medium"},
    ],
    ids=["version", "ref", "hostImage", "instanceType"],
)
def test_a_canary_differing_in_any_of_its_keys_is_accepted_with_a_release_id_of_its_own(change):
    live_image = fleet_keys(stack_file("prod"))["services"]["web"]["image"]
    service = web(with_canary("prod", **{"image": live_image, **change}), "prod")

    assert identify(canary_release(service), "boot", None).release_id != identify(service, "boot", None).release_id


@pytest.mark.parametrize(
    ("stack", "image", "expected"),
    [
        ("staging", {"version": "1.1.0", "ref": OTHER_REF}, "must be built (version, build) like the service's"),
        ("prod", {"version": "1.1.0", "build": "images/web"}, "must be a ref pinned by digest (version, ref) like"),
    ],
)
def test_a_canary_image_of_another_kind_than_the_services_is_an_error(stack, image, expected):
    (problem,) = problems(with_canary(stack, image=image))
    assert problem.startswith(f"fleet:services.web.canary.image: {expected}")


def test_a_canary_ref_from_another_repository_is_an_error():
    elsewhere = OTHER_REF.replace("fleet-staging-web", "fleet-staging-api")
    (problem,) = problems(with_canary("prod", image={"version": "1.1.0", "ref": elsewhere}))
    assert problem.startswith("fleet:services.web.canary.image.ref: must be in the service's repository")


def test_every_canary_problem_is_reported_at_once_with_the_services():
    raw = with_canary(image={"version": "1.1.0"}, weight=90, instances=0, port=1, hostImage="ami-1", colour="blue")
    raw["services"]["web"]["capacity"] = {"min": 3, "desired": 2, "max": 6}

    keys = [problem.split(": ", 1)[0] for problem in problems(raw)]

    assert sorted(keys) == sorted(
        f"fleet:services.web.{key}"
        for key in (
            "capacity",
            "canary.colour",
            "canary.image",
            "canary.hostImage",
            "canary.port",
            "canary.weight",
            "canary.instances",
        )
    )
