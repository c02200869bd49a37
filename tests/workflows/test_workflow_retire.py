"""The scheduled retirement of warm releases (retire.yml): every 30 minutes, a stack with an overdue warm release gets
its last successful deploy re-applied, in the deploy jobs' concurrency group, never beside a deploy."""

from __future__ import annotations

from typing import Any

from fleet.timeouts import DEPLOY_JOB_MINUTES
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


def test_the_check_of_each_stack_names_the_deploy_job_whose_last_run_it_re_applies(workflows, deploy):
    steps = check_steps(workflows)

    assert set(steps) == set(STACKS)
    for stack, step in steps.items():
        assert step["env"]["STACK"] == stack
        assert step["env"]["DEPLOY_JOB"] == deploy["jobs"][stack]["name"]


def test_each_check_runs_with_its_stacks_read_only_audit_role(workflows):
    steps = workflows["retire.yml"]["jobs"]["overdue"]["steps"]
    for stack, step in check_steps(workflows).items():
        credentials = steps[steps.index(step) - 1]
        assert credentials["with"]["role-to-assume"] == f"${{{{ vars.AWS_AUDIT_ROLE_ARN_{stack.upper()} }}}}", stack


def test_the_check_job_reads_the_deploy_runs_and_nothing_more(workflows):
    job = workflows["retire.yml"]["jobs"]["overdue"]

    assert job["permissions"] == {"actions": "read", "contents": "read", "id-token": "write"}
    assert job["environment"] == {"name": "audit", "deployment": False}
