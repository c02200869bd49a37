"""Upgrading fleet replaces nothing on a stack that uses none of the hostname keys: it declares what it declared at
b0fe443, the commit before hostnames existed (the same types, names, parents, inputs and options, in the same
order), and exports the same outputs. The snapshot was written by `tests/program/declarations.py` run in a
checkout of b0fe443."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.program.declarations import SCENARIOS, declarations

SNAPSHOT = json.loads((Path(__file__).parent / "snapshots" / "declarations-b0fe443.json").read_text())


def identity(resources: list[dict]) -> list[dict]:
    """What decides whether the engine keeps, updates or replaces a resource: all but `depends_on`, which only
    orders the steps (main's redirect waits for its HTTPS listener and security group since b0fe443)."""
    return [{key: value for key, value in resource.items() if key != "dependsOn"} for resource in resources]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_stack_without_hostnames_declares_what_it_declared_before_hostnames(scenario):
    run = SCENARIOS[scenario]()

    assert identity(declarations(run)) == identity(SNAPSHOT[scenario]["resources"])


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_stack_without_hostnames_exports_what_it_exported_before_hostnames(scenario):
    run = SCENARIOS[scenario]()

    assert json.loads(json.dumps(run.outputs, default=str)) == SNAPSHOT[scenario]["outputs"]
