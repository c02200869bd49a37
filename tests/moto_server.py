"""A real moto_server for tests that talk to AWS through boto3: one process per session (per xdist worker), reset
per test (`aws`) or per module that only reads what it built once (`aws_environment`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any, ClassVar

import boto3
import botocore.loaders
import botocore.session
import pytest

REGION = "eu-west-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_answering(url: str, server: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer on {url} within {timeout} s")


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """One moto_server process for the whole session (each xdist worker has its own); each test resets its state.

    It runs in UTC, as AWS does: moto stamps an ASG's CreatedTime with the server's local time and no zone
    (moto/autoscaling/models.py `datetime.now().isoformat()`), where AWS sends UTC. The audit reads a time without
    a zone as UTC, AWS's contract, so a server in another zone would age every ASG by its offset.

    It starts without moto's catalogue of public AMIs (`MOTO_EC2_LOAD_DEFAULT_AMIS`, moto/settings.py): a reset
    rebuilds every EC2 region it has served (moto/core/base_backend.py `BackendDict.reset`), and loading ~1,300
    images with their snapshots per region made a reset cost more than building a test's fleet. No test reads
    those images: the fleets launch from AMI ids of their own.

    It is moto's own server (`python -m moto.server`) with two per-request lookups done once: see
    tests/moto_server_main.py.
    """
    port = _free_port()
    # -P: the script's folder (tests/) stays off sys.path, so none of the tests' packages shadows a module moto imports.
    server_main = str(Path(__file__).with_name("moto_server_main.py"))
    server = subprocess.Popen(
        [sys.executable, "-P", server_main, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TZ": "UTC", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, server)
        yield url
    finally:
        # Killed, not asked to stop: its state is the tests' and goes with it, and on SIGTERM it first waits for
        # its serving threads (seconds on a loaded machine).
        server.kill()
        server.wait(timeout=10)


class _SharedModels(MutableMapping[Any, Any]):
    """A botocore `Loader`'s cache (`instance_cache` reads `loader._cache`), shared by every loader of this process
    that has the same search paths: what the loader of one session would hold for all its clients."""

    _by_search_paths: ClassVar[dict[tuple[str, ...], dict[Any, Any]]] = {}

    def __init__(self, loader: botocore.loaders.Loader) -> None:
        self._loader = loader

    @property
    def _models(self) -> dict[Any, Any]:
        return self._by_search_paths.setdefault(tuple(self._loader.search_paths), {})

    def __getitem__(self, key: Any) -> Any:
        return self._models[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._models[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._models[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)


@pytest.fixture(scope="session", autouse=True)
def _aws_models_parsed_once_per_process() -> Iterator[None]:
    """Every boto3 session of this process (the tests' and the ones fleetctl opens in-process) reads each service
    model, endpoint ruleset and partition file once, not once per session: parsing them cost ~0.3 s a session.
    What a client sends and what it makes of an answer do not change: the same files, parsed the same way."""
    create_loader = botocore.session.create_loader

    def create_sharing_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        loader = create_loader(search_path_string)
        loader._cache = _SharedModels(loader)
        return loader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", create_sharing_loader)
        yield


def reset_moto(moto_url: str) -> None:
    """Forget everything moto holds: what one test built is not the next one's."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=5).close()


def _point_boto3_at_moto(moto_url: str, patch: pytest.MonkeyPatch, config_dir: Path) -> boto3.Session:
    """Point boto3 (in this process and in subprocesses) at moto, with dummy credentials, until `patch` is undone."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        patch.delenv(name, raising=False)
    environment = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        # Keep a developer's own AWS config out of the tests.
        "AWS_CONFIG_FILE": str(config_dir / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "aws-credentials"),
    }
    for name, value in environment.items():
        patch.setenv(name, value)
    return boto3.Session()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> boto3.Session:
    """Point boto3 (in this process and in subprocesses) at a freshly reset moto, with dummy credentials."""
    reset_moto(moto_url)
    return _point_boto3_at_moto(moto_url, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def aws_environment(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[boto3.Session]:
    """The environment of `aws` for a whole module, without the reset: for a module that builds its AWS state once
    (after `reset_moto`) and whose tests only read it. Its tests must not use `aws`, whose reset would wipe that
    state; pytest ends a module's fixtures before the next module's tests run, so no other test sees it."""
    with pytest.MonkeyPatch.context() as patch:
        yield _point_boto3_at_moto(moto_url, patch, tmp_path_factory.mktemp("aws"))
