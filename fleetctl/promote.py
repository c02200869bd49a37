"""`fleetctl promote SOURCE TARGET`: pin in the target's stack file the exact images the source stack runs.

The target never rebuilds: it runs the digest the source deployed, so what was tested is what ships.
"""

from __future__ import annotations

import argparse
from typing import Any

from fleetctl.pinning import Pin, PinTarget, add_stack_file_arguments, deployed_services
from fleetctl.stack_outputs import add_outputs_arguments, read_stack_outputs


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "promote",
        help="pin the images a stack deployed into another stack's file",
        description="Write into Pulumi.<target>.yaml the version, digest-pinned image and host image of each "
        "service's live release on the source stack (from its stack outputs).",
    )
    parser.add_argument("source", help="the stack whose deployed images are promoted, such as staging")
    parser.add_argument("target", help="the stack whose file is written, such as prod")
    parser.add_argument("--service", metavar="NAME", help="promote only this service (default: every service in both)")
    add_outputs_arguments(parser)
    add_stack_file_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    target = PinTarget(args.project_dir, args.target)
    deployed = deployed_services(read_stack_outputs(args.source, args.from_outputs), args.source)
    print(f"{target.path.name} ← live releases of {args.source}")
    for name in target.select(deployed, args.service, args.source):
        service = deployed[name]
        release = service.get("release") if isinstance(service, dict) else None
        target.pin(name, Pin.from_release(release, f"{args.source} outputs services.{name}.release"))
    target.save(dry_run=args.dry_run)
    return 0
