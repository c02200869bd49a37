"""Each deploy job watches its stack's warm window after its updates (`fleetctl watch --rollback`), in the job that
holds the stack's concurrency group, and its step rolls back when run as GitHub runs it against a real moto_server."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from fleet.timeouts import DEPLOY_WATCH_MINUTES
from tests.fleetctl.warm_fleet import STACK, warm_fleet
from tests.workflows.test_workflow_structure import pulumi_operations

WATCH = ".venv/bin/fleetctl watch"
WATCH_COMMAND = f'{WATCH} "$STACK" --rollback --for {DEPLOY_WATCH_MINUTES}'


def watch_step(job: dict[str, Any]) -> dict[str, Any]:
    [step] = [step for step in job["steps"] if WATCH in step.get("run", "")]
    return step


def index_of(job: dict[str, Any], step: dict[str, Any]) -> int:
    return next(index for index, candidate in enumerate(job["steps"]) if candidate is step)


def test_each_deploy_job_watches_its_own_stack_with_rollback_for_the_watch_budget(deploy):
    for job_id in ("staging", "prod"):
        job = deploy["jobs"][job_id]
        step = watch_step(job)
        up, _ = pulumi_operations(job)
        assert step["run"] == WATCH_COMMAND, job_id
        assert step["env"]["STACK"] == up["with"]["stack-name"], job_id


def test_the_watch_runs_after_the_last_pulumi_up_of_its_job_and_before_its_audit(deploy):
    for job_id in ("staging", "prod"):
        job = deploy["jobs"][job_id]
        _, settle = pulumi_operations(job)
        [audit] = [step for step in job["steps"] if "fleetctl audit" in step.get("run", "")]
        assert index_of(job, settle) < index_of(job, watch_step(job)) < index_of(job, audit), job_id


def test_the_watch_reads_the_outputs_from_the_jobs_state_backend(deploy):
    for job_id in ("staging", "prod"):
        env = watch_step(deploy["jobs"][job_id])["env"]
        assert env["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}", job_id
        assert env["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}", job_id


def test_the_watch_step_run_as_github_runs_it_switches_a_service_whose_alarm_fired(
    deploy, aws: boto3.Session, tmp_path: Path, repo_root: Path
):
    fleet = warm_fleet(aws)
    fleet.set_alarm("target-5xx-rate", "ALARM")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(fleet.outputs(datetime.now(UTC) + timedelta(minutes=30))))
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    pulumi = stand_ins / "pulumi"
    pulumi.write_text(f"#!/bin/sh\nexec cat {shlex.quote(str(outputs))}\n")  # `pulumi stack output --json`
    pulumi.chmod(0o755)
    fleetctl = [sys.executable, "-m", "fleetctl"]
    script = watch_step(deploy["jobs"]["prod"])["run"].replace(".venv/bin/fleetctl", shlex.join(fleetctl))

    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo_root,
        env={**os.environ, "PATH": f"{stand_ins}:/usr/bin:/bin", "STACK": STACK},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stderr
    assert "web: rolled back to" in result.stdout.splitlines()[-1]
    assert fleet.forwarded_to() == {fleet.warm.target_group_arn}
