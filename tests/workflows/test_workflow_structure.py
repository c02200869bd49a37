"""The guarantees the workflows are written for, read from the parsed YAML (nothing here runs GitHub)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

PULUMI_ACTION = "pulumi/actions"
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
CHECKOUT_ACTION = "actions/checkout"
STICKY_COMMENT_ACTION = "marocchino/sticky-pull-request-comment"
INSTALL_REQUIREMENTS = "python -m venv .venv && .venv/bin/pip install -r requirements.txt"
# owner/repo[/path]@<40 hex> # v<version>
PINNED_USES = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}  # v\d+(?:\.\d+)*$")
EXPRESSION = re.compile(r"\$\{\{")

Job = dict[str, Any]
Step = dict[str, Any]


def jobs_of(workflows: dict[str, dict[str, Any]]) -> list[tuple[str, Job]]:
    return [
        (f"{name}:{job_id}", job) for name, workflow in workflows.items() for job_id, job in workflow["jobs"].items()
    ]


def uses(step: Step, action: str) -> bool:
    return str(step.get("uses", "")).startswith(f"{action}@")


def steps_using(job: Job, action: str) -> list[Step]:
    return [step for step in job.get("steps", []) if uses(step, action)]


def only_step_using(job: Job, action: str) -> Step:
    [step] = steps_using(job, action)
    return step


def comments_on_pull_request(job: Job) -> bool:
    pulumi_comments = any(step["with"].get("comment-on-pr") is True for step in steps_using(job, PULUMI_ACTION))
    return pulumi_comments or bool(steps_using(job, STICKY_COMMENT_ACTION))


def write_scopes(permissions: dict[str, str]) -> set[str]:
    return {scope for scope, access in permissions.items() if access == "write"}


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment(
    workflow_paths: list[Path],
) -> None:
    lines = [line for path in workflow_paths for line in path.read_text().splitlines() if "uses:" in line]
    assert lines
    assert [line for line in lines if not PINNED_USES.match(line)] == []


def test_pr_preview_matrix_covers_staging_and_prod(preview: dict[str, Any]) -> None:
    assert {entry["stack"] for entry in preview["jobs"]["preview"]["strategy"]["matrix"]["include"]} == {
        "staging",
        "prod",
    }


def test_pr_preview_runs_pulumi_preview_with_diff_and_updates_its_pr_comment(preview: dict[str, Any]) -> None:
    assert "pull_request" in preview["on"]
    step = only_step_using(preview["jobs"]["preview"], PULUMI_ACTION)
    assert step["with"]["command"] == "preview"
    assert step["with"]["stack-name"] == "${{ matrix.stack }}"
    assert step["with"]["diff"] is True
    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["edit-pr-comment"] is True


def test_pr_preview_assumes_the_role_of_the_stack_it_previews(preview: dict[str, Any]) -> None:
    job = preview["jobs"]["preview"]
    roles = {entry["stack"]: entry["aws-role"] for entry in job["strategy"]["matrix"]["include"]}
    assert roles == {"staging": "${{ vars.AWS_ROLE_ARN_STAGING }}", "prod": "${{ vars.AWS_ROLE_ARN_PROD }}"}
    assert only_step_using(job, AWS_CREDENTIALS_ACTION)["with"]["role-to-assume"] == "${{ matrix.aws-role }}"


def test_release_summary_diffs_against_the_base_branch_and_publishes_the_result(preview: dict[str, Any]) -> None:
    job = preview["jobs"]["release-summary"]
    assert only_step_using(job, CHECKOUT_ACTION)["with"]["fetch-depth"] == 0
    [summary] = [step for step in job["steps"] if "fleetctl diff" in step.get("run", "")]
    assert summary["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert '.venv/bin/python -m fleetctl diff "origin/${BASE_REF}" HEAD > release-summary.md' in summary["run"]
    assert 'cat release-summary.md >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    assert only_step_using(job, STICKY_COMMENT_ACTION)["with"]["path"] == "release-summary.md"


def test_staging_is_updated_on_every_push_to_main(deploy: dict[str, Any]) -> None:
    assert deploy["on"]["push"]["branches"] == ["main"]
    job = deploy["jobs"]["staging"]
    assert "if" not in job
    step = only_step_using(job, PULUMI_ACTION)
    assert (step["with"]["command"], step["with"]["stack-name"]) == ("up", "staging")
    assert only_step_using(job, AWS_CREDENTIALS_ACTION)["with"]["role-to-assume"] == (
        "${{ vars.AWS_ROLE_ARN_STAGING }}"
    )


def test_prod_is_updated_only_after_staging_succeeded_when_its_config_changed_and_a_reviewer_approved(
    deploy: dict[str, Any],
) -> None:
    job = deploy["jobs"]["prod"]
    assert job["environment"] == "production"
    assert set(job["needs"]) == {"changes", "staging"}
    # No status function in `if`, so GitHub adds the implicit success(): every needed job must have succeeded.
    assert job["if"] == "needs.changes.outputs.prod == 'true'"
    assert deploy["jobs"]["changes"]["outputs"]["prod"] == "${{ steps.prod-config.outputs.changed }}"
    step = only_step_using(job, PULUMI_ACTION)
    assert (step["with"]["command"], step["with"]["stack-name"]) == ("up", "prod")
    assert only_step_using(job, AWS_CREDENTIALS_ACTION)["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN_PROD }}"


def test_each_stack_has_its_own_concurrency_group_that_never_cancels_a_running_update(
    deploy: dict[str, Any],
) -> None:
    up_jobs = [job for job in deploy["jobs"].values() if steps_using(job, PULUMI_ACTION)]
    groups = [job["concurrency"]["group"] for job in up_jobs]
    assert len(up_jobs) == 2
    assert len(set(groups)) == len(groups)
    assert all(job["concurrency"]["cancel-in-progress"] is False for job in up_jobs)
    assert "concurrency" not in deploy


def test_no_expression_is_expanded_into_a_run_script(workflows: dict[str, dict[str, Any]]) -> None:
    scripts = [step["run"] for _, job in jobs_of(workflows) for step in job.get("steps", []) if "run" in step]
    assert scripts
    assert [script for script in scripts if EXPRESSION.search(script)] == []


def test_no_checkout_keeps_the_github_token_in_git_config(workflows: dict[str, dict[str, Any]]) -> None:
    checkouts = [step for _, job in jobs_of(workflows) for step in steps_using(job, CHECKOUT_ACTION)]
    assert checkouts
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


@pytest.mark.parametrize("workflow_name", ["preview.yml", "deploy.yml"])
def test_workflow_level_permissions_grant_nothing(workflows: dict[str, dict[str, Any]], workflow_name: str) -> None:
    assert workflows[workflow_name]["permissions"] == {}


def test_a_job_writes_only_where_it_comments_or_assumes_an_aws_role(workflows: dict[str, dict[str, Any]]) -> None:
    for name, job in jobs_of(workflows):
        needed = set()
        if steps_using(job, AWS_CREDENTIALS_ACTION):
            needed.add("id-token")
        if comments_on_pull_request(job):
            needed.add("pull-requests")
        assert write_scopes(job["permissions"]) == needed, name


def test_every_pulumi_run_reads_the_backend_from_a_variable_and_the_token_from_a_secret(
    workflows: dict[str, dict[str, Any]],
) -> None:
    steps = [step for _, job in jobs_of(workflows) for step in steps_using(job, PULUMI_ACTION)]
    assert len(steps) == 3
    for step in steps:
        assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
        assert step["env"] == {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}


def test_every_aws_role_and_region_comes_from_repository_variables(workflows: dict[str, dict[str, Any]]) -> None:
    steps = [step for _, job in jobs_of(workflows) for step in steps_using(job, AWS_CREDENTIALS_ACTION)]
    assert steps
    for step in steps:
        assert set(step["with"]) == {"role-to-assume", "aws-region"}
        assert step["with"]["aws-region"] == "${{ vars.AWS_REGION }}"


def test_project_dependencies_are_installed_into_the_venv_before_pulumi_runs(
    workflows: dict[str, dict[str, Any]],
) -> None:
    for name, job in jobs_of(workflows):
        steps = job.get("steps", [])
        if not steps_using(job, PULUMI_ACTION):
            continue
        setup = next(i for i, step in enumerate(steps) if uses(step, "actions/setup-python"))
        install = next(i for i, step in enumerate(steps) if step.get("run") == INSTALL_REQUIREMENTS)
        pulumi = next(i for i, step in enumerate(steps) if uses(step, PULUMI_ACTION))
        assert setup < install < pulumi, name
