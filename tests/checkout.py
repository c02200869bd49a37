"""The repository these tests specify: its root and its stack files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fleetctl.simulation import read_stack_config

ROOT = Path(__file__).resolve().parent.parent


def stack_file(stack: str) -> dict[str, Any]:
    """The `config:` mapping of a stack file of this repository."""
    return read_stack_config(ROOT, stack)
