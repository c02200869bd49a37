"""What the program does to keep its evaluation cheap as services are added (bench/evaluate.py measures it)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from fleetctl.simulation import FleetMocks, ProgramRun, RecordingMonitor, reset_runtime


class CollectorWatchingMocks(FleetMocks):
    """Notes, at each resource the program declares, whether the cyclic garbage collector is on."""

    def __init__(self) -> None:
        super().__init__()
        self.collector_on: list[bool] = []

    def new_resource(self, args: Any) -> Any:
        self.collector_on.append(gc.isenabled())
        return super().new_resource(args)


def test_program_declares_its_resources_with_the_garbage_collector_off(
    program: Callable[..., ProgramRun], staging_config: dict[str, Any]
) -> None:
    mocks = CollectorWatchingMocks()
    program("staging", staging_config, mocks=mocks)
    assert mocks.collector_on
    assert not any(mocks.collector_on)


def test_mock_engine_time_is_counted_apart_from_the_program(
    program: Callable[..., ProgramRun], staging_config: dict[str, Any]
) -> None:
    """The benchmark leaves the mock monitor's CPU out of the program's: a real run spends it in the engine."""
    mocks = FleetMocks()
    monitor = RecordingMonitor(mocks)
    start = time.process_time()
    program("staging", staging_config, mocks=mocks, monitor=monitor)
    whole_run = time.process_time() - start
    assert 0 < monitor.engine_seconds < whole_run


def test_resetting_the_runtime_turns_the_garbage_collector_back_on(
    program: Callable[..., ProgramRun], staging_config: dict[str, Any]
) -> None:
    program("staging", staging_config, mocks=FleetMocks())  # its own mocks: a run evaluated here, not remembered
    assert not gc.isenabled()
    reset_runtime()
    assert gc.isenabled()
