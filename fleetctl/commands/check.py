"""`fleetctl check STACK`: validate a stack file offline, as `pulumi up` would read it, before anything is declared."""

from __future__ import annotations

import argparse
from typing import Any

from fleet.config import ServiceConfig
from fleet.release import identify_on_disk
from fleetctl.cli import project_dir
from fleetctl.names_report import check_line
from fleetctl.revisions import WorkingTree
from fleetctl.stack_check import REGION_KEY, ValidStack, require_stack, stack_file_name, validate_stack


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate a stack file offline, as `pulumi up` would read it",
        description="Validate Pulumi.<stack>.yaml with the program's own parser, with nothing but the repository: "
        "every key and value, build contexts that hold a Dockerfile, aws:region, and a fleet:promotion.from "
        "that names a stack of the project. Prints every problem, each naming its key, and exits 1; "
        "prints a short summary when the stack is valid.",
    )
    parser.add_argument("stacks", nargs="+", metavar="STACK", help="the stack to check, such as staging")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    tree = WorkingTree(project_dir(args))
    for stack in args.stacks:
        require_stack(tree, stack)
    invalid = False
    for stack in args.stacks:
        result = validate_stack(tree, stack)
        if isinstance(result, ValidStack):
            print("\n".join(_summary(tree, stack, result)))
            continue
        invalid = True
        print("\n".join(problem_lines(stack, result)))
    return 1 if invalid else 0


def problem_lines(stack: str, problems: list[str]) -> list[str]:
    """Every problem of an invalid stack file, one line each."""
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    return [
        f"{stack_file_name(stack)}: {count}; `pulumi up` would stop before declaring any resource:",
        *(f"  - {problem}" for problem in problems),
    ]


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
    return [*lines, names] if names else lines


def _routing(service: ServiceConfig) -> str:
    """Where the load balancer reaches the service: its hostnames, and its own port when it has one."""
    own = f"port {service.public_port}" if service.public_port is not None else ""
    hosts = f"hostnames {', '.join(service.hostnames)}" if service.hostnames else ""
    return "".join(f", {part}" for part in (hosts, own) if part and service.hostnames)
