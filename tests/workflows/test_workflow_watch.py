"""Each stack's warm window is watched (`fleetctl watch --rollback`) by a job of its own after that stack's deploy job,
in its own concurrency group (a watch never blocks a deploy), and its step rolls back when run as GitHub runs it
against a real moto_server."""

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

from fleet.timeouts import DEPLOY_WATCH_MINUTES, GITHUB_JOB_LIMIT_MINUTES, WATCH_JOB_MINUTES
from tests.fleetctl.warm_fleet import STACK, warm_fleet
from tests.workflows.test_workflow_structure import pulumi_operations

WATCH = ".venv/bin/fleetctl watch"
WATCH_COMMAND = f'{WATCH} "$STACK" --rollback --for {DEPLOY_WATCH_MINUTES}'


def watch_step(job: dict[str, Any]) -> dict[str, Any]:
    [step] = [step for step in job["steps"] if WATCH in step.get("run", "")]
    return step


STACKS = {"staging": "staging", "prod": "prod"}


def test_each_stack_is_watched_by_its_own_job_after_its_deploy_job_with_rollback_for_the_watch_budget(deploy):
    for deploy_id in STACKS:
        job = deploy["jobs"][f"{deploy_id}-watch"]
        up, _ = pulumi_operations(deploy["jobs"][deploy_id])
        assert job["needs"] == deploy_id
        assert watch_step(job)["run"] == WATCH_COMMAND, deploy_id
        assert watch_step(job)["env"]["STACK"] == up["with"]["stack-name"], deploy_id


def test_no_deploy_job_watches(deploy):
    for deploy_id in STACKS:
        assert not [step for step in deploy["jobs"][deploy_id]["steps"] if WATCH in step.get("run", "")], deploy_id


def test_a_watch_job_holds_its_own_concurrency_group_and_a_newer_watch_cancels_it(deploy):
    for deploy_id, stack in STACKS.items():
        concurrency = deploy["jobs"][f"{deploy_id}-watch"]["concurrency"]
        assert concurrency == {"group": f"watch-{stack}", "cancel-in-progress": True}, deploy_id
        assert concurrency["group"] != deploy["jobs"][deploy_id]["concurrency"]["group"]


def test_prods_deploy_waits_for_stagings_deploy_not_for_its_watch(deploy):
    assert deploy["jobs"]["prod"]["needs"] == ["changes", "staging"]


def test_prods_watch_runs_without_an_approval_under_the_watch_role(deploy):
    job = deploy["jobs"]["prod-watch"]
    [credentials] = [step for step in job["steps"] if "configure-aws-credentials" in step.get("uses", "")]
    assert job["environment"] == "production-watch"
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_WATCH_ROLE_ARN_PROD }}"


def test_a_watch_jobs_timeout_covers_its_watch_within_githubs_job_limit(deploy):
    for deploy_id in STACKS:
        job = deploy["jobs"][f"{deploy_id}-watch"]
        assert DEPLOY_WATCH_MINUTES < job["timeout-minutes"] == WATCH_JOB_MINUTES <= GITHUB_JOB_LIMIT_MINUTES


def test_the_watch_reads_the_outputs_from_the_jobs_state_backend(deploy):
    for deploy_id in STACKS:
        env = watch_step(deploy["jobs"][f"{deploy_id}-watch"])["env"]
        assert env["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}", deploy_id
        assert env["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}", deploy_id


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
    script = watch_step(deploy["jobs"]["prod-watch"])["run"].replace(".venv/bin/fleetctl", shlex.join(fleetctl))

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
