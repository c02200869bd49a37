"""No deploy shrinks a fleet: a release starts at what the live one runs, and other deploys leave autoscaling be."""

from __future__ import annotations

import pytest

from fleet.resource_types import AUTOSCALING_GROUP, GET_GROUP
from fleetctl.simulation import qualified


def desired(run) -> tuple[int, int]:
    """The live group's desired capacity and health gate (a release's is the new slot's; the old one turns warm)."""
    (group,) = [group for group in run.of_type(AUTOSCALING_GROUP) if group.resource_id == live_group(run)]
    return group.inputs["desiredCapacity"], group.inputs["waitForElbCapacity"]


def live_group(run) -> str:
    return run.outputs["services"]["web"]["release"]["asgName"]


@pytest.fixture
def deployed(program, staging_config):
    """Staging after its first successful update: 2 hosts of release 1.0.0."""
    return program("staging", staging_config)


@pytest.fixture
def new_release(staging_config, with_service):
    return with_service(staging_config, image={"version": "1.0.1", "build": "images/web"})


def test_first_deploy_starts_with_the_configured_capacity(deployed):
    assert desired(deployed) == (2, 2)
    assert GET_GROUP not in [token for token, _ in deployed.invokes]


def test_release_starts_the_new_group_at_the_live_groups_capacity(update, deployed, new_release):
    run = update("staging", new_release, deployed, live_desired={live_group(deployed): 5})

    assert desired(run) == (5, 5)
    assert (GET_GROUP, {"name": live_group(deployed)}) in run.invokes


def test_release_starts_at_the_configured_capacity_when_the_live_group_runs_fewer(update, deployed, new_release):
    run = update("staging", new_release, deployed, live_desired={live_group(deployed): 1})

    assert desired(run) == (2, 2)


def test_release_capacity_never_exceeds_the_configured_max(update, deployed, new_release):
    run = update("staging", new_release, deployed, live_desired={live_group(deployed): 40})

    assert desired(run) == (6, 6)


def test_deploy_without_a_release_keeps_what_autoscaling_set(update, deployed, staging_config):
    run = update("staging", staging_config, deployed, live_desired={live_group(deployed): 5})

    assert desired(run) == (5, 5)


def test_deploy_without_a_release_keeps_a_fleet_autoscaling_shrank_below_the_configured_desired(
    update, deployed, staging_config, with_service
):
    roomy = with_service(staging_config, capacity={"min": 1, "desired": 2, "max": 6})
    settled = update("staging", roomy, deployed)

    run = update("staging", roomy, settled, live_desired={live_group(settled): 1})

    assert desired(run) == (1, 1)


def test_deliberate_change_of_desired_is_applied_over_the_live_value(update, deployed, staging_config, with_service):
    scaled = with_service(staging_config, capacity={"min": 2, "desired": 4, "max": 6})

    run = update("staging", scaled, deployed, live_desired={live_group(deployed): 5})

    assert desired(run) == (4, 4)


def test_lower_max_bounds_the_live_value(update, deployed, staging_config, with_service):
    capped = with_service(staging_config, capacity={"min": 2, "desired": 2, "max": 3})

    run = update("staging", capped, deployed, live_desired={live_group(deployed): 5})

    assert desired(run) == (3, 3)
    assert run.one(AUTOSCALING_GROUP).inputs["maxSize"] == 3


def test_higher_min_raises_the_live_value(update, deployed, staging_config, with_service):
    raised = with_service(staging_config, capacity={"min": 4, "desired": 4, "max": 6})
    settled = update("staging", staging_config, deployed)

    run = update("staging", raised, settled, live_desired={live_group(settled): 2})

    assert desired(run) == (4, 4)


def test_launch_template_replaced_for_another_reason_carries_the_live_capacity(update, deployed, staging_config):
    """A change of e.g. the host role replaces the template and the group without a new release id."""
    outputs = deployed.outputs
    outputs["services"]["web"]["release"]["launchTemplateId"] = "lt-0000000000000000a"

    run = update("staging", staging_config, deployed, live_desired={live_group(deployed): 5})

    assert desired(run) == (5, 5)


def test_missing_live_group_falls_back_to_the_configured_capacity_with_a_warning(
    program, deployed, new_release, caplog
):
    run = program("staging", new_release, stack_outputs={qualified("staging"): deployed.outputs}, live_desired={})

    assert desired(run) == (2, 2)
    assert GET_GROUP not in [token for token, _ in run.invokes]
    assert f"autoscaling group {live_group(deployed)}" in caplog.text
