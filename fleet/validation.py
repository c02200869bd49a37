"""The one check of a stack's configuration that both the program and `fleetctl check` run.

`pulumi up` stops before declaring any resource when `validate` raises, and `fleetctl check` prints the same
problems, so check never passes a stack the program refuses. In one pass, every problem at once:
- every key of the `fleet:` namespace (`fleet.config.parse_config`), and `aws:region`;
- a certificate or alarm topic outside the stack's region;
- a removed service whose images a promoted stack still runs (read from the project's other stack files);
- given the stack's last outputs, the changes that would cut traffic (`fleet.rollout.unsafe_changes`).
It also returns the warnings a deploy prints: changes that are allowed but that the operator must know about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet import rollout
from fleet.config import parse_config
from fleet.config_rules import region_problems
from fleet.config_types import ConfigError, FleetConfig, NetworkConfig, problem
from fleet.image_use import PromotedImage, promoted_images, removed_service_problems
from fleet.outputs import OutputsError, live_vpc_id, parse_services
from fleet.service_settings import plain_secret_warnings

REGION_KEY = "aws:region"
# AWS region names: partition prefix, geography, number (eu-west-1, us-gov-west-1, ap-southeast-5, cn-north-1).
AWS_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")


@dataclass(frozen=True)
class Validated:
    """A configuration the program deploys, and what a deploy of it warns about."""

    config: FleetConfig
    region: str
    promoted: tuple[PromotedImage, ...]
    """The images of this stack's repositories that the stacks promoted from it run."""
    last_outputs: Mapping[str, Any]
    """The stack's outputs from its last successful update ({} before the first)."""
    warnings: tuple[str, ...] = ()


def configured_vpc(network: NetworkConfig) -> str | None:
    """The VPC the config names; None for the account's default VPC, which only a lookup in AWS knows."""
    return network.vpc_id


def validate(
    fleet_config: Mapping[str, Any],
    region: Any,
    stack: str,
    *,
    project_root: Path | None,
    other_stack_files: Mapping[str, Mapping[str, Any]],
    read_last_outputs: Callable[[], Mapping[str, Any]] = dict,
    vpc_of: Callable[[NetworkConfig], str | None] = configured_vpc,
) -> Validated:
    """The stack's configuration, or a ConfigError with every problem, each naming its key.

    - `fleet_config`: the stack's `fleet:` keys without their prefix (secrets as the program receives them);
      `region`: its `aws:region`, None when unset.
    - `other_stack_files`: the `config:` mapping of each other stack file of the project, by file name.
    - `read_last_outputs`: the stack's outputs from its last successful update ({} when not known); called, like
      `vpc_of`, only for a config without problems, so that a bad config makes no lookup.
    - `vpc_of`: the VPC id the network config resolves to; None when unknown (a move to another VPC is then not
      looked for).
    """
    problems = _region_key_problems(region)
    try:
        config = parse_config(fleet_config, stack, project_root)
    except ConfigError as error:
        raise ConfigError([*error.problems, *problems]) from error
    if problems:
        raise ConfigError(problems)
    assert isinstance(region, str)
    promoted = promoted_images(other_stack_files, stack, region)
    refused = [*region_problems(config, region), *removed_service_problems(config, promoted)]
    last_outputs = read_last_outputs()
    live = _live_services(last_outputs)
    refused.extend(rollout.unsafe_changes(config, live, live_vpc_id(last_outputs), vpc_of(config.network)))
    if refused:
        raise ConfigError([problem(key, message) for key, message in refused])
    warnings = (*plain_secret_warnings(config), *rollout.health_check_path_warnings(config, live))
    return Validated(config, region, tuple(promoted), last_outputs, warnings)


def _region_key_problems(region: Any) -> list[str]:
    """The program requires `aws:region` (`pulumi.Config("aws").require("region")`), and one in AWS's form."""
    if region is None:
        return [f"{REGION_KEY}: is required: the AWS region the stack deploys to, such as eu-west-1"]
    if not isinstance(region, str) or not AWS_REGION.match(region):
        return [f"{REGION_KEY}: must be an AWS region such as eu-west-1; got {region!r}"]
    return []


def _live_services(outputs: Mapping[str, Any]) -> dict[str, rollout.LiveService]:
    try:
        return rollout.live_services(parse_services(outputs))
    except OutputsError as error:
        raise ConfigError([f"the stack's last outputs: {error}"]) from error
