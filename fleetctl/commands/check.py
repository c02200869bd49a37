"""`fleetctl check STACK`: validate a stack file offline, as `pulumi up` would read it, before anything is declared."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fleet.config_types import Consumer, ServiceConfig
from fleet.release import identify_on_disk
from fleet.replication import pinned_images, repository_prefix
from fleet.stack_files import stack_file_name
from fleet.validation import REGION_KEY
from fleetctl.cli import project_dir
from fleetctl.errors import CommandError
from fleetctl.names_report import check_line
from fleetctl.revisions import WorkingTree
from fleetctl.stack_check import ValidStack, require_stack, validate_stack
from fleetctl.stack_outputs import read_outputs_of


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate a stack file offline, as `pulumi up` would read it",
        description="Validate Pulumi.<stack>.yaml with the program's own validation, with nothing but the "
        "repository: every key and value, build contexts that hold a Dockerfile, aws:region and the region of the "
        "certificate and alarm topic, services removed while a promoted stack still runs their images, and a "
        "fleet:promotion.from that names a stack of the project. With --from-outputs, also the changes that would "
        "cut traffic (a new port, a new VPC, a rename) and a release with no free release slot (live, warm and "
        "canary hold all three); a release its alarms rolled back is refused by `pulumi up` alone (its marker is "
        "in SSM). Prints every problem, each naming its key, and exits 1; "
        "prints a short summary and the deploy's warnings when the stack is valid.",
    )
    parser.add_argument("stacks", nargs="+", metavar="STACK", help="the stack to check, such as staging")
    parser.add_argument(
        "--from-outputs",
        type=Path,
        metavar="FILE",
        help="the stack's last outputs (`pulumi stack output --json`): also refuse what would cut its traffic, "
        "and a release with no free slot",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    tree = WorkingTree(project_dir(args))
    for stack in args.stacks:
        require_stack(tree, stack)
    if args.from_outputs and len(args.stacks) > 1:
        raise CommandError("--from-outputs holds the outputs of one stack: check one stack with it")
    deployed = read_outputs_of(args.stacks[0], args.from_outputs) if args.from_outputs else None
    invalid = False
    for stack in args.stacks:
        result = validate_stack(tree, stack, deployed)
        if isinstance(result, ValidStack):
            print("\n".join([*_summary(tree, stack, result), *(f"  warning: {text}" for text in result.warnings)]))
            continue
        invalid = True
        print("\n".join(problem_lines(stack, result)))
    return 1 if invalid else 0


def problem_lines(stack: str, problems: list[str]) -> list[str]:
    """Every problem of an invalid stack file, one line each."""
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    return [
        f"{stack_file_name(stack)}: {count}; `pulumi up` would stop before declaring any resource:",
        *(f"  - {problem}".replace("\n", "\n    ") for problem in problems),
    ]


def _registry_lines(tree: WorkingTree, valid: ValidStack) -> list[str]:
    """Where the stack's images go (its consumers) or come from (a promoted stack's refs), as far as the files
    tell. Which account a stack deploys to is not in its file: the program checks that (`program.registry_access`),
    so a registry the source replicates to none of is a warning here, not a problem."""
    config = valid.config
    if config.registry is not None:
        targets = ", ".join(f"{consumer.account} in {consumer.region}" for consumer in config.registry.consumers)
        return [f"  - registry: ECR replicates {repository_prefix(config.stack)}* to {targets}"]
    if config.promotion is None or "/" in config.promotion.source:
        return []
    source = validate_stack(tree, config.promotion.source)
    consumers = source.config.registry.consumers if isinstance(source, ValidStack) and source.config.registry else ()
    if not consumers:
        return []  # one account and region: the stack pulls from its source's own registry
    source_name = config.promotion.source
    lines = []
    for image in pinned_images(config):
        here = f"{image.account} in {image.region}"
        if Consumer(image.account, image.region) in consumers:
            lines.append(f"  - {image.key}: the copy in {here}, which {source_name} replicates to")
        else:
            lines.append(
                f"  ! warning: fleet:{image.key} names the registry of {here}, which {source_name}'s "
                f"fleet:registry.consumers do not list: `pulumi up` refuses it unless this stack deploys to that "
                f"account and {source_name} builds there ({source_name}'s own registry)"
            )
    return lines


def _summary(tree: WorkingTree, stack: str, valid: ValidStack) -> list[str]:
    config = valid.config
    identities = identify_on_disk(config.services, tree.project_dir)
    origin = f", promoted from {config.promotion.source}" if config.promotion else ""
    lines = [f"{stack_file_name(stack)}: OK: {len(config.services)} service(s) in {valid.raw[REGION_KEY]}{origin}"]
    for service in config.services:
        image = f"build {service.image.build}" if service.image.build else "image.ref pinned by digest"
        lines.append(
            f"  - {service.name}: release {identities[service.name].release_id}, version {service.image.version} "
            f"({image}), {service.instance_type}, capacity {service.capacity.min}/{service.capacity.desired}/"
            f"{service.capacity.max}{_routing(service)}"
        )
    names = check_line(config)
    return [*lines, *([names] if names else []), *_registry_lines(tree, valid)]


def _routing(service: ServiceConfig) -> str:
    """Where the load balancer reaches the service: its hostnames, and its own port when it has one."""
    own = f"port {service.public_port}" if service.public_port is not None else ""
    hosts = f"hostnames {', '.join(service.hostnames)}" if service.hostnames else ""
    return "".join(f", {part}" for part in (hosts, own) if part and service.hostnames)
