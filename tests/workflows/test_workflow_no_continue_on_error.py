"""No workflow runs Pulumi with `--continue-on-error`: after a failed step it goes on, and can run deletes (of a
serving ASG among them) that a failed update would have held back.

The flag reaches the CLI as `--continue-on-error` in a script, as `PULUMI_CONTINUE_ON_ERROR` in the environment
(pulumi/pulumi pkg/cmd/pulumi/operations/up.go and destroy.go read `env.ContinueOnError`), or as an input of the
Pulumi action. GitHub's own `continue-on-error` on a Pulumi step or its job would also let a failed update pass.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from ruamel.yaml import YAML

PULUMI_ACTION = "pulumi/actions@"
CONTINUE_ON_ERROR = re.compile(r"continue[-_]?on[-_]?error", re.IGNORECASE)


def runs_pulumi(step: dict[str, Any]) -> bool:
    return str(step.get("uses", "")).startswith(PULUMI_ACTION) or "pulumi" in str(step.get("run", ""))


def continue_on_error_uses(workflow: dict[str, Any]) -> list[str]:
    """Every place in `workflow` where a Pulumi run could go on after a failure, as `job:step: where`."""
    found = [f"workflow env: {key}" for key in workflow.get("env", {}) if CONTINUE_ON_ERROR.search(key)]
    for job_id, job in workflow.get("jobs", {}).items():
        steps = job.get("steps", [])
        pulumi_job = any(runs_pulumi(step) for step in steps)
        if pulumi_job and "continue-on-error" in job:
            found.append(f"{job_id}: job continue-on-error")
        found += [f"{job_id}: job env {key}" for key in job.get("env", {}) if CONTINUE_ON_ERROR.search(key)]
        for index, step in enumerate(steps):
            where = f"{job_id}:{step.get('name', index)}"
            if runs_pulumi(step) and "continue-on-error" in step:
                found.append(f"{where}: step continue-on-error")
            found += [f"{where}: env {key}" for key in step.get("env", {}) if CONTINUE_ON_ERROR.search(key)]
            found += [f"{where}: with {key}" for key in step.get("with", {}) if CONTINUE_ON_ERROR.search(key)]
            found += [
                f"{where}: {value}" for value in step.get("with", {}).values() if "--continue-on-error" in str(value)
            ]
            if "--continue-on-error" in str(step.get("run", "")):
                found.append(f"{where}: run --continue-on-error")
    return found


def test_no_workflow_lets_a_pulumi_run_continue_after_an_error(workflows: dict[str, dict[str, Any]]) -> None:
    assert workflows
    found = {name: continue_on_error_uses(workflow) for name, workflow in workflows.items()}
    assert {name: places for name, places in found.items() if places} == {}


UP = "      - uses: pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d\n        with:\n          command: up\n"


@pytest.mark.parametrize(
    "step",
    [
        UP + "        continue-on-error: true\n",
        UP + "          continue-on-error: true\n",
        UP + "        env:\n          PULUMI_CONTINUE_ON_ERROR: 'true'\n",
        "      - run: pulumi up --yes --continue-on-error --stack prod\n",
    ],
    ids=["github-step", "action-input", "environment", "cli-flag"],
)
def test_the_check_finds_each_way_of_continuing_on_error(step: str) -> None:
    workflow = YAML(typ="safe", pure=True).load(
        f"on: push\njobs:\n  prod:\n    runs-on: ubuntu-latest\n    steps:\n{step}"
    )

    assert continue_on_error_uses(workflow) != []
