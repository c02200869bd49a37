"""A deploy job outlasts the longest release the config allows: killed mid-update, it would leave the stack locked."""

from __future__ import annotations

from fleet.config import SERVICE
from fleet.timeouts import (
    DEPLOY_JOB_MARGIN_MINUTES,
    GITHUB_JOB_LIMIT_MINUTES,
    GROUP_DELETE_MINUTES,
    INSTANCE_SHUTDOWN_MINUTES,
)


def largest(key: str) -> int:
    """The largest value the config's service table allows for `key`."""
    [spec] = [spec for spec in SERVICE.keys if spec.name == key]
    return spec.kind.high


def release_jobs(deploy) -> dict[str, dict]:
    return {
        name: job
        for name, job in deploy["jobs"].items()
        if any(step.get("with", {}).get("command") == "up" for step in job["steps"])
    }


def test_every_job_that_runs_pulumi_up_outlasts_the_longest_cutover_and_drain_with_margin(deploy):
    longest_release = largest("cutoverTimeoutMinutes") + -(-largest("drainSeconds") // 60) + INSTANCE_SHUTDOWN_MINUTES
    jobs = release_jobs(deploy)

    assert set(jobs) == {"staging", "prod"}
    for name, job in jobs.items():
        assert job["timeout-minutes"] >= longest_release + DEPLOY_JOB_MARGIN_MINUTES, name
        assert job["timeout-minutes"] <= GITHUB_JOB_LIMIT_MINUTES, name


def test_a_group_delete_outlasts_the_longest_drain_the_config_allows():
    assert largest("drainSeconds") + INSTANCE_SHUTDOWN_MINUTES * 60 <= GROUP_DELETE_MINUTES * 60
