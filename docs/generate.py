"""Regenerates what the pages under docs/ show from code: the reference pages, and the samples of what commands print.

    .venv/bin/python docs/generate.py           # rewrite every generated page and sample
    .venv/bin/python docs/generate.py --check   # exit 1 when one is stale (tests/test_docs.py does the same)

The configuration and outputs references are rendered by `fleet.reference`; the index and the README list every page
under docs/, so a new page shows up there once this runs. A sample is the output of the real
command on a scratch project, written between `<!-- generated: NAME -->` and `<!-- end: NAME -->` in a page: the
diff sample runs `fleetctl diff` on a git repository this script makes, the canary status sample runs `fleetctl
canary status`'s own rendering and verdict on the numbers given here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fleet import reference
from fleet.outputs import DeployedRelease, WarmRelease
from fleetctl.canary_metrics import TargetGroupMetrics, judge
from fleetctl.cli import main as fleetctl
from fleetctl.commands import status as status_command
from fleetctl.commands.canary import Canary, CanaryStatus, render
from fleetctl.commands.status import Health, Role, ServiceStatus, Traffic
from fleetctl.traffic import Forward
from fleetctl.warm import Window

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

SAMPLE_STAGING = """\
config:
  aws:region: eu-west-1
  fleet:services:
    web:
      image:
        version: "{version}"
        build: images/web
      hostImage: ami-0123456789abcdef0
      capacity: {{min: 2, desired: 2, max: {max}}}
"""
SAMPLE_PROD = """\
config:
  aws:region: eu-west-1
  fleet:promotion:
    from: staging
  fleet:services:
    web:
      image:
        version: "1.0.0"
        ref: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:{digest}
      hostImage: ami-0123456789abcdef0
"""
SAMPLE_FILES = {
    "Pulumi.yaml": "name: fleet\nruntime: python\n",
    "Pulumi.prod.yaml": SAMPLE_PROD.format(digest="0" * 64),
    "components/boot.sh": "#!/usr/bin/env bash\nset -euo pipefail\n",
    "images/web/Dockerfile": "FROM python:3.11-slim\n",
}


def diff_sample() -> str:
    """What `fleetctl diff main~1 HEAD` prints after a commit that moves staging's web from 1.0.0 to 1.1.0 and its
    capacity.max from 6 to 10, in a scratch git repository."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        environment = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

        def git(*args: str) -> None:
            identity = ["-c", "user.name=fleet docs", "-c", "user.email=docs@example.com"]
            subprocess.run(["git", *identity, *args], cwd=root, env=environment, check=True, capture_output=True)

        for path, text in SAMPLE_FILES.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        (root / "Pulumi.staging.yaml").write_text(SAMPLE_STAGING.format(version="1.0.0", max=6))
        git("init", "-q", "-b", "main")
        git("add", "-A")
        git("commit", "-q", "-m", "staging runs web 1.0.0")
        (root / "Pulumi.staging.yaml").write_text(SAMPLE_STAGING.format(version="1.1.0", max=10))
        git("commit", "-q", "-am", "web 1.1.0, up to 10 hosts")
        return _printed(fleetctl, ["--project-dir", str(root), "diff", "main~1", "HEAD"])


def _printed(command: Callable[[list[str]], int], argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        command(argv)
    return out.getvalue().rstrip("\n")


def canary_status_sample() -> str:
    """What `fleetctl canary status` prints for a canary with the (illustrative) numbers given here."""
    canary = Canary(
        service="web",
        release_id="4c1d2e3f5a6b",
        version="1.5.0",
        weight=10,
        target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-canary-tg/1",
        live_release_id="9a8b7c6d5e4f",
        live_version="1.4.2",
        live_target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/2",
    )
    canary_metrics = TargetGroupMetrics(requests=1210, errors_5xx=2, p99_seconds=0.182)
    live_metrics = TargetGroupMetrics(requests=10890, errors_5xx=14, p99_seconds=0.171)
    status = CanaryStatus(canary, 30, canary_metrics, live_metrics, judge(canary_metrics, live_metrics))
    return render([status])


def status_sample() -> str:
    """What `fleetctl status prod` prints for a service 20 minutes after a release, its previous release warm."""
    arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/{}/1"
    live = DeployedRelease(
        release_id="4c1d2e3f5a6b", version="1.5.0", slot="b", since="2026-12-02T01:00:00Z", asg_name="web-b"
    )
    warm = WarmRelease(
        release_id="9a8b7c6d5e4f",
        version="1.4.2",
        slot="a",
        asg_name="web-a",
        desired=4,
        warm_since="2026-12-02T01:00:00Z",
        retires_at="2026-12-02T02:00:00Z",
    )
    now = datetime(2026, 12, 2, 1, 20, tzinfo=UTC)
    status = ServiceStatus(
        stack="prod",
        service="web",
        live=Role("live", live, arn.format("web-tgb"), Health(desired=4, healthy=4)),
        warm=Role("warm", warm, arn.format("web-tg"), Health(desired=4, healthy=4)),
        window=Window.of(warm, now, "services.web.warm"),
        canary=None,
        previous=warm,
        no_previous="",
        traffic=Traffic("arn:...:listener-rule/app/fleet/1/2/3", (Forward(arn.format("web-tgb"), 100),)),
    )
    return status_command.render([status], now)


QUESTIONS = {
    "configuration.md": "every key: its default, what is allowed, what it does (generated)",
    "outputs.md": "the stack outputs the program exports and fleetctl reads (generated)",
    "operations.md": "releases, the failure path, rollback, canaries, audit, retention, teardown",
    "ci-and-iam.md": "the workflows, the roles and the policies; the policy pack",
    "internals.md": "the engine and provider rules fleet relies on, with citations; the code's layout",
    "topology.md": "hostnames on shared listeners, certificates and DNS",
    "cross-account.md": "prod in its own account and region: how it pulls staging's images",
    "fleetctl.md": "what each fleetctl command checks and prints, and its exit codes",
    "limits.md": "the names, values and timeouts fleet derives from AWS's limits, and why",
    "warm-rollback.md": "the warm window, rollback by a switch, canary finish without a boot, automatic rollback",
}
"""The question each page answers, in the order the README and the index list them; a page not named here comes
after them, by its title. A page is listed only once it exists."""


def _pages() -> list[Path]:
    order = list(QUESTIONS)
    pages = [page for page in DOCS.glob("*.md") if page.name != "index.md"]
    return sorted(pages, key=lambda page: (order.index(page.name) if page.name in order else len(order), page.name))


def _title(page: Path) -> str:
    return next((line[2:].strip() for line in page.read_text().splitlines() if line.startswith("# ")), page.stem)


def page_index() -> str:
    """A link to every page under docs/ but the index, by its title, with the question it answers."""
    return "\n".join(
        f"- [{_title(page)}]({page.name}): {QUESTIONS.get(page.name, _title(page).lower())}" for page in _pages()
    )


def readme_pages() -> str:
    """The README's table of the pages under docs/."""
    rows = [f"| [docs/{page.name}](docs/{page.name}) | {QUESTIONS.get(page.name, _title(page))} |" for page in _pages()]
    return "\n".join(
        ["| page | the question it answers |", "|---|---|", *rows, "| [docs/index.md](docs/index.md) | every page |"]
    )


SAMPLES: dict[str, tuple[str, Callable[[], str], bool]] = {
    "diff-sample": ("docs/operations.md", diff_sample, True),
    "canary-status-sample": ("docs/operations.md", canary_status_sample, True),
    "status-sample": ("docs/fleetctl.md", status_sample, True),
    "pages": ("docs/index.md", page_index, False),
    "readme-pages": ("README.md", readme_pages, False),
}
"""Each sample: the page it is in, what makes it, and whether it is shown as a block of text."""


def with_sample(page: str, name: str, text: str, fenced: bool = True) -> str:
    """`page` with the sample `name` replaced by `text` (in a fenced block, or as Markdown); the markers must be
    there."""
    pattern = re.compile(rf"(<!-- generated: {name} -->\n).*?(<!-- end: {name} -->)", re.DOTALL)
    if not pattern.search(page):
        raise ValueError(f"no <!-- generated: {name} --> ... <!-- end: {name} --> in the page")
    shown = f"```text\n{text}\n```" if fenced else text
    return pattern.sub(lambda match: f"{match[1]}{shown}\n{match[2]}", page, count=1)


def expected_pages() -> dict[Path, str]:
    """Every generated page, and every page holding a sample, as it should read."""
    pages = {DOCS / "configuration.md": reference.configuration_page(), DOCS / "outputs.md": reference.outputs_page()}
    for name, (page, make, fenced) in SAMPLES.items():
        path = ROOT / page
        pages[path] = with_sample(pages.get(path) or path.read_text(), name, make(), fenced)
    return pages


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="docs/generate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a page is stale, writing nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    missing = reference.missing_descriptions()
    for item in missing:
        print(f"missing description: {item}", file=sys.stderr)
    stale = {path: text for path, text in expected_pages().items() if not path.is_file() or path.read_text() != text}
    for path, text in stale.items():
        if args.check:
            print(f"{path.relative_to(ROOT)} is stale: run .venv/bin/python docs/generate.py", file=sys.stderr)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 1 if missing or (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
