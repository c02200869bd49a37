"""Names AWS would refuse are refused by the config, naming the key: the mocks autoname nothing (fleet.limits)."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.config import fleet_keys, parse_config
from fleet.config_types import ConfigError
from tests.checkout import ROOT, stack_file


def renamed(stack: str, name: str, canary: bool = False) -> dict[str, Any]:
    """The stack file's `fleet:` keys with its service `web` renamed, and with a canary if asked."""
    raw = fleet_keys(stack_file(stack))
    web = raw["services"].pop("web")
    if canary:
        web["canary"] = {"image": {**web["image"], "version": "9.9.9"}}
    raw["services"][name] = web
    return raw


def problems(raw: dict[str, Any], stack: str = "staging") -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack, ROOT)
    return error.value.problems


def test_a_canary_of_a_service_named_with_20_characters_is_accepted_it_runs_in_a_slot_named_like_every_slot():
    parse_config(renamed("staging", "a" * 20, canary=True), "staging", ROOT)


def test_a_service_named_with_20_characters_and_no_canary_is_accepted():
    parse_config(renamed("staging", "a" * 20), "staging", ROOT)


@pytest.mark.parametrize("name", ["sg", "sg-api"])
def test_a_service_whose_security_group_name_would_start_with_sg_dash_is_refused(name):
    assert problems(renamed("staging", name)) == [
        f"fleet:services.{name}: its hosts' security group would be named {name}-instances-sg-<7 random>, and EC2 "
        "refuses group names starting with sg- (the prefix of group ids): choose another service name"
    ]


def test_a_service_named_sgx_is_accepted():
    parse_config(renamed("staging", "sgx"), "staging", ROOT)


def test_a_building_stack_with_upper_case_in_its_name_is_refused_its_ecr_repository_name_would_be_rejected():
    assert problems(fleet_keys(stack_file("staging")), stack="QA") == [
        "fleet:services.web.image.build: the stack builds its images into ECR repository fleet-QA-web, and ECR "
        "repository names are lowercase letters and digits joined by single '.', '_', '__' or dashes: build in a "
        "stack whose name is (promote to QA from it) or rename the stack"
    ]


def test_a_building_stack_whose_name_has_two_dots_in_a_row_is_refused():
    [problem] = problems(fleet_keys(stack_file("staging")), stack="qa..1")

    assert problem.startswith("fleet:services.web.image.build: the stack builds its images into ECR repository ")


def test_a_promoted_stack_with_upper_case_in_its_name_is_accepted_it_pushes_to_no_repository():
    parse_config(fleet_keys(stack_file("prod")), "QA", ROOT)


def test_a_stack_name_that_leaves_no_room_for_the_launch_templates_unique_suffix_is_refused():
    stack = "s" * 90  # fleet-<90>-web-c- (slot c's, the longest prefix) is 103 characters, and terraform adds 26

    [problem] = problems(fleet_keys(stack_file("staging")), stack=stack)
    assert problem == (
        f"fleet:services.web: its slot c's launch template would be named fleet-{stack}-web-c-<26 unique>, 129 "
        "characters; AWS allows 128: use a stack or service name 1 character(s) shorter"
    )


def test_every_problem_of_every_service_is_reported_at_once():
    raw = renamed("staging", "sg", canary=False)
    raw["services"]["sg-api"] = {**raw["services"]["sg"], "publicPort": 81}

    keys = [problem.split(": ", 1)[0] for problem in problems(raw)]

    assert keys == ["fleet:services.sg", "fleet:services.sg-api"]
