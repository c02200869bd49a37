"""Fixtures for the container images: run images/web/app.py as a real process on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.image.web_process import REPO, WEB_APP, RunningApp, app_env, free_port, http_request

STARTUP_TIMEOUT_SECONDS = 3.0
EXIT_TIMEOUT_SECONDS = 5.0


def _wait_until_answering(app: RunningApp) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            pytest.fail(f"app exited with {app.process.returncode} during startup: {app.stderr()}")
        try:
            http_request(app.base_url + "/healthz")
        except OSError:
            time.sleep(0.02)
        else:
            return
    pytest.fail(f"app did not answer on port {app.port} within {STARTUP_TIMEOUT_SECONDS}s: {app.stderr()}")


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    """Start the web app with the given environment variables and wait until it answers; kill it afterwards."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(**settings: str) -> RunningApp:
        port = free_port()
        stdout_path, stderr_path = tmp_path / f"{port}.stdout", tmp_path / f"{port}.stderr"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, str(WEB_APP)],
                env=app_env(HOST="127.0.0.1", PORT=str(port), **settings),
                stdout=stdout,
                stderr=stderr,
            )
        processes.append(process)
        app = RunningApp(process, port, stdout_path, stderr_path)
        _wait_until_answering(app)
        return app

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=EXIT_TIMEOUT_SECONDS)


def _run(argv: Sequence[str], cwd: Path, settings: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=app_env(**settings),
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture
def run_app() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run app.py to completion with the given arguments and environment, for the paths that exit on their own."""

    def run(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return _run([sys.executable, str(WEB_APP), *args], REPO, settings)

    return run


@pytest.fixture
def run_image_command() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a Dockerfile's exec-form command as the image would: in the image's folder (its WORKDIR's content),
    with this interpreter standing in for `python`.

    The tests cannot run Docker, so this is how a HEALTHCHECK or CMD written in a Dockerfile gets exercised.
    """

    def run(argv: Sequence[str], workdir: Path, **settings: str) -> subprocess.CompletedProcess[str]:
        program, *args = argv
        return _run([sys.executable if program == "python" else program, *args], workdir, settings)

    return run
