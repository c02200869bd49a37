"""`fleetctl audit`: check that the running fleet is still exactly what the stack deployed.

Immutability breaks silently (a host changed by hand, an ASG leaked by a failed cut-over, an SSH rule added for
a quick fix), so the audit compares the stack's state (`pulumi stack export`: its outputs and every resource the
engine tracks) with AWS after every deploy and on a schedule, and exits 1 when anything has drifted.

`--cleanup` force-deletes the leaked ASGs: the stack's ASGs that its state does not track. An ASG the state
tracks is never deleted, whatever its health: the engine still owns it (a replaced one it will delete itself, a
failed new release it will retry). The new release's ASG of a deploy still running may not be in the state yet,
so `--cleanup` also keeps every orphan younger than `--min-orphan-age-minutes`, which by default outlasts the
longest cut-over the config allows.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from fleet.names import MAX_CUTOVER_MINUTES
from fleetctl.audit_facts import LiveRelease, gather_facts, live_releases, stack_state
from fleetctl.audit_rules import Finding, Orphans, audit, orphans
from fleetctl.cli import whole_number
from fleetctl.errors import CommandError
from fleetctl.stack_check import stack_session
from fleetctl.stack_outputs import add_export_arguments, read_stack_export

COLUMNS = ("kind", "service", "resource", "detail")
# The longest cut-over, plus a margin for the launch template and ASG creation before the wait.
DEFAULT_MIN_ORPHAN_AGE_MINUTES = MAX_CUTOVER_MINUTES + 30


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="report where the live fleet has drifted from what the stack deployed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="the stack to audit, e.g. prod")
    add_export_arguments(parser)
    parser.add_argument(
        "--max-age-days",
        type=whole_number(1, 3650, "days"),
        default=30,
        metavar="N",
        help="report instances launched more than N days ago (default 30)",
    )
    parser.add_argument(
        "--min-orphan-age-minutes",
        type=whole_number(1, 525_600, "minutes"),
        default=DEFAULT_MIN_ORPHAN_AGE_MINUTES,
        metavar="N",
        help="orphan ASGs created less than N minutes ago may be a running deploy's new release: reported as "
        f"young, never deleted by --cleanup (default {DEFAULT_MIN_ORPHAN_AGE_MINUTES})",
    )
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    parser.add_argument(
        "--cleanup",
        action="store_true",
        help="force-delete the orphan ASGs that are not young (with their instances and launch templates) "
        "after confirming; never an ASG or launch template the stack's state tracks",
    )
    parser.add_argument("--yes", action="store_true", help="with --cleanup: do not ask for confirmation (CI)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Audit the stack, print the findings, optionally clean up orphans; 1 if any finding remains.

    `now` is the clock by default; tests pass a later one to age what moto created a moment ago.
    """
    now = now or datetime.now(UTC)
    min_orphan_age = timedelta(minutes=args.min_orphan_age_minutes)
    if args.yes and not args.cleanup:
        raise CommandError("--yes only confirms --cleanup; pass both or neither")
    if args.cleanup and not args.yes and not sys.stdin.isatty():
        raise CommandError("--cleanup asks for confirmation but stdin is not a terminal: pass --yes to confirm")
    state = stack_state(read_stack_export(args.stack, args.from_export), args.stack)
    releases = live_releases(state.outputs, args.stack)
    session = _session(args, releases)
    facts = gather_facts(session, args.stack, releases, state)
    findings = audit(facts, now=now, max_age=timedelta(days=args.max_age_days), min_orphan_age=min_orphan_age)
    print(json.dumps([asdict(finding) for finding in findings], indent=2) if args.json else render(findings))
    if args.cleanup:
        candidates = orphans(facts, now=now, min_age=min_orphan_age)
        deleted = cleanup(
            session, candidates, args.stack, min_age_minutes=args.min_orphan_age_minutes, confirmed=args.yes
        )
        findings = [finding for finding in findings if finding.kind != "orphan-asg" or finding.resource not in deleted]
    return 1 if findings else 0


def render(findings: list[Finding]) -> str:
    """An aligned table, one finding a line; the detail column is last so it may run long."""
    if not findings:
        return "no findings: the fleet is what the stack deployed"
    rows = [tuple(column.upper() for column in COLUMNS)] + [
        (finding.kind, finding.service, finding.resource, finding.detail) for finding in findings
    ]
    widths = [max(len(row[index]) for row in rows) for index in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]) for row in rows
    )


def cleanup(session: Any, candidates: Orphans, stack: str, *, min_age_minutes: int, confirmed: bool) -> list[str]:
    """Force-delete the old orphan ASGs (their instances go with them) and their own launch templates, keep the
    young; the ASG names deleted."""
    if candidates.young:
        print(
            f"--cleanup: keeping orphan ASGs of stack {stack} created less than {min_age_minutes} minutes ago, "
            f"a cut-over may be in progress:\n{_listing(candidates.young)}",
            file=sys.stderr,
        )
    names = candidates.old
    if not names:
        print(
            f"--cleanup: stack {stack} has no orphan ASGs older than {min_age_minutes} minutes, nothing to delete",
            file=sys.stderr,
        )
        return []
    print(f"orphan ASGs of stack {stack} to force-delete with their instances:\n{_listing(names)}", file=sys.stderr)
    if candidates.launch_templates:
        print(f"and their launch templates:\n{_listing(candidates.launch_templates)}", file=sys.stderr)
    if not confirmed and not _confirm(f"delete these {len(names)} ASG(s)? [y/N] "):
        print("--cleanup: nothing deleted", file=sys.stderr)
        return []
    autoscaling, ec2 = session.client("autoscaling"), session.client("ec2")
    for name in names:
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
        print(f"deleted {name}", file=sys.stderr)
    # Instances already launched keep running without their template until the force delete terminates them.
    for template_id in candidates.launch_templates:
        ec2.delete_launch_template(LaunchTemplateId=template_id)
        print(f"deleted {template_id}", file=sys.stderr)
    return names


def _listing(names: list[str]) -> str:
    return "\n".join(f"  {name}" for name in names)


def _confirm(prompt: str) -> bool:
    # The prompt goes to stderr so that `--json` output on stdout stays parseable.
    print(prompt, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in {"y", "yes"}


def _session(args: argparse.Namespace, releases: tuple[LiveRelease, ...]) -> Any:
    """A boto3 session in the stack's region: auditing another region would report every service missing."""
    session = stack_session(args.project_dir, args.stack)
    for release in releases:
        arn_region = release.target_group_arn.split(":")[3] if release.target_group_arn.count(":") >= 5 else ""
        if arn_region and arn_region != session.region_name:
            raise CommandError(
                f"service {release.service} runs in {arn_region} (its target group ARN) "
                f"but the stack's region is {session.region_name} (aws:region of Pulumi.{args.stack}.yaml, else "
                f"the AWS configuration's): set aws:region: {arn_region}, or AWS_DEFAULT_REGION={arn_region}"
            )
    return session
