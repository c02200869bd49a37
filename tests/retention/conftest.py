"""A real moto_server for the retention tests (one per session, reset per test), with staging's ECR repository."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from staging_repository import MANIFEST_MEDIA_TYPE, REGION, REPOSITORY


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto_server in UTC, so the push times it reports do not depend on the machine's time zone."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TZ": "UTC"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not answer on {url}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


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

    def push_image(tag: str) -> str:
        layer = "sha256:" + hashlib.sha256(tag.encode()).hexdigest()
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": layer},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": layer}],
        }
        image = ecr.put_image(
            repositoryName=REPOSITORY,
            imageManifest=json.dumps(manifest),
            imageManifestMediaType=MANIFEST_MEDIA_TYPE,
            imageTag=tag,
        )["image"]
        return f"{image['registryId']}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}@{image['imageId']['imageDigest']}"

    return push_image
