"""A promoted stack runs only images its source stack deployed, unless the emergency override is set."""

from __future__ import annotations

import pytest

from fleet.resource_types import LAUNCH_TEMPLATE
from fleetctl.simulation import FleetMocks, qualified
from program.promotion import UnpromotedImageError


def test_prod_runs_an_image_staging_deployed(program, prod_config, staging_outputs):
    run = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})

    assert run.outputs["promotion"] == {
        "source": "acme/fleet/staging",
        "verified": True,
        "override": False,
        "unverifiedServices": [],
    }


def test_prod_accepts_an_image_from_stagings_release_history(program, prod_config, staging_outputs):
    ref = prod_config["fleet:services"]["web"]["image"]["ref"]
    source = staging_outputs("123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "d" * 64)
    source["services"]["web"]["history"].append({"releaseId": "older", "version": "0.9.0", "imageRef": ref})

    run = program("prod", prod_config, stack_outputs={qualified("staging"): source})

    assert run.outputs["promotion"]["verified"] is True


def test_prod_refuses_an_image_staging_never_deployed_before_any_host_runs_it(program, prod_config, staging_outputs):
    other = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "e" * 64
    mocks = FleetMocks()

    with pytest.raises(UnpromotedImageError, match=r"fleet:services\.web\.image\.ref: .* never deployed by stack"):
        program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs(other)}, mocks=mocks)

    assert (LAUNCH_TEMPLATE, "web-release-launch-template") not in mocks.inputs


def prod_ran(ref: str) -> dict:
    """Prod's own outputs from its last update: `ref` is an old release in its history (rolled forward since)."""
    live = {"releaseId": "0123456789ab", "version": "1.0.0", "imageRef": "live@sha256:" + "1" * 64}
    old = {"releaseId": "ba9876543210", "version": "0.1.0", "imageRef": ref}
    return {"services": {"web": {"release": live, "history": [live, old]}}}


def test_prod_rolls_back_past_stagings_history_to_an_image_prod_itself_ran(program, prod_config, staging_outputs):
    ref = prod_config["fleet:services"]["web"]["image"]["ref"]
    newer = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "d" * 64

    run = program(
        "prod",
        prod_config,
        stack_outputs={qualified("staging"): staging_outputs(newer), qualified("prod"): prod_ran(ref)},
    )

    assert run.outputs["promotion"]["verified"] is True
    assert run.outputs["services"]["web"]["release"]["imageRef"] == ref


def test_prod_refuses_an_image_neither_staging_nor_prod_ever_ran(program, prod_config, staging_outputs):
    newer = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "d" * 64
    other = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "e" * 64
    outputs = {qualified("staging"): staging_outputs(newer), qualified("prod"): prod_ran(other)}

    with pytest.raises(UnpromotedImageError, match=r"never deployed by stack staging, nor run by this stack"):
        program("prod", prod_config, stack_outputs=outputs)


def test_prod_refuses_when_staging_has_no_outputs(program, prod_config):
    with pytest.raises(UnpromotedImageError, match="fleetctl promote staging prod"):
        program("prod", prod_config)


def test_emergency_override_runs_the_image_and_says_so_in_the_outputs(program, prod_config, staging_outputs, caplog):
    prod_config["fleet:promotion"] = {"from": "staging", "allowUnverified": True}
    other = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "e" * 64

    run = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs(other)})

    assert run.outputs["promotion"] == {
        "source": "acme/fleet/staging",
        "verified": False,
        "override": True,
        "unverifiedServices": ["web"],
    }
    assert "Running it anyway: fleet:promotion.allowUnverified is true" in caplog.text
    assert run.of_type(LAUNCH_TEMPLATE)


def test_source_stack_can_be_named_with_its_project_and_organization(program, prod_config, staging_outputs):
    prod_config["fleet:promotion"] = {"from": "other-org/fleet/staging"}

    run = program("prod", prod_config, stack_outputs={"other-org/fleet/staging": staging_outputs()})

    assert run.outputs["promotion"]["source"] == "other-org/fleet/staging"


def test_stack_without_promotion_exports_no_promotion_output(program, staging_config):
    run = program("staging", staging_config)

    assert "promotion" not in run.outputs
