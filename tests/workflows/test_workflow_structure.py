"""The guarantees the workflows are written for, read from the parsed YAML (nothing here runs GitHub)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

PULUMI_ACTION = "pulumi/actions"
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
CHECKOUT_ACTION = "actions/checkout"
STICKY_COMMENT_ACTION = "marocchino/sticky-pull-request-comment"
INSTALL_REQUIREMENTS = (
    "python -m venv .venv && .venv/bin/pip install --require-hashes -r requirements.lock"
    " && .venv/bin/pip install --no-deps -e ."
)
POLICY_PACK = "policy"
AUDIT_COMMAND = 'fleetctl audit --stack "$STACK"'
BACKEND_URL = "${{ vars.PULUMI_BACKEND_URL }}"
ACCESS_TOKEN = "${{ secrets.PULUMI_ACCESS_TOKEN }}"
# owner/repo[/path]@<40 hex> # v<version>
PINNED_USES = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}  # v\d+(?:\.\d+)*$")
EXPRESSION = re.compile(r"\$\{\{")
REQUIREMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")

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


def pulumi_operations(job: Job) -> list[Step]:
    """Pulumi action steps that run a stack operation (a step without `command` only installs the CLI)."""
    return [step for step in steps_using(job, PULUMI_ACTION) if "command" in step.get("with", {})]


def audit_steps(job: Job) -> list[Step]:
    return [step for step in job.get("steps", []) if AUDIT_COMMAND in step.get("run", "")]


def index_of(job: Job, step: Step) -> int:
    return next(i for i, candidate in enumerate(job["steps"]) if candidate is step)


def comments_on_pull_request(job: Job) -> bool:
    pulumi_comments = any(step["with"].get("comment-on-pr") is True for step in pulumi_operations(job))
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


def test_pr_preview_assumes_the_read_only_preview_role_of_the_stack_it_previews(preview: dict[str, Any]) -> None:
    job = preview["jobs"]["preview"]
    roles = {entry["stack"]: entry["aws-role"] for entry in job["strategy"]["matrix"]["include"]}
    assert roles == {
        "staging": "${{ vars.AWS_PREVIEW_ROLE_ARN_STAGING }}",
        "prod": "${{ vars.AWS_PREVIEW_ROLE_ARN_PROD }}",
    }
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
    step, _ = pulumi_operations(job)
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
    step, _ = pulumi_operations(job)
    assert (step["with"]["command"], step["with"]["stack-name"]) == ("up", "prod")
    assert only_step_using(job, AWS_CREDENTIALS_ACTION)["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN_PROD }}"


def test_every_pulumi_up_is_followed_by_a_second_one_that_resumes_scale_in_of_new_groups(
    deploy: dict[str, Any],
) -> None:
    for job_id in ("staging", "prod"):
        job = deploy["jobs"][job_id]
        up, settle = pulumi_operations(job)
        assert index_of(job, up) + 1 == index_of(job, settle), job_id
        for key in ("command", "stack-name", "policyPacks", "cloud-url"):
            assert settle["with"][key] == up["with"][key], (job_id, key)


def test_each_stack_has_its_own_concurrency_group_that_never_cancels_a_running_update(
    deploy: dict[str, Any],
) -> None:
    up_jobs = [job for job in deploy["jobs"].values() if pulumi_operations(job)]
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


def test_workflow_level_permissions_grant_nothing(workflows: dict[str, dict[str, Any]]) -> None:
    assert [name for name, workflow in workflows.items() if workflow["permissions"] != {}] == []


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
    steps = [step for _, job in jobs_of(workflows) for step in pulumi_operations(job)]
    assert len(steps) == 7  # a preview per stack (a matrix), two updates per stack deploying, one retiring
    for step in steps:
        assert step["with"]["cloud-url"] == BACKEND_URL
        assert step["env"] == {"PULUMI_ACCESS_TOKEN": ACCESS_TOKEN}


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


def test_pr_preview_and_every_pulumi_up_enforce_the_policy_pack(workflows: dict[str, dict[str, Any]]) -> None:
    operations = {name: step for name, job in jobs_of(workflows) for step in pulumi_operations(job)}
    assert {step["with"]["command"] for step in operations.values()} == {"preview", "up"}
    assert {name: step["with"].get("policyPacks") for name, step in operations.items()} == dict.fromkeys(
        operations, POLICY_PACK
    )


def test_policy_pack_runs_in_the_virtualenv_the_workflows_install_with_pulumi_policy(repo_root: Path) -> None:
    pack = YAML(typ="safe", pure=True).load((repo_root / POLICY_PACK / "PulumiPolicy.yaml").read_text())
    assert pack["runtime"]["name"] == "python"
    virtualenv = (repo_root / POLICY_PACK / pack["runtime"]["options"]["virtualenv"]).resolve()
    assert virtualenv == repo_root / ".venv"  # the one INSTALL_REQUIREMENTS creates
    requirements = (repo_root / "requirements.txt").read_text().splitlines()
    assert "pulumi-policy" in {match.group() for line in requirements if (match := REQUIREMENT_NAME.match(line))}


def test_every_pulumi_up_is_followed_by_an_audit_of_the_same_stack_whose_findings_fail_the_job(
    deploy: dict[str, Any],
) -> None:
    up_jobs = {job_id: job for job_id, job in deploy["jobs"].items() if pulumi_operations(job)}
    assert set(up_jobs) == {"staging", "prod"}
    for job in up_jobs.values():
        *_, up = pulumi_operations(job)
        [audit] = audit_steps(job)
        assert index_of(job, up) < index_of(job, audit)
        assert audit["env"]["STACK"] == up["with"]["stack-name"]
        # No `if:`, so the audit runs only once the update succeeded; no `continue-on-error`, so a finding fails.
        assert "if" not in audit
        assert "continue-on-error" not in audit


def test_every_audit_runs_after_the_venv_the_aws_role_and_the_pulumi_cli_are_in_place(
    workflows: dict[str, dict[str, Any]],
) -> None:
    audited = [(name, job, audit) for name, job in jobs_of(workflows) for audit in audit_steps(job)]
    assert len(audited) == 3
    for name, job, audit in audited:
        [install] = [step for step in job["steps"] if step.get("run") == INSTALL_REQUIREMENTS]
        prerequisites = [install, only_step_using(job, AWS_CREDENTIALS_ACTION), steps_using(job, PULUMI_ACTION)[-1]]
        assert max(index_of(job, step) for step in prerequisites) < index_of(job, audit), name


def test_every_audit_runs_the_same_script_reading_outputs_from_the_backend_the_deploys_use(
    workflows: dict[str, dict[str, Any]],
) -> None:
    audits = [audit for _, job in jobs_of(workflows) for audit in audit_steps(job)]
    assert len({audit["run"] for audit in audits}) == 1
    for audit in audits:
        assert audit["shell"] == "bash"
        assert audit["env"]["PULUMI_BACKEND_URL"] == BACKEND_URL
        assert audit["env"]["PULUMI_ACCESS_TOKEN"] == ACCESS_TOKEN


def test_scheduled_audit_runs_daily_on_both_stacks_with_their_read_only_roles(
    scheduled_audit: dict[str, Any],
) -> None:
    [schedule] = scheduled_audit["on"]["schedule"]
    minute, hour, *day_fields = schedule["cron"].split()
    assert (minute.isdigit(), hour.isdigit(), day_fields) == (True, True, ["*", "*", "*"])
    job = scheduled_audit["jobs"]["audit"]
    assert job["strategy"]["fail-fast"] is False
    roles = {entry["stack"]: entry["aws-role"] for entry in job["strategy"]["matrix"]["include"]}
    assert roles == {
        "staging": "${{ vars.AWS_AUDIT_ROLE_ARN_STAGING }}",
        "prod": "${{ vars.AWS_AUDIT_ROLE_ARN_PROD }}",
    }
    assert only_step_using(job, AWS_CREDENTIALS_ACTION)["with"]["role-to-assume"] == "${{ matrix.aws-role }}"
    [audit] = audit_steps(job)
    assert audit["env"]["STACK"] == "${{ matrix.stack }}"


def test_scheduled_audit_only_installs_the_pulumi_cli_and_never_cleans_up(scheduled_audit: dict[str, Any]) -> None:
    job = scheduled_audit["jobs"]["audit"]
    assert "with" not in only_step_using(job, PULUMI_ACTION)
    assert pulumi_operations(job) == []
    [audit] = audit_steps(job)
    assert "--cleanup" not in audit["run"]
