"""Running `fleetctl audit` in-process on a fleet's stack export, as the audit tests do."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from fleetctl.audit_rules import Finding
from fleetctl.cli import main
from tests.audit.moto_fleet import Fleet

DEFAULT_MIN_ORPHAN_AGE = timedelta(minutes=90)


def run_audit(fleet: Fleet, *options: str) -> int:
    return main(["audit", "--stack", fleet.stack, "--from-export", str(fleet.export_file), *options])


def findings(fleet: Fleet, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[Finding]]:
    """Run the audit with --json; its exit code and the findings it printed."""
    code = run_audit(fleet, "--json", *options)
    return code, [Finding(**item) for item in json.loads(capsys.readouterr().out)]
