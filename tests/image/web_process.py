"""A web app process under test and the HTTP client that talks to it (shared by conftest and the tests)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "images"
WEB_APP = IMAGES / "web" / "app.py"

# Loopback requests must never go through a proxy configured for the machine running the tests.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: Any


def http_request(url: str, method: str = "GET") -> Response:
    """Call a JSON endpoint, returning error statuses instead of raising, so tests can assert on them."""
    try:
        with _NO_PROXY.open(urllib.request.Request(url, method=method), timeout=2) as reply:
            return Response(reply.status, reply.headers.get_content_type(), json.load(reply))
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.headers.get_content_type(), json.load(error))


def app_env(**settings: str) -> dict[str, str]:
    """A clean environment holding only `settings`, so nothing from the test runner's environment leaks in."""
    return {"PATH": os.environ.get("PATH", ""), **settings}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningApp:
    process: subprocess.Popen[bytes]
    port: int
    stdout_path: Path
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Response:
        return http_request(self.base_url + path)

    def post(self, path: str) -> Response:
        return http_request(self.base_url + path, method="POST")

    def wait_until_refusing_connections(self, timeout: float = 2.0) -> None:
        """Return once the listening socket is closed, i.e. the server has stopped taking new requests (a probe
        whose handshake the closing listener cuts short is reset rather than refused)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except (ConnectionRefusedError, ConnectionResetError):
                return
            time.sleep(0.02)
        raise AssertionError(f"port {self.port} still accepts connections after {timeout}s")

    def wait_until_accepted(self, client: socket.socket, timeout: float = 5.0) -> None:
        """Return once the app has accepted `client`'s connection: the kernel completes the handshake before the app
        accepts, and a connection still queued when the listener closes is reset. Linux: the connection's socket in
        /proc/net/tcp is one of the app's open files (/proc/PID/fd) once accepted."""
        client_port = client.getsockname()[1]
        connection = f"{self.port:04X} 0100007F:{client_port:04X}"  # local port, then the client's address
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            open_files = {os.readlink(fd) for fd in Path(f"/proc/{self.process.pid}/fd").iterdir()}
            for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
                fields = row.split()
                if f"{fields[1].split(':')[1]} {fields[2]}" == connection and f"socket:[{fields[9]}]" in open_files:
                    return
            time.sleep(0.01)
        raise AssertionError(f"the app did not accept the connection from port {client_port} within {timeout}s")

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON lines the app wrote to stdout; fails the test on any line that is not JSON."""
        return [json.loads(line) for line in self.stdout_path.read_text().splitlines()]

    def stderr(self) -> str:
        return self.stderr_path.read_text()
