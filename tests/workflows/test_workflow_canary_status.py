"""The preview job's canary-status step, run as GitHub runs it, in a scratch git repository of the project.

It comments only on a pull request that finishes a canary of the job's stack, and never fails the check. With a
stand-in `pulumi` printing the stack's outputs and a real moto_server holding the load balancer's metrics, it posts
the verdict; without the Pulumi CLI it still posts what `fleetctl canary status` said. The verdicts themselves are
fleetctl's tests (tests/fleetctl/test_canary_status.py).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.fleetctl.canary_balancer import moto_balancer

PATH_WITHOUT_PULUMI = "/usr/bin:/bin"
WORKFLOW_PYTHON = ".venv/bin/python"
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "components/boot.sh", "images")
CANARY_REF = f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:{'c' * 64}"
CANARY = f'      canary:\n        image:\n          version: "1.1.0"\n          ref: {CANARY_REF}\n        weight: 10\n'


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


def commit(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "-c", "user.name=fleet tests", "-c", "user.email=fleet@example.com", "commit", "-q", "-m", message)


def copy_of(repository: Path, tmp_path: Path) -> Path:
    """A copy of a repository built once for the module, for one test to change (the step writes into it)."""
    return Path(shutil.copytree(repository, tmp_path / "project", symlinks=True))


@pytest.fixture(scope="module")
def first_commit(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's stack files and build contexts in a git repository: its first commit. Read-only: copy it."""
    project = tmp_path_factory.mktemp("first-commit") / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        source, target = repo_root / name, project / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    git(project, "init", "-q", "-b", "main")
    commit(project, "the project")
    return project


def add_canary(project: Path) -> None:
    """Prod's web gets a canary of 1.1.0, right after its image."""
    prod = project / "Pulumi.prod.yaml"
    text = prod.read_text()
    ref_line = next(line for line in text.splitlines(keepends=True) if line.startswith("        ref: "))
    prod.write_text(text.replace(ref_line, ref_line + CANARY))


def pull_request(project: Path, *changes: str) -> None:
    """Mark HEAD as the base branch (`origin/main`), then commit each change as the pull request's."""
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    for change in changes:
        if change == "start":
            add_canary(project)
        else:
            fleetctl = [sys.executable, "-m", "fleetctl", "canary", change, "prod"]
            subprocess.run(fleetctl, cwd=project, check=True, capture_output=True)
        commit(project, f"{change} the canary")


@pytest.fixture
def project(first_commit: Path, tmp_path: Path) -> Path:
    """The project's first commit, in this test's own repository."""
    return copy_of(first_commit, tmp_path)


@pytest.fixture(scope="module")
def finishing_pull_request(first_commit: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project with prod's web canary on the base branch, and a pull request finishing it. Read-only: copy it."""
    project = copy_of(first_commit, tmp_path_factory.mktemp("finishing"))
    add_canary(project)
    commit(project, "start the canary")
    pull_request(project, "finish")
    return project


@pytest.fixture
def finishing(finishing_pull_request: Path, tmp_path: Path) -> Path:
    """A pull request finishing prod's web canary, in this test's own repository."""
    return copy_of(finishing_pull_request, tmp_path)


@pytest.fixture
def run_step(preview: dict[str, Any], tmp_path: Path) -> Any:
    """Run the preview job's canary step for a stack in a repository: (result, step summary, step outputs, comment
    file or None)."""
    [step] = [step for step in preview["jobs"]["preview"]["steps"] if step.get("id") == "canary"]
    assert step["shell"] == "bash"
    assert WORKFLOW_PYTHON in step["run"]
    script = tmp_path / "canary.sh"
    script.write_text(step["run"].replace(WORKFLOW_PYTHON, shlex.quote(sys.executable)))

    def run(
        project: Path, stack: str, path: str = PATH_WITHOUT_PULUMI, **extra_environment: str
    ) -> tuple[subprocess.CompletedProcess[str], str, str, str | None]:
        summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
        summary.write_text("")
        outputs.write_text("")
        environment = {
            **extra_environment,
            "PATH": path,
            "HOME": str(tmp_path),
            "BASE_REF": "main",
            "STACK": stack,
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
        }
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        comment = project / "canary-status.md"
        return result, summary.read_text(), outputs.read_text(), comment.read_text() if comment.exists() else None

    return run


@pytest.fixture
def with_canary(project: Path) -> Path:
    """The project with prod's web canary on the base branch."""
    add_canary(project)
    commit(project, "start the canary")
    return project


def test_a_pull_request_finishing_a_canary_posts_the_status_of_that_stack(finishing, run_step):
    result, summary, outputs, comment = run_step(finishing, "prod")

    assert result.returncode == 0, result.stderr
    assert outputs == "comment=true\n"
    assert comment is not None
    assert comment.startswith(
        "## fleet: canary status of `prod` before its finish (exit code 2)\n\n- **web**: **canary finished**"
    )
    assert "fleetctl canary: the Pulumi CLI is not on PATH" in comment
    assert summary == comment


def test_a_pull_request_finishing_a_canary_posts_its_verdict_from_the_stacks_outputs_and_metrics(
    finishing, run_step, aws: boto3.Session, tmp_path: Path
):
    balancer = moto_balancer(aws)
    balancer.serve(balancer.canary_target_group_arn, requests=200, errors_5xx=1)
    balancer.serve(balancer.live_target_group_arn, requests=1800, errors_5xx=9)
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    stack_outputs = tmp_path / "prod-outputs.json"
    stack_outputs.write_text(json.dumps(balancer.outputs()))
    pulumi = stand_ins / "pulumi"
    pulumi.write_text(f"#!/bin/sh\nexec cat {shlex.quote(str(stack_outputs))}\n")  # `pulumi stack output --json`
    pulumi.chmod(0o755)

    aws_environment = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    result, summary, outputs, comment = run_step(
        finishing, "prod", f"{stand_ins}:{PATH_WITHOUT_PULUMI}", **aws_environment
    )

    assert result.returncode == 0, result.stderr
    assert outputs == "comment=true\n"
    assert comment is not None
    assert comment.startswith("## fleet: canary status of `prod` before its finish (exit code 0)\n")
    assert "verdict: healthy" in comment
    assert summary == comment


def test_the_other_stacks_job_posts_nothing(finishing, run_step):
    result, summary, outputs, comment = run_step(finishing, "staging")

    assert result.returncode == 0, result.stderr
    assert (summary, outputs, comment) == ("", "", None)
    assert "finishes no canary of staging" in result.stdout


def test_starting_a_canary_posts_nothing(project, run_step):
    pull_request(project, "start")

    result, _, outputs, comment = run_step(project, "prod")

    assert result.returncode == 0, result.stderr
    assert (outputs, comment) == ("", None)


def test_aborting_a_canary_posts_nothing(with_canary, run_step):
    pull_request(with_canary, "abort")

    result, _, outputs, comment = run_step(with_canary, "prod")

    assert result.returncode == 0, result.stderr
    assert (outputs, comment) == ("", None)
