"""The workflows and Dependabot's config pass their schemas and zizmor; both gates reject a known-bad workflow.

check-jsonschema is a Python command of this virtualenv: its own command runs here in-process (its import costs more
than all the checks, and no test here is about its process). zizmor is a binary and runs as one.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import check_jsonschema

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


def schema_check(paths: list[Path], schema: str = "vendor.github-workflows") -> tuple[int, str]:
    """`check-jsonschema --builtin-schema SCHEMA PATHS`, as its console script runs it: exit code and output."""
    with contextlib.redirect_stdout(io.StringIO()) as output, contextlib.redirect_stderr(output):
        try:
            check_jsonschema.main(["--builtin-schema", schema, *map(str, paths)])
        except SystemExit as exit_:
            return int(exit_.code or 0), output.getvalue()
    raise AssertionError("check-jsonschema returned without an exit code")


def zizmor(tool: Callable[[str], str], paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return run(tool("zizmor"), *ZIZMOR_ARGS, *map(str, paths))


def test_every_workflow_matches_the_github_workflow_schema(workflow_paths: list[Path]) -> None:
    code, output = schema_check(workflow_paths)
    assert code == 0, output


def test_dependabot_config_matches_its_schema(dependabot_path: Path) -> None:
    code, output = schema_check([dependabot_path], schema="vendor.dependabot")
    assert code == 0, output


def test_schema_check_rejects_a_job_without_runs_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BAD_WORKFLOW.replace("    runs-on: ubuntu-latest\n", ""))
    assert schema_check([broken])[0] != 0


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
