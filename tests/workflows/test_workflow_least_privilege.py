"""Who can reach a deploy role: only deploys of main and retirements, each in its stack's environment (whose role
trusts it)."""

from __future__ import annotations

import json
import re
from typing import Any

DEPLOY_ROLE = re.compile(r"vars\.AWS_ROLE_ARN_(STAGING|PROD)\b")
ENVIRONMENT_OF_DEPLOY_ROLE = {"STAGING": "staging", "PROD": "production"}
ROLE_TRIGGERS = {"deploy.yml": {"push"}, "retire.yml": {"schedule", "workflow_dispatch"}}
"""The only workflows that reach a deploy role, on these triggers: deploys of main, and the scheduled retirement of
warm releases (which re-applies a stack's last successful deploy; its environments accept main only)."""


def triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def deploy_roles_in(value: Any) -> set[str]:
    return set(DEPLOY_ROLE.findall(json.dumps(value)))


def test_no_job_of_a_pull_request_workflow_references_a_deploy_role(workflows: dict[str, dict[str, Any]]) -> None:
    pull_request_workflows = {
        name: workflow
        for name, workflow in workflows.items()
        if triggers(workflow) & {"pull_request", "pull_request_target"}
    }
    assert "preview.yml" in pull_request_workflows
    for name, workflow in pull_request_workflows.items():
        assert not deploy_roles_in(workflow), f"{name} runs a PR's code and can reach a deploy role"


def test_deploy_roles_are_assumed_only_by_deploys_of_main_and_retirements_in_their_stack_environment(
    workflows: dict[str, dict[str, Any]],
) -> None:
    reached: dict[str, set[str]] = {}
    for name, workflow in workflows.items():
        for job_name, job in workflow["jobs"].items():
            roles = deploy_roles_in(job)
            if not roles:
                continue
            assert name in ROLE_TRIGGERS, f"{name} reaches a deploy role"
            assert triggers(workflow) == ROLE_TRIGGERS[name], f"{name} reaches a deploy role on {triggers(workflow)}"
            if "push" in triggers(workflow):
                assert workflow["on"]["push"] == {"branches": ["main"]}
            assert len(roles) == 1, f"{name}:{job_name} reaches {roles}"
            (role,) = roles
            environment = job["environment"]
            assert (environment if isinstance(environment, str) else environment["name"]) == (
                ENVIRONMENT_OF_DEPLOY_ROLE[role]
            ), f"{name}:{job_name} assumes the {role} deploy role outside its environment"
            reached.setdefault(name, set()).add(role)
    assert reached == {"deploy.yml": {"STAGING", "PROD"}, "retire.yml": {"STAGING", "PROD"}}


def test_a_retirement_checks_out_the_commit_its_stacks_last_deploy_ran_not_mains_head(
    workflows: dict[str, dict[str, Any]],
) -> None:
    retire = workflows["retire.yml"]
    for stack in ("staging", "prod"):
        [checkout] = [step for step in retire["jobs"][stack]["steps"] if "actions/checkout@" in step.get("uses", "")]
        assert checkout["with"]["ref"] == f"${{{{ needs.overdue.outputs.{stack} }}}}", stack
        assert retire["jobs"][stack]["if"] == f"needs.overdue.outputs.{stack} != ''", stack
