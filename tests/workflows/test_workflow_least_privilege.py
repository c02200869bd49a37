"""Who can reach a deploy role: only deploys of main, each in its stack's environment (whose role trusts it)."""

from __future__ import annotations

import json
import re
from typing import Any

DEPLOY_ROLE = re.compile(r"vars\.AWS_ROLE_ARN_(STAGING|PROD)\b")
ENVIRONMENT_OF_DEPLOY_ROLE = {"STAGING": "staging", "PROD": "production"}


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


def test_deploy_roles_are_assumed_only_on_push_to_main_in_their_stack_environment(
    workflows: dict[str, dict[str, Any]],
) -> None:
    reached = set()
    for name, workflow in workflows.items():
        for job_name, job in workflow["jobs"].items():
            roles = deploy_roles_in(job)
            if not roles:
                continue
            assert triggers(workflow) == {"push"}, f"{name} reaches a deploy role on {triggers(workflow)}"
            assert workflow["on"]["push"] == {"branches": ["main"]}
            assert len(roles) == 1, f"{name}:{job_name} reaches {roles}"
            (role,) = roles
            environment = job["environment"]
            assert (environment if isinstance(environment, str) else environment["name"]) == (
                ENVIRONMENT_OF_DEPLOY_ROLE[role]
            ), f"{name}:{job_name} assumes the {role} deploy role outside its environment"
            reached.add(role)
    assert reached == {"STAGING", "PROD"}
