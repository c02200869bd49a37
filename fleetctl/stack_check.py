"""What `pulumi up` would refuse in a stack file, found offline: the program's own parse and the files it needs.

`fleetctl check` and `fleetctl diff` both read stack files through `validate_stack`, so neither calls a stack
valid that the program rejects: the same `parse_config` (build contexts must hold a Dockerfile), the
`aws:region` the program requires, and a `fleet:promotion.from` that names a stack of the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fleet.config import ConfigError, FleetConfig, fleet_keys, parse_config, problem, region_problems
from fleet.names import PROMOTION_KEY, SERVICES_KEY
from fleetctl.errors import CommandError
from fleetctl.revisions import ProjectTree

REGION_KEY = "aws:region"
# AWS region names: partition prefix, geography, number (eu-west-1, us-gov-west-1, ap-southeast-5, cn-north-1).
AWS_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")


@dataclass(frozen=True)
class ValidStack:
    """A stack file the program accepts."""

    config: FleetConfig
    raw: dict[str, Any]
    """The file's whole `config:` mapping, as written (every namespace)."""


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def stack_names(tree: ProjectTree) -> list[str]:
    """The stacks that have a stack file in the project."""
    return [name.removeprefix("Pulumi.").removesuffix(".yaml") for name in tree.stack_files()]


def require_stack(tree: ProjectTree, stack: str) -> None:
    """Refuse a stack the project has no stack file for, naming those it has."""
    if stack not in stack_names(tree):
        raise CommandError(
            f"the project has no {stack_file_name(stack)} (stacks: {', '.join(stack_names(tree)) or 'none'})"
        )


def validate_stack(tree: ProjectTree, stack: str) -> ValidStack | list[str]:
    """The stack at `tree` as the program reads it, or every problem found in it, each naming its key."""
    name = stack_file_name(stack)
    try:
        document = YAML(typ="safe").load(tree.read(name) or b"")
    except YAMLError as error:
        return [f"{name} is not valid YAML: {' '.join(str(error).split())}"]
    raw = document.get("config") if isinstance(document, dict) else None
    if not isinstance(raw, dict):
        return [f"{name} has no `config:` mapping"]
    problems = [*_region_problems(raw), *_promotion_source_problems(raw, stack, tree)]
    if tree.project_root is None:
        problems.extend(_committed_build_context_problems(raw, tree))
    try:
        config = parse_config(fleet_keys(raw), stack, project_root=tree.project_root)
    except ConfigError as error:
        return [*error.problems, *problems]
    region = raw.get(REGION_KEY)
    if isinstance(region, str) and AWS_REGION.match(region):
        # The program's check of ARNs against the stack's region (a certificate, an alarm topic).
        problems.extend(problem(key, message) for key, message in region_problems(config, region))
    return problems or ValidStack(config=config, raw=raw)


def _region_problems(raw: dict[str, Any]) -> list[str]:
    """The program requires `aws:region` (`pulumi.Config("aws").require("region")`)."""
    region = raw.get(REGION_KEY)
    if region is None:
        return [f"{REGION_KEY}: is required: the AWS region the stack deploys to, such as eu-west-1"]
    if not isinstance(region, str) or not AWS_REGION.match(region):
        return [f"{REGION_KEY}: must be an AWS region such as eu-west-1; got {region!r}"]
    return []


def _promotion_source_problems(raw: dict[str, Any], stack: str, tree: ProjectTree) -> list[str]:
    """A source named by stack name alone is a stack of this project, so it has a stack file here."""
    promotion = raw.get(PROMOTION_KEY)
    source = promotion.get("from") if isinstance(promotion, dict) else None
    if not isinstance(source, str) or "/" in source or not source:
        return []  # parse_config reports a malformed value; a qualified name may live in another project
    if source == stack:
        return [f"{PROMOTION_KEY}.from: stack {stack} cannot be promoted from itself; name the stack that builds"]
    stacks = stack_names(tree)
    if source not in stacks:
        return [
            f"{PROMOTION_KEY}.from: names stack {source}, but the project has no {stack_file_name(source)} "
            f"(stacks here: {', '.join(stacks)})"
        ]
    return []


def _committed_build_context_problems(raw: dict[str, Any], tree: ProjectTree) -> list[str]:
    """At a git revision, the build contexts the revision holds (parse_config checks those on disk)."""
    services = raw.get(SERVICES_KEY)
    problems = []
    for name, settings in (services if isinstance(services, dict) else {}).items():
        image = settings.get("image") if isinstance(settings, dict) else None
        build = image.get("build") if isinstance(image, dict) else None
        if not isinstance(build, str) or not build or build.startswith("/") or ".." in PurePosixPath(build).parts:
            continue  # parse_config reports a build context outside the project
        dockerfile = f"{build.rstrip('/')}/Dockerfile"
        if tree.read(dockerfile) is None:
            problems.append(
                f"{SERVICES_KEY}.{name}.image.build: must be a directory holding a Dockerfile; "
                f"{dockerfile} does not exist at {tree.label}"
            )
    return problems
