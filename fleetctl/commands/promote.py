"""`fleetctl promote SOURCE TARGET`: pin in the target's stack file the exact images the source stack runs.

The target never rebuilds: it runs the digest the source deployed, so what was tested is what ships. A target
whose file declares `fleet:promotion.from` is only ever promoted from that stack, so prod cannot be handed images
from a stack that never ran them the way staging did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import Any

from fleet.config import MAX_CANARY_WEIGHT, CanaryConfig
from fleet.names import PROMOTION_KEY, same_stack
from fleetctl.cli import project_dir, whole_number
from fleetctl.errors import CommandError
from fleetctl.pinning import AsCanary, PinTarget, add_stack_file_arguments, pin_releases
from fleetctl.stack_outputs import add_outputs_arguments


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
    parser.add_argument(
        "--canary",
        action="store_true",
        help="write the source's release as the target's canary (fleet:services.<name>.canary), "
        "leaving the target's live release as it is",
    )
    parser.add_argument(
        "--weight",
        type=whole_number(1, MAX_CANARY_WEIGHT, "percent"),
        metavar="PERCENT",
        help=f"with --canary: the canary's share of requests (1-{MAX_CANARY_WEIGHT}; default: "
        f"{CanaryConfig.weight} for a new canary, unchanged for one already there)",
    )
    add_outputs_arguments(parser)
    add_stack_file_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if same_stack(args.source, args.target):
        raise CommandError(
            f"cannot promote stack {args.target} into itself: promotion pins another stack's images; "
            f"to return to an earlier release use `fleetctl rollback {args.target}`"
        )
    if args.weight is not None and not args.canary:
        raise CommandError("--weight is the canary's share of requests: pass it with --canary")
    target = PinTarget(project_dir(args), args.target)
    target.refuse_builds(args.service)
    _check_promotion_path(target, args.source)
    pin_releases(
        target,
        args.source,
        args.from_outputs,
        args.service,
        f"live releases of {args.source}{' as canaries' if args.canary else ''}",
        lambda name, service: (service.release, f"{args.source} outputs services.{name}.release"),
        dry_run=args.dry_run,
        canary=AsCanary(args.weight) if args.canary else None,
    )
    return 0


def _check_promotion_path(target: PinTarget, source: str) -> None:
    """Refuse a source other than the one the target's `fleet:promotion.from` names; warn when it names none."""
    promotion = target.file.get(("config", PROMOTION_KEY))
    if promotion is None:
        print(
            f"warning: {target.path.name} has no {PROMOTION_KEY}: stack {target.stack} has no promotion guard, "
            "images from any stack can be promoted into it",
            file=sys.stderr,
        )
        return
    declared = promotion.get("from") if isinstance(promotion, Mapping) else None
    # Any other malformed `fleet:promotion` is reported, with every other problem, when the file is validated.
    if isinstance(declared, str) and not same_stack(declared, source):
        raise CommandError(
            f"{target.path.name} declares {PROMOTION_KEY}.from: {declared}, so stack {target.stack} is promoted "
            f"only from {declared}, not from {source}"
        )
