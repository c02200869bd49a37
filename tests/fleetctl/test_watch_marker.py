"""The marker `fleetctl watch` writes is the one the program reads: after the watch rolled a release back (in a real
moto_server), the program refuses a stack file that asks for that release again, naming the key and the command
that pins the release that serves. The program runs under mocks answering its marker lookup with the parameters
moto holds (`FleetMocks.rollback_markers`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from fleet.config_types import ConfigError
from fleet.names import rollback_markers_path
from fleetctl.commands import watch
from fleetctl.simulation import FleetMocks, run_program
from tests.checkout import ROOT
from tests.fleetctl.warm_fleet import warm_fleet

STACK = "staging"


def markers_in_ssm(session: boto3.Session) -> dict[str, str]:
    """Every parameter under the stack's markers path, as the program's GetParametersByPath returns them."""
    pages = session.client("ssm").get_paginator("get_parameters_by_path")
    found = pages.paginate(Path=rollback_markers_path(STACK), Recursive=True)
    return {parameter["Name"]: parameter["Value"] for page in found for parameter in page["Parameters"]}


def test_the_program_refuses_the_release_the_watch_rolled_back(aws: boto3.Session, staging_config: dict[str, Any]):
    release_id = run_program(STACK, staging_config, project_root=ROOT).outputs["services"]["web"]["release"][
        "releaseId"
    ]
    fleet = warm_fleet(aws)
    now = datetime(2026, 12, 2, 1, tzinfo=UTC)
    stack_outputs = fleet.outputs(now + timedelta(minutes=30))
    stack_outputs["services"]["web"]["release"]["releaseId"] = release_id
    [watched] = watch.watched_services(stack_outputs, STACK, None, now)
    clients = watch.Aws(*(aws.client(name) for name in ("cloudwatch", "elbv2", "autoscaling", "ssm")))
    watch.switch(clients, STACK, STACK, watched, now, alarms=["fleet-staging-web-target-5xx-rate"], by="fleetctl watch")

    with pytest.raises(ConfigError) as refused:
        run_program(STACK, staging_config, project_root=ROOT, mocks=FleetMocks(rollback_markers=markers_in_ssm(aws)))

    [problem] = refused.value.problems
    assert problem.startswith(f"fleet:services.web.image.version: release {release_id} ")
    assert "was rolled back by its alarms (fleet-staging-web-target-5xx-rate) at 2026-12-02T01:00:00Z" in problem
    assert f"`fleetctl rollback {STACK} --service web`" in problem
