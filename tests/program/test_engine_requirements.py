"""The engine behaviours fleet's safety rests on exist in every CLI allowed to run it."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT

MINIMUM_CLI = (3, 219, 0)
"""`requiredPulumiVersion` is honoured from 3.219 (pulumi/pulumi#21627); replacement_trigger needs 3.214."""


def test_project_refuses_a_cli_older_than_the_engine_features_it_relies_on():
    required = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["requiredPulumiVersion"]

    assert required.startswith(">=")
    assert tuple(int(part) for part in required[2:].split(".")) >= MINIMUM_CLI
