"""Upgrading fleet replaces nothing on a stack that uses none of the hostname keys: it declares what main declared
at 8d32ea4, the last commit before hostnames were merged (the same types, names, parents, inputs and options, in
the same order), and exports the same outputs. The snapshot was written by `tests/program/declarations.py` run in
a checkout of 8d32ea4 (`git archive 8d32ea4`, this file copied in, `python -m tests.program.declarations OUT`).
A change meant to alter what such a stack declares writes a new snapshot, and says why in its commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.program.declarations import SCENARIOS, declarations

SNAPSHOT = json.loads((Path(__file__).parent / "snapshots" / "declarations-8d32ea4.json").read_text())


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_stack_without_hostnames_declares_what_it_declared_before_hostnames(scenario):
    run = SCENARIOS[scenario]()

    assert declarations(run) == SNAPSHOT[scenario]["resources"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_stack_without_hostnames_exports_what_it_exported_before_hostnames(scenario):
    run = SCENARIOS[scenario]()

    assert json.loads(json.dumps(run.outputs, default=str)) == SNAPSHOT[scenario]["outputs"]
