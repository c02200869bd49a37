"""`fleetctl promote SOURCE TARGET`: pin in the target's stack file the exact images the source stack runs.

The target never rebuilds: it runs the digest the source deployed, so what was tested is what ships. A target in
another account or region pins the copy ECR replicated into its own registry: same repository, same digest. A target
whose file declares `fleet:promotion.from` is only ever promoted from that stack, so prod cannot be handed images
from a stack that never ran them the way staging did.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from functools import partial
from typing import Any

from fleet.config_types import ECR_DIGEST_REF, CanaryConfig
from fleet.names import MAX_CANARY_WEIGHT, PROMOTION_KEY, same_stack
from fleet.outputs import OutputsError, parse_registry
from fleetctl.cli import project_dir, whole_number
from fleetctl.errors import CommandError
from fleetctl.pinning import SERVICES_PATH, AsCanary, PinTarget, add_stack_file_arguments, pin_releases
from fleetctl.stack_check import REGION_KEY
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
        registry=partial(_replica_registry, target, args.source),
    )
    return 0


def _replica_registry(target: PinTarget, source: str, outputs: Mapping[str, Any]) -> str | None:
    """The registry in the target's region that holds the source's images: the copy ECR replicates there for a
    consumer (the source's `registry` output), else the source's own registry (None: pin as the source ran them).

    Where the source replicates to several accounts of the target's region, the one the target's refs already
    name is the target's.
    """
    try:
        registry = parse_registry(outputs)
    except OutputsError as error:
        raise CommandError(f"{source} outputs {error}") from error
    region = target.file.get(("config", REGION_KEY))
    if registry is None or not registry.consumers or not isinstance(region, str):
        return None
    holders = [(consumer.account, consumer.region) for consumer in registry.consumers]
    pairs = [*holders, (registry.account, registry.region)]
    candidates = {account for account, where in pairs if where == region and account is not None}
    if not candidates:
        return None
    if len(candidates) > 1:
        named = {match["account"] for match in _refs_of(target)} & candidates
        if len(named) != 1:
            raise CommandError(
                f"{source} replicates to several accounts in {region} ({', '.join(sorted(candidates))}) and the "
                f"image refs of {target.path.name} name {'none' if not named else 'more than one'} of them: set "
                f"one service's image.ref there to the registry of {target.stack}'s account, then promote again"
            )
        candidates = named
    (account,) = candidates
    if (account, region) == (registry.account, registry.region):
        return None
    return f"{account}.dkr.ecr.{region}.amazonaws.com"


def _refs_of(target: PinTarget) -> list[re.Match[str]]:
    """The registries the target's stack file pins its images in now."""
    refs = [target.file.get((*SERVICES_PATH, name, "image", "ref")) for name in target.services]
    return [match for ref in refs if isinstance(ref, str) and (match := ECR_DIGEST_REF.match(ref))]


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
