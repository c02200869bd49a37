"""The program refuses an engine that would drop replacement triggers, before it declares anything."""

from __future__ import annotations

import pulumi
import pytest
import yaml

from fleetctl.simulation import FleetMocks, RecordingMonitor
from program.engine import MINIMUM_CLI, REPLACEMENT_TRIGGER
from tests.checkout import ROOT


class EngineWithoutReplacementTriggers(RecordingMonitor):
    """The mock monitor as a CLI before 3.208 answers: `replacementTrigger` is a feature it does not know."""

    def SupportsFeature(self, request):  # noqa: N802 (the gRPC method name)
        if request.id == REPLACEMENT_TRIGGER:
            return type("SupportsFeatureResponse", (), {"hasSupport": False})
        return super().SupportsFeature(request)


def test_an_engine_without_replacement_triggers_stops_the_program_naming_the_minimum_cli(program, staging_config):
    mocks = FleetMocks()

    with pytest.raises(pulumi.RunError, match=f"upgrade the Pulumi CLI to {MINIMUM_CLI} or newer"):
        program("staging", staging_config, mocks=mocks, monitor=EngineWithoutReplacementTriggers(mocks))
    assert mocks.inputs == {}


def test_an_engine_with_replacement_triggers_runs_the_program(program, staging_config):
    mocks = FleetMocks()

    program("staging", staging_config, mocks=mocks, monitor=RecordingMonitor(mocks))

    assert mocks.inputs


def test_the_minimum_cli_named_is_the_projects_required_version():
    required = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["requiredPulumiVersion"]

    assert required == f">={MINIMUM_CLI}"
