"""A failed program run under the harness says its failure once: to its caller, not again on stderr when the SDK's
futures that held it are collected (`fleetctl.simulation._drop_copies_of_reported_failures`)."""

from __future__ import annotations

import logging

import pytest
from pulumi.runtime.sync_await import _ensure_event_loop

from fleetctl import simulation
from fleetctl.simulation import FleetMocks, qualified
from program.promotion import UnpromotedImageError

UNRETRIEVED = "Future exception was never retrieved"
OTHER_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "0" * 64


@pytest.fixture
def refusal(program, prod_config, staging_outputs) -> UnpromotedImageError:
    """What a refused run raised: prod's image is not the one staging deployed. Own mocks: a real run."""
    outputs = {qualified("staging"): staging_outputs(OTHER_IMAGE)}
    with pytest.raises(UnpromotedImageError) as refused:
        program("prod", prod_config, mocks=FleetMocks(), stack_outputs=outputs)
    return refused.value


def _collected_future_holding(failure: BaseException) -> dict:
    """The context asyncio passes its exception handler when a future holding `failure` is collected unread."""
    return {"message": UNRETRIEVED, "exception": failure, "future": _ensure_event_loop().create_future()}


def test_a_collected_copy_of_a_refusal_the_run_raised_is_not_logged(refusal, caplog):
    copy = type(refusal)(str(refusal))
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        _ensure_event_loop().call_exception_handler(_collected_future_holding(copy))

    assert [record for record in caplog.records if UNRETRIEVED in record.getMessage()] == []


def test_a_failure_no_run_raised_is_still_logged(refusal, caplog):
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        _ensure_event_loop().call_exception_handler(_collected_future_holding(RuntimeError("nobody raised this")))

    assert any(UNRETRIEVED in record.getMessage() for record in caplog.records)


def test_the_harness_installs_the_handler_on_the_sdks_loop(refusal):
    assert _ensure_event_loop().get_exception_handler() is simulation._drop_copies_of_reported_failures
