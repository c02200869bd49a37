"""A fleet built in moto_server (`aws` and `moto_url` come from tests/moto_server.py)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.audit.moto_fleet import Fleet


@pytest.fixture
def fleet(aws: boto3.Session, tmp_path: Path) -> Fleet:
    """The `web` service of stack `prod` with one live release of two instances, and its stack export file."""
    return Fleet(aws, tmp_path / "export.json").build()
