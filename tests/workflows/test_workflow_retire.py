"""The scheduled retirement of warm releases (retire.yml): every 30 minutes, a stack with an overdue warm release gets
its last successful deploy re-applied, in the deploy jobs' concurrency group, never beside a deploy."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from fleet.timeouts import DEPLOY_JOB_MINUTES
from tests.fleetctl.warm_fleet import STACK, warm_fleet
from tests.workflows.test_workflow_structure import pulumi_operations

STACKS = ("staging", "prod")
CHECK = "bash .github/scripts/retire-check.sh"


def test_it_runs_every_30_minutes_and_by_hand(workflows):
    retire = workflows["retire.yml"]

    assert retire["on"]["schedule"] == [{"cron": "7,37 * * * *"}]
    assert "workflow_dispatch" in retire["on"]


def test_each_stacks_update_runs_in_its_deploy_jobs_concurrency_group(workflows, deploy):
    retire = workflows["retire.yml"]
    for stack in STACKS:
        assert retire["jobs"][stack]["concurrency"] == deploy["jobs"][stack]["concurrency"], stack


def test_each_stacks_update_is_its_deploys_first_pulumi_up_with_the_policy_pack(workflows, deploy):
    retire = workflows["retire.yml"]
    for stack in STACKS:
        [retirement] = pulumi_operations(retire["jobs"][stack])
        deployed, _ = pulumi_operations(deploy["jobs"][stack])
        for key in ("command", "stack-name", "policyPacks", "cloud-url"):
            assert retirement["with"][key] == deployed["with"][key], (stack, key)


def test_each_stacks_update_outlasts_the_longest_update_the_config_allows(workflows):
    for stack in STACKS:
        assert workflows["retire.yml"]["jobs"][stack]["timeout-minutes"] >= DEPLOY_JOB_MINUTES, stack


def check_steps(workflows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    steps = workflows["retire.yml"]["jobs"]["overdue"]["steps"]
    return {step["id"]: step for step in steps if step.get("run") == CHECK}


def test_the_check_of_each_stack_names_the_deploy_job_whose_last_run_it_re_applies_and_its_watch_job(workflows, deploy):
    steps = check_steps(workflows)

    assert set(steps) == set(STACKS)
    for stack, step in steps.items():
        assert step["env"]["STACK"] == stack
        assert step["env"]["DEPLOY_JOB"] == deploy["jobs"][stack]["name"]
        assert step["env"]["WATCH_JOB"] == deploy["jobs"][f"{stack}-watch"]["name"]


def test_each_check_runs_with_its_stacks_read_only_audit_role(workflows):
    steps = workflows["retire.yml"]["jobs"]["overdue"]["steps"]
    for stack, step in check_steps(workflows).items():
        credentials = steps[steps.index(step) - 1]
        assert credentials["with"]["role-to-assume"] == f"${{{{ vars.AWS_AUDIT_ROLE_ARN_{stack.upper()} }}}}", stack


def test_the_check_job_reads_the_deploy_runs_and_nothing_more(workflows):
    job = workflows["retire.yml"]["jobs"]["overdue"]

    assert job["permissions"] == {"actions": "read", "contents": "read", "id-token": "write"}
    assert job["environment"] == {"name": "audit", "deployment": False}


SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "scripts" / "retire-check.sh"
DEPLOY_JOB = "pulumi up (prod)"
WATCH_JOB = "watch the warm window (prod)"
JQ = shutil.which("jq")

# A stand-in `gh api` answering from the runs and jobs a test gives (GitHub's REST shapes), its --jq applied by the
# real jq, as gh applies gojq.
GH_SCRIPT = """\
#!{python}
import json, pathlib, subprocess, sys
here = pathlib.Path(__file__).parent
github = json.loads((here / "github.json").read_text())
args = sys.argv[2:]
fields = dict(args[i + 1].split("=", 1) for i, arg in enumerate(args) if arg == "-f")
path = next(arg for arg in args if arg.startswith("repos/"))
if path.endswith("/jobs"):
    answer = {{"jobs": github["jobs"].get(path.split("/")[-2], [])}}
elif fields.get("status") == "completed":
    answer = {{"workflow_runs": github["runs"]}}
else:
    answer = {{"total_count": github["busy"].get(fields["status"], 0)}}
with open(here / "calls.log", "a") as log:
    log.write(path + "\\n")
query = args[args.index("--jq") + 1]
sys.stdout.write(subprocess.run(["jq", "-r", query], input=json.dumps(answer), capture_output=True, text=True,
                                check=True).stdout)
"""


@dataclass
class Check:
    result: subprocess.CompletedProcess[str]
    output: str
    gh_calls: list[str]


@pytest.fixture
def run_check(aws: boto3.Session, tmp_path: Path) -> Callable[..., Check]:
    """Run retire-check.sh for prod as the overdue job runs it: fleetctl status on the stack's outputs (a stand-in
    `pulumi stack output`) against moto, the Deploy runs from a stand-in `gh`."""
    fleet = warm_fleet(aws)
    project, bin_dir = tmp_path / "project", tmp_path / "bin"
    (project / ".venv" / "bin").mkdir(parents=True)
    bin_dir.mkdir()
    (project / ".venv" / "bin" / "python").symlink_to(sys.executable)
    fleetctl = project / ".venv" / "bin" / "fleetctl"
    fleetctl.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m fleetctl "$@"\n')
    fleetctl.chmod(0o755)
    outputs = tmp_path / "outputs.json"
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(f"#!/bin/sh\nexec cat {shlex.quote(str(outputs))}\n")  # `pulumi stack output --json`
    pulumi.chmod(0o755)
    gh = bin_dir / "gh"
    gh.write_text(GH_SCRIPT.format(python=sys.executable))
    gh.chmod(0o755)

    def run(
        *,
        retires_in: timedelta,
        runs: list[dict[str, Any]],
        jobs: dict[str, list[dict[str, Any]]],
        busy: dict[str, int] | None = None,
    ) -> Check:
        outputs.write_text(json.dumps(fleet.outputs(datetime.now(UTC) + retires_in)))
        (bin_dir / "github.json").write_text(json.dumps({"runs": runs, "jobs": jobs, "busy": busy or {}}))
        github_output = tmp_path / "github-output"
        github_output.write_text("")
        environment = {
            **os.environ,
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "STACK": STACK,
            "DEPLOY_JOB": DEPLOY_JOB,
            "WATCH_JOB": WATCH_JOB,
            "GITHUB_REPOSITORY": "acme/fleet",
            "GITHUB_OUTPUT": str(github_output),
        }
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(SCRIPT)],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        log = bin_dir / "calls.log"
        calls = log.read_text().splitlines() if log.exists() else []
        return Check(result, github_output.read_text(), calls)

    return run


def deploy_run(run_id: int, sha: str) -> dict[str, Any]:
    return {"id": run_id, "head_sha": sha}


def prod_job(conclusion: str, watch: str = "success") -> list[dict[str, Any]]:
    return [
        {"name": "pulumi up (staging)", "conclusion": "success"},
        {"name": DEPLOY_JOB, "conclusion": conclusion},
        {"name": WATCH_JOB, "conclusion": watch},
    ]


OVERDUE = timedelta(minutes=-5)
SHA_NEW, SHA_OLD = "1" * 40, "2" * 40


@pytest.mark.skipif(JQ is None, reason="the stand-in gh applies --jq with jq")
def test_an_overdue_warm_release_re_applies_the_commit_the_last_successful_deploy_job_ran(run_check):
    check = run_check(retires_in=OVERDUE, runs=[deploy_run(7, SHA_NEW)], jobs={"7": prod_job("success")})

    assert check.result.returncode == 0, check.result.stderr
    assert check.output == f"sha={SHA_NEW}\n"


@pytest.mark.skipif(JQ is None, reason="the stand-in gh applies --jq with jq")
def test_runs_that_skipped_the_stacks_deploy_job_are_passed_over(run_check):
    runs = [deploy_run(8, SHA_NEW), deploy_run(7, SHA_OLD)]

    check = run_check(retires_in=OVERDUE, runs=runs, jobs={"8": prod_job("skipped"), "7": prod_job("success")})

    assert check.output == f"sha={SHA_OLD}\n"


@pytest.mark.skipif(JQ is None, reason="the stand-in gh applies --jq with jq")
def test_a_stack_whose_last_deploy_job_failed_is_not_retired(run_check):
    check = run_check(retires_in=OVERDUE, runs=[deploy_run(7, SHA_NEW)], jobs={"7": prod_job("failure")})

    assert check.result.returncode == 0, check.result.stderr
    assert check.output == "sha=\n"
    assert "its last deploy job did not succeed (failure): not retiring" in check.result.stdout


@pytest.mark.skipif(JQ is None, reason="the stand-in gh applies --jq with jq")
def test_a_stack_whose_last_deploys_watch_failed_is_not_retired(run_check):
    check = run_check(retires_in=OVERDUE, runs=[deploy_run(7, SHA_NEW)], jobs={"7": prod_job("success", "failure")})

    assert check.result.returncode == 0, check.result.stderr
    assert check.output == "sha=\n"
    assert "its last deploy's watch failed (it rolled back, or could not): not retiring" in check.result.stdout


@pytest.mark.skipif(JQ is None, reason="the stand-in gh applies --jq with jq")
def test_nothing_is_retired_while_a_deploy_run_is_under_way(run_check):
    check = run_check(
        retires_in=OVERDUE, runs=[deploy_run(7, SHA_NEW)], jobs={"7": prod_job("success")}, busy={"in_progress": 1}
    )

    assert check.output == "sha=\n"
    assert "a Deploy run is under way" in check.result.stdout


def test_a_warm_release_in_its_window_retires_nothing_and_asks_github_nothing(run_check):
    check = run_check(retires_in=timedelta(minutes=30), runs=[], jobs={})

    assert check.result.returncode == 0, check.result.stderr
    assert (check.output, check.gh_calls) == ("sha=\n", [])
    assert "prod: no warm release past its window" in check.result.stdout


def test_the_check_script_passes_shellcheck(tool):
    result = subprocess.run([tool("shellcheck"), "--shell=bash", str(SCRIPT)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout
