"""Prod's deploy keeps the images prod runs or can roll back to from expiring in staging's repository."""

from __future__ import annotations

from typing import Any

PULUMI_ACTION = "pulumi/actions@"
RETAIN = ".venv/bin/python -m fleetctl retain prod"
INSTALL_LOCK = ".venv/bin/pip install --require-hashes -r requirements.lock"


def step_index(steps: list[dict[str, Any]], predicate) -> list[int]:
    return [index for index, step in enumerate(steps) if predicate(step)]


def test_prod_runs_retain_before_and_after_its_update_with_the_cli_role_and_venv_in_place(deploy):
    steps = deploy["jobs"]["prod"]["steps"]
    up, _settle = step_index(steps, lambda step: step.get("with", {}).get("command") == "up")
    [install] = step_index(steps, lambda step: INSTALL_LOCK in step.get("run", ""))
    [role] = step_index(steps, lambda step: "configure-aws-credentials" in step.get("uses", ""))
    [cli, _, _] = step_index(steps, lambda step: str(step.get("uses", "")).startswith(PULUMI_ACTION))
    before, after = step_index(steps, lambda step: step.get("run", "").startswith(RETAIN))

    assert max(install, role, cli) < before < up < after
    assert (steps[before]["run"], steps[after]["run"]) == (f"{RETAIN} --missing-ok", RETAIN)
    for index in (before, after):
        assert set(steps[index]["env"]) == {"PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL"}
        assert "if" not in steps[index]
        assert "continue-on-error" not in steps[index]
