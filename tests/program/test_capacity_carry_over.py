"""A cut-over never shrinks the fleet: the new release starts with at least what the old one runs now."""

from __future__ import annotations

from tests.conftest import qualified

GROUP = "aws:autoscaling/group:Group"
OLD_GROUP = "fleet-staging-web-old"


def last_update(release_id: str) -> dict:
    """The stack's own outputs from its last update, with the live release's id and group."""
    return {"services": {"web": {"release": {"releaseId": release_id, "asgName": OLD_GROUP}, "history": []}}}


def cutover(program, config, live_release_id: str, live_desired: int):
    """Run the program as an update of a stack whose live release has `live_release_id` and `live_desired` hosts."""
    return program(
        "staging",
        config,
        stack_outputs={qualified("staging"): last_update(live_release_id)},
        live_desired={OLD_GROUP: live_desired},
    )


def desired(run) -> tuple[int, int]:
    group = run.one(GROUP).inputs
    return group["desiredCapacity"], group["waitForElbCapacity"]


def test_first_deploy_starts_with_the_configured_capacity(program, staging_config):
    run = program("staging", staging_config)

    assert desired(run) == (2, 2)
    assert "aws:autoscaling/getGroup:getGroup" not in [token for token, _ in run.invokes]


def test_cutover_starts_the_new_release_with_the_old_ones_live_capacity(program, staging_config):
    run = cutover(program, staging_config, "000000000000", 5)

    assert desired(run) == (5, 5)
    assert ("aws:autoscaling/getGroup:getGroup", {"name": OLD_GROUP}) in run.invokes


def test_cutover_keeps_the_configured_capacity_when_the_old_release_runs_fewer(program, staging_config):
    run = cutover(program, staging_config, "000000000000", 1)

    assert desired(run) == (2, 2)


def test_cutover_capacity_never_exceeds_the_configured_max(program, staging_config):
    run = cutover(program, staging_config, "000000000000", 40)

    assert desired(run) == (6, 6)


def test_scale_change_of_the_live_release_takes_the_configured_capacity(program, staging_config):
    release_id = program("staging", staging_config).one(GROUP).replacement_trigger

    run = cutover(program, staging_config, release_id, 5)

    assert desired(run) == (2, 2)
    assert "aws:autoscaling/getGroup:getGroup" not in [token for token, _ in run.invokes]
