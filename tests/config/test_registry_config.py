"""`fleet:registry.consumers`: the registries a building stack's images replicate to, each error naming its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleet.config import MAX_CONSUMERS, fleet_keys, parse_config
from fleet.config_rules import region_problems
from fleet.config_types import ConfigError, Consumer, RegistryConfig
from tests.checkout import ROOT, stack_file

PROD = {"account": "210987654321", "region": "us-east-1"}


def staging(consumers: Any) -> dict[str, Any]:
    raw = fleet_keys(stack_file("staging"))
    raw["registry"] = {"consumers": consumers}
    return raw


def problems(raw: dict[str, Any], stack: str = "staging", project_root: Path | None = ROOT) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, stack, project_root)
    return error.value.problems


def test_consumers_are_read_in_the_order_written():
    other = {"account": "345678901234", "region": "eu-central-1"}

    config = parse_config(staging([PROD, other]), "staging", ROOT)

    assert config.registry == RegistryConfig(
        consumers=(Consumer("210987654321", "us-east-1"), Consumer("345678901234", "eu-central-1"))
    )


def test_a_stack_without_the_key_has_no_registry_config():
    assert parse_config(fleet_keys(stack_file("staging")), "staging", ROOT).registry is None


@pytest.mark.parametrize("account", ["21098765432", "2109876543210", "21098765432x"])
def test_an_account_that_is_not_12_digits_is_refused(account):
    assert problems(staging([{**PROD, "account": account}])) == [
        'fleet:registry.consumers[0].account: must be a quoted 12-digit AWS account id such as "210987654321"; '
        f"got {account!r}"
    ]


def test_an_unquoted_account_is_refused_as_a_number():
    (message,) = problems(staging([{**PROD, "account": 210987654321}]))

    assert message.endswith("got int 210987654321")


@pytest.mark.parametrize("region", ["us-east-9", "eu-westt-1", "aws-global", "US-EAST-1"])
def test_a_region_botocore_does_not_know_is_refused(region):
    assert problems(staging([{**PROD, "region": region}])) == [
        "fleet:registry.consumers[0].region: must be an AWS region such as us-east-1 (one botocore's endpoint data "
        f"names); got {region!r}"
    ]


def test_a_consumer_needs_both_account_and_region():
    assert problems(staging([{"region": "us-east-1"}, {"account": "210987654321"}])) == [
        "fleet:registry.consumers[0].account: is required: the 12-digit account id of the consumer's registry, quoted",
        "fleet:registry.consumers[1].region: is required: the AWS region of the consumer's registry, such as us-east-1",
    ]


def test_a_consumer_named_twice_is_refused():
    assert problems(staging([PROD, dict(PROD)])) == [
        "fleet:registry.consumers[1]: repeats consumer 210987654321 in us-east-1: name each registry once"
    ]


def test_more_consumers_than_one_replication_rule_holds_are_refused():
    consumers = [{"account": f"{index:012d}", "region": "us-east-1"} for index in range(MAX_CONSUMERS + 1)]

    assert problems(staging(consumers)) == [
        f"fleet:registry.consumers: at most {MAX_CONSUMERS} consumers (one ECR replication rule); got 26"
    ]


@pytest.mark.parametrize("value", [[], {}, "210987654321"])
def test_consumers_must_be_a_non_empty_list(value):
    (message,) = problems(staging(value))

    assert message.startswith("fleet:registry.consumers: must be a list of at least one {account, region}")


def test_consumers_on_a_promoted_stack_are_refused():
    raw = fleet_keys(stack_file("prod"))
    raw["registry"] = {"consumers": [PROD]}

    (message,) = problems(raw, stack="prod")

    assert message.startswith(
        "fleet:registry.consumers: only a stack that builds its images can have consumers, and this stack is "
        "promoted from staging"
    )


def test_consumers_on_a_stack_that_pins_an_image_are_refused():
    raw = staging([PROD])
    raw["services"]["web"]["image"] = {
        "version": "1.0.0",
        "ref": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "a" * 64,
    }

    (message,) = problems(raw)

    assert "service web runs a pinned image.ref" in message


def test_a_consumer_in_another_partition_is_refused_against_the_stacks_region():
    config = parse_config(staging([{"account": "210987654321", "region": "cn-north-1"}]), "staging", ROOT)

    assert region_problems(config, "eu-west-1") == [
        (
            "registry.consumers[0].region",
            "cn-north-1 is in partition aws-cn, but this stack's region eu-west-1 is in aws: ECR replicates only "
            "within a partition",
        )
    ]


def test_an_image_in_another_regions_registry_is_refused_against_the_stacks_region():
    config = parse_config(fleet_keys(stack_file("prod")), "prod", ROOT)

    ((key, message),) = region_problems(config, "us-east-1")

    assert key == "services.web.image.ref"
    assert message.startswith(
        "names a registry in eu-west-1, but the stack's hosts run in us-east-1 (aws:region) and log in to ECR there "
        "only, so they could not pull it"
    )


def test_an_image_in_the_stacks_own_region_is_accepted():
    config = parse_config(fleet_keys(stack_file("prod")), "prod", ROOT)

    assert region_problems(config, "eu-west-1") == []
