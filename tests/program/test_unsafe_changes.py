"""Changes that would cut traffic are refused before any resource is declared, naming the key and the way round."""

from __future__ import annotations

import pytest

from fleet.config_types import ConfigError
from fleetctl.simulation import FleetMocks, qualified


@pytest.fixture
def deployed(program, staging_config):
    return program("staging", staging_config)


def refused(program, config, deployed) -> tuple[str, FleetMocks]:
    mocks = FleetMocks()
    with pytest.raises(ConfigError) as error:
        program("staging", config, stack_outputs={qualified("staging"): deployed.outputs}, mocks=mocks)
    return str(error.value), mocks


def test_port_change_of_a_live_service_is_refused_before_any_resource(program, deployed, staging_config, with_service):
    message, mocks = refused(program, with_service(staging_config, port=9090), deployed)

    assert "fleet:services.web.port: the live release listens on 8080; changing it to 9090" in message
    assert "Add the new port as a new service" in message
    assert mocks.inputs == {}


def test_port_of_a_new_service_is_free(program, deployed, staging_config):
    config = {**staging_config, "fleet:services": {**staging_config["fleet:services"]}}
    config["fleet:services"]["api"] = {**config["fleet:services"]["web"], "port": 9090, "publicPort": 8081}

    run = program("staging", config, stack_outputs={qualified("staging"): deployed.outputs})

    assert run.outputs["services"]["api"]["port"] == 9090


def test_renamed_service_on_the_removed_ones_public_port_is_refused(program, deployed, staging_config):
    config = {**staging_config, "fleet:services": {"www": staging_config["fleet:services"]["web"]}}

    message, mocks = refused(program, config, deployed)

    assert "fleet:services.www.publicPort: port 80 is the listener of web, which this deploy removes" in message
    assert mocks.inputs == {}


def test_move_to_another_vpc_is_refused(program, deployed, staging_config):
    config = {**staging_config, "fleet:network": {"vpcId": "vpc-0123456789abcdef0"}}

    message, mocks = refused(program, config, deployed)

    assert "fleet:network.vpcId: this stack serves from vpc-0default0000000000; moving it to vpc-0123" in message
    assert mocks.inputs == {}


def test_health_check_path_change_is_applied_with_a_warning(program, deployed, staging_config, with_service, caplog):
    run = program(
        "staging",
        with_service(staging_config, healthCheckPath="/ready"),
        stack_outputs={qualified("staging"): deployed.outputs},
    )

    assert run.outputs["services"]["web"]["healthCheckPath"] == "/ready"
    assert "fleet:services.web.healthCheckPath changes from /healthz to /ready" in caplog.text
