"""The audit step's script, run as GitHub runs it: fleetctl's report goes to the step summary, its exit code fails
the step. All audit steps run the same script (checked in test_workflow_structure.py).

Here the Pulumi CLI is not on PATH, so fleetctl really fails (exit 2) before it reads any stack output; the finding
path (exit 1) needs `pulumi stack output` and is covered by fleetctl's own tests, not here.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PATH_WITHOUT_PULUMI = "/usr/bin:/bin"
WORKFLOW_PYTHON = ".venv/bin/python"  # the virtualenv the workflows create (test_workflow_structure.py checks it)

AuditRun = Callable[[str], subprocess.CompletedProcess[str]]


def environment(stack: str, summary: Path) -> dict[str, str]:
    assert shutil.which("pulumi", path=PATH_WITHOUT_PULUMI) is None
    return {"PATH": PATH_WITHOUT_PULUMI, "STACK": stack, "GITHUB_STEP_SUMMARY": str(summary)}


@pytest.fixture
def summary(tmp_path: Path) -> Path:
    """The step summary file; earlier steps (e.g. the Pulumi action's summary) may already have written to it."""
    path = tmp_path / "step_summary.md"
    path.write_text("earlier step\n")
    return path


@pytest.fixture
def run_audit_step(deploy: dict[str, Any], repo_root: Path, summary: Path, tmp_path: Path) -> AuditRun:
    """Run the staging job's audit step with GitHub's `shell: bash` flags, in the checkout, for a stack."""
    [step] = [step for step in deploy["jobs"]["staging"]["steps"] if "fleetctl audit" in step.get("run", "")]
    assert step["shell"] == "bash"
    script = tmp_path / "audit.sh"
    # This test's interpreter stands in for the runner's virtualenv, wherever it lives.
    assert WORKFLOW_PYTHON in step["run"]
    script.write_text(step["run"].replace(WORKFLOW_PYTHON, shlex.quote(sys.executable)))

    def run(stack: str) -> subprocess.CompletedProcess[str]:
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        return subprocess.run(
            command, cwd=repo_root, env=environment(stack, summary), capture_output=True, text=True, timeout=60
        )

    return run


@pytest.fixture(scope="module")
def fleetctl_answers(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """fleetctl's own answer for each stack in the same environment (read-only, run once per module): what the step
    must pass on, whatever its wording."""
    summary = tmp_path_factory.mktemp("fleetctl") / "step_summary.md"
    return {
        stack: subprocess.run(
            [sys.executable, "-m", "fleetctl", "audit", "--stack", stack],
            cwd=repo_root,
            env=environment(stack, summary),
            capture_output=True,
            text=True,
            timeout=60,
        )
        for stack in ("staging", "prod")
    }


@pytest.fixture
def run_fleetctl(fleetctl_answers: dict[str, Any]) -> AuditRun:
    """fleetctl's own answer for a stack."""
    return fleetctl_answers.__getitem__


def test_audit_step_fails_with_fleetctl_exit_code(run_audit_step: AuditRun, run_fleetctl: AuditRun) -> None:
    expected = run_fleetctl("staging").returncode
    assert expected == 2
    assert run_audit_step("staging").returncode == expected


def test_audit_step_appends_the_report_to_the_step_summary_under_the_stack_and_exit_code(
    run_audit_step: AuditRun, run_fleetctl: AuditRun, summary: Path
) -> None:
    report = run_fleetctl("prod")
    assert "Pulumi CLI" in report.stderr
    run_audit_step("prod")
    assert summary.read_text() == (
        f"earlier step\n### fleetctl audit --stack prod: exit code 2\n\n```\n{report.stdout}{report.stderr}```\n"
    )


def test_audit_step_prints_the_report_in_the_job_log(run_audit_step: AuditRun, run_fleetctl: AuditRun) -> None:
    report = run_fleetctl("staging")
    assert run_audit_step("staging").stdout == report.stdout + report.stderr
