"""Declaring components on their own under the SDK's mocks, before the program wires them in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi

from fleetctl.simulation import FleetMocks, ProgramRun, RecordingMonitor, declared_resources


def declare(build: Callable[[], Any]) -> ProgramRun:
    """Run `build` (which declares resources) in a mocked stack; what it declared, with resolved inputs and options,
    and `build`'s return value's resolved outputs under `outputs["result"]`."""
    mocks = FleetMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="fleet", stack="staging", preview=False, monitor=monitor)
    declared: list[tuple[str, str, pulumi.ResourceOptions, str | None]] = []

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        declared.append((args.type_, args.name, args.opts, args.opts.parent._name if args.opts.parent else None))

    pulumi.runtime.register_stack_transformation(record)
    result: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        return pulumi.Output.from_input(build()).apply(lambda value: result.update(result=value))

    run()
    return ProgramRun(resources=declared_resources(declared, mocks, monitor), outputs=result, invokes=mocks.invokes)
