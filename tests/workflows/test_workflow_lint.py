"""The workflows and Dependabot's config pass their schemas and zizmor; both gates reject a known-bad workflow."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

# zizmor's most inclusive persona: every audit, including the ones that may be false positives. A finding that
# cannot be fixed is silenced in the workflow itself with `# zizmor: ignore[<audit>]` and a comment saying why.
ZIZMOR_ARGS = ("--offline", "--persona=auditor", "--no-progress", "--color=never")

# Unpinned action, checkout that keeps its token, and a pull request title expanded into a shell script.
BAD_WORKFLOW = """\
name: bad
on: pull_request
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def check_jsonschema(
    tool: Callable[[str], str], paths: list[Path], schema: str = "vendor.github-workflows"
) -> subprocess.CompletedProcess[str]:
    return run(tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths))


def zizmor(tool: Callable[[str], str], paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return run(tool("zizmor"), *ZIZMOR_ARGS, *map(str, paths))


def test_every_workflow_matches_the_github_workflow_schema(
    tool: Callable[[str], str], workflow_paths: list[Path]
) -> None:
    result = check_jsonschema(tool, workflow_paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_config_matches_its_schema(tool: Callable[[str], str], dependabot_path: Path) -> None:
    result = check_jsonschema(tool, [dependabot_path], schema="vendor.dependabot")
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_job_without_runs_on(tool: Callable[[str], str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BAD_WORKFLOW.replace("    runs-on: ubuntu-latest\n", ""))
    assert check_jsonschema(tool, [broken]).returncode != 0


def test_zizmor_reports_nothing_on_any_workflow_or_the_dependabot_config(
    tool: Callable[[str], str], workflow_paths: list[Path], dependabot_path: Path
) -> None:
    result = zizmor(tool, [*workflow_paths, dependabot_path])
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_gate_fails_on_an_unpinned_action_a_persisted_token_and_template_injection(
    tool: Callable[[str], str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW)
    result = zizmor(tool, [bad])
    assert result.returncode != 0
    for audit in ("unpinned-uses", "artipacked", "template-injection"):
        assert f"[{audit}]" in result.stdout, result.stdout
