"""The repository these tests specify: its root and its stack files."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from fleetctl.simulation import read_stack_config

ROOT = Path(__file__).resolve().parent.parent


def stack_file(stack: str) -> dict[str, Any]:
    """The `config:` mapping of a stack file of this repository: a copy of its own, for the test to change."""
    return copy.deepcopy(_parsed(stack))


@functools.cache
def _parsed(stack: str) -> dict[str, Any]:
    """Parsed once per process: no test writes this repository's stack files, and parsing one took ~0.8 ms, over a
    thousand times a run of the suite."""
    return read_stack_config(ROOT, stack)
