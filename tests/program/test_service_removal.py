"""Removing a service: its repository goes with its images, unless a stack promoted from this one still runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.config import fleet_keys, parse_config
from fleet.config_types import ConfigError
from fleet.image_use import PromotedImage, promoted_images, removed_service_problems, repositories_in_use
from fleet.resource_types import ECR_REPOSITORY
from fleet.stack_files import project_stack_files
from fleetctl.simulation import FleetMocks, qualified
from tests.checkout import stack_file

REGION = "eu-west-1"
STAGING_WEB = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/fleet-staging-web@sha256:" + "a" * 64


def with_api(config: dict) -> dict:
    """Staging plus a service `api` that no promoted stack runs."""
    changed = {**config, "fleet:services": dict(config["fleet:services"])}
    changed["fleet:services"]["api"] = {**config["fleet:services"]["web"], "publicPort": 8081}
    return changed


def test_a_repository_whose_images_a_promoted_stack_runs_keeps_them(program, staging_config):
    # Pulumi.prod.yaml in this repository runs staging's web image.
    run = program("staging", staging_config)

    assert run.one(ECR_REPOSITORY, "web-image-repository").inputs["forceDelete"] is False


def test_a_repository_no_promoted_stack_runs_is_deleted_with_its_images(program, staging_config):
    run = program("staging", with_api(staging_config))

    assert run.one(ECR_REPOSITORY, "api-image-repository").inputs["forceDelete"] is True


def test_removing_a_service_a_promoted_stack_still_runs_fails_before_any_resource(program, staging_config):
    config = with_api(staging_config)
    del config["fleet:services"]["web"]
    mocks = FleetMocks()

    with pytest.raises(ConfigError) as error:
        program("staging", config, mocks=mocks)

    assert error.value.problems == [
        "fleet:services.web: removed from this stack, but Pulumi.prod.yaml still runs its image "
        "(fleet:services.web.image.ref points at repository fleet-staging-web), and removing the service deletes "
        "that repository with its images. Remove service web from Pulumi.prod.yaml and deploy that stack first, "
        "then remove it here"
    ]
    assert mocks.inputs == {}


def test_the_promoted_stack_itself_declares_no_repository(program, prod_config, staging_outputs):
    run = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})

    assert run.of_type(ECR_REPOSITORY) == []


# The rule on stack files of a project other than this repository's.


def write_stack(root: Path, stack: str, text: str) -> None:
    (root / f"Pulumi.{stack}.yaml").write_text(text)


def promoted(source: str, ref: str = STAGING_WEB, service: str = "web") -> str:
    return (
        f"config:\n  fleet:promotion:\n    from: {source}\n"
        f"  fleet:services:\n    {service}:\n      image:\n        ref: {ref}\n"
    )


def staging_config_with(*services: str):
    raw = fleet_keys(stack_file("staging"))
    web = raw["services"]["web"]
    raw["services"] = {name: {**web, "publicPort": 8000 + index} for index, name in enumerate(services)}
    return parse_config(raw, "staging")


@pytest.mark.parametrize("source", ["staging", "acme/fleet/staging", "fleet/staging"])
def test_a_stack_promoted_from_this_one_by_any_form_of_its_name_counts(tmp_path, source):
    write_stack(tmp_path, "prod", promoted(source, service="www"))

    assert promoted_images(project_stack_files(tmp_path), "staging", REGION) == [
        PromotedImage(stack_file="Pulumi.prod.yaml", service="www", repository="fleet-staging-web")
    ]


def test_a_stack_promoted_from_another_stack_does_not_count(tmp_path):
    write_stack(tmp_path, "prod", promoted("qa"))

    assert promoted_images(project_stack_files(tmp_path), "staging", REGION) == []


def test_an_image_of_this_stack_name_in_another_region_does_not_count(tmp_path):
    write_stack(tmp_path, "prod", promoted("staging", STAGING_WEB.replace(REGION, "us-east-1")))

    assert promoted_images(project_stack_files(tmp_path), "staging", REGION) == []


def test_every_promoted_stack_is_read(tmp_path):
    write_stack(tmp_path, "prod", promoted("staging"))
    write_stack(tmp_path, "prod-eu", promoted("staging", service="site"))

    uses = promoted_images(project_stack_files(tmp_path), "staging", REGION)

    assert repositories_in_use(uses) == frozenset({"fleet-staging-web"})
    assert removed_service_problems(staging_config_with("web"), uses) == []
    problems = removed_service_problems(staging_config_with("api"), uses)
    assert [(key, message.split(" still runs")[0]) for key, message in problems] == [
        ("services.web", "removed from this stack, but Pulumi.prod-eu.yaml"),
        ("services.web", "removed from this stack, but Pulumi.prod.yaml"),
    ]


def test_a_stack_file_that_cannot_be_read_stops_the_program_naming_the_file(tmp_path):
    write_stack(tmp_path, "prod", "config: [unclosed\n")

    with pytest.raises(ConfigError) as error:
        project_stack_files(tmp_path)

    [problem] = error.value.problems
    assert problem.startswith("Pulumi.prod.yaml is not valid YAML:\n")
    assert 'in "Pulumi.prod.yaml", line 2, column 1' in problem
