"""What `pulumi up` would refuse in a stack file, found offline: the program's own validation and the files it needs.

`fleetctl check`, `plan` and `diff` read stack files through `validate_stack`, so none calls a stack valid that
the program rejects: the program's own `fleet.validation.validate` (every key, aws:region, the region of the
certificate and alarm topic, removed services a promoted stack still runs, and given the stack's outputs the
changes that would cut traffic), plus what only a deploy would find later: a `fleet:promotion.from` that names no
stack of the project, and at a git revision the build contexts it holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from fleet import clock
from fleet.config import fleet_keys
from fleet.config_types import ConfigError, FleetConfig, canary_release
from fleet.names import PROMOTION_KEY, SERVICES_KEY
from fleet.outputs import OutputsError, parse_services
from fleet.release import identify_on_disk
from fleet.slots import plan_services, refusals
from fleet.stack_files import others, stack_file_config, stack_file_name, stack_files
from fleet.validation import REGION_KEY, validate
from fleetctl.errors import CommandError
from fleetctl.revisions import ProjectTree, WorkingTree

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class ValidStack:
    """A stack file the program accepts."""

    config: FleetConfig
    raw: dict[str, Any]
    """The file's whole `config:` mapping, as written (every namespace)."""
    warnings: tuple[str, ...] = ()
    """What a deploy of it warns about (`fleet.validation.Validated.warnings`)."""


def stack_names(tree: ProjectTree) -> list[str]:
    """The stacks that have a stack file in the project."""
    return [name.removeprefix("Pulumi.").removesuffix(".yaml") for name in tree.stack_files()]


def require_stack(tree: ProjectTree, stack: str) -> None:
    """Refuse a stack the project has no stack file for, naming those it has."""
    if stack not in stack_names(tree):
        raise CommandError(
            f"the project has no {stack_file_name(stack)} (stacks: {', '.join(stack_names(tree)) or 'none'})"
        )


def validate_stack(
    tree: ProjectTree, stack: str, last_outputs: Mapping[str, Any] | None = None
) -> ValidStack | list[str]:
    """The stack at `tree` as the program reads it, or every problem found in it, each naming its key.

    `last_outputs`: the stack's outputs from its last update, to refuse the changes that would cut traffic too.
    """
    try:
        files = stack_files((name, tree.read(name) or b"") for name in tree.stack_files())
    except ConfigError as error:
        return error.problems
    raw = files.get(stack_file_name(stack))
    if not raw:
        return [f"{stack_file_name(stack)} has no `config:` mapping"]
    problems = _promotion_source_problems(raw, stack, tree)
    if tree.project_root is None:
        problems.extend(_committed_build_context_problems(raw, tree))
    try:
        validated = validate(
            fleet_keys(raw),
            raw.get(REGION_KEY),
            stack,
            project_root=tree.project_root,
            other_stack_files=others(files, stack),
            read_last_outputs=lambda: last_outputs or {},
        )
    except ConfigError as error:
        return [*error.problems, *problems]
    if last_outputs and tree.project_root is not None:
        problems.extend(_slot_problems(validated.config, tree.project_root, last_outputs))
    return problems or ValidStack(config=validated.config, raw=raw, warnings=validated.warnings)


def _slot_problems(config: FleetConfig, project_root: Path, last_outputs: Mapping[str, Any]) -> list[str]:
    """What the program's slot plan refuses given the last outputs (a release with every slot taken), now. A release
    its alarms rolled back is refused by `pulumi up` alone: the markers are in SSM, not in the outputs."""
    canaries = [canary_release(service) for service in config.services if service.canary]
    try:
        previous = parse_services(last_outputs)
    except OutputsError:
        return []  # validate reported it
    plans = plan_services(
        config.stack,
        config,
        {name: identity.release_id for name, identity in identify_on_disk(config.services, project_root).items()},
        {name: identity.release_id for name, identity in identify_on_disk(canaries, project_root).items()},
        previous,
        clock.now(),
        {},
        {},
    )
    return refusals(plans)


def stack_region(project: Path, stack: str) -> str | None:
    """The `aws:region` of the stack's file in the project; None without the file or the key. The AWS commands
    work in the stack's region, as the program does, whatever the AWS configuration's default is."""
    text = WorkingTree(project).read(stack_file_name(stack))
    if text is None:
        return None
    try:
        region = (stack_file_config(text, stack_file_name(stack)) or {}).get(REGION_KEY)
    except ConfigError as error:
        raise CommandError("; ".join(error.problems)) from error
    return region if isinstance(region, str) else None


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


def stack_session(project: Path, stack: str) -> boto3.Session:
    """A boto3 session in the stack's region: its file's `aws:region`, else the AWS configuration's region."""
    import boto3  # here, not at the top: every fleetctl command imports this module, few talk to AWS

    session = boto3.Session(region_name=stack_region(project, stack))
    if session.region_name is None:
        raise CommandError(
            f"no AWS region: {stack_file_name(stack)} in {project} sets no aws:region (pass --project-dir DIR), and "
            "none is configured (AWS_DEFAULT_REGION, or a region in the AWS config)"
        )
    return session
