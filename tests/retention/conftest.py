"""Staging's ECR repository in the session's moto_server (tests/moto_server.py, reset per test)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from tests.retention.staging_repository import REGION, REPOSITORY, push_image


@pytest.fixture
def ecr(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """An ECR client on a freshly reset moto holding staging's repository; fleetctl's boto3 reaches the same."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=5).close()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
    return client


@pytest.fixture
def push(ecr) -> Callable[[str], str]:
    """`push(tag)`: push a distinct image to staging's repository, as its build would; returns its digest reference."""

    def push_one(tag: str) -> str:
        return push_image(ecr, tag)

    return push_one
