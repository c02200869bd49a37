"""The web service as the host runs it: a real process configured by environment variables, stopped by SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Callable

import pytest

from tests.image.web_process import RunningApp

StartApp = Callable[..., RunningApp]
RunApp = Callable[..., subprocess.CompletedProcess[str]]

RELEASE_ENV = {
    "APP_VERSION": "1.4.2",
    "FLEET_SERVICE": "web",
    "FLEET_STACK": "staging",
    "FLEET_RELEASE": "3f2a9c1b7d4e",
}


@pytest.fixture
def app(start_app: StartApp) -> RunningApp:
    return start_app(**RELEASE_ENV)


def test_healthz_answers_ok(app: RunningApp) -> None:
    response = app.get("/healthz")

    assert (response.status, response.content_type, response.body) == (200, "application/json", {"status": "ok"})


def test_version_reports_the_release_identity_from_the_environment(app: RunningApp) -> None:
    response = app.get("/version")

    assert response.status == 200
    assert response.body == {"service": "web", "version": "1.4.2", "stack": "staging", "release": "3f2a9c1b7d4e"}


def test_version_reports_unset_identity_as_null(start_app: StartApp) -> None:
    response = start_app(APP_VERSION="2.0.0").get("/version")

    assert response.body == {"service": "web", "version": "2.0.0", "stack": None, "release": None}


def test_root_greets_with_service_and_version(start_app: StartApp) -> None:
    response = start_app(APP_VERSION="1.4.2", FLEET_SERVICE="api").get("/")

    assert response.status == 200
    assert response.body == {"message": "Hello from fleet api", "version": "1.4.2"}


def test_routes_ignore_the_query_string(app: RunningApp) -> None:
    assert app.get("/healthz?probe=alb").body == {"status": "ok"}


def test_unknown_path_is_a_json_404(app: RunningApp) -> None:
    response = app.get("/nope?x=1")

    assert (response.status, response.content_type) == (404, "application/json")
    assert response.body == {"error": "not found", "path": "/nope"}


def test_unsupported_method_is_a_json_error(app: RunningApp) -> None:
    response = app.post("/healthz")

    assert (response.status, response.content_type) == (501, "application/json")
    assert response.body == {"error": "Unsupported method ('POST')"}


def test_each_request_is_one_json_log_line_on_stdout_tagged_with_the_release(app: RunningApp) -> None:
    app.get("/version")
    app.get("/missing")

    requests = [line for line in app.log_lines() if line["message"] == "request" and line["path"] != "/healthz"]

    assert [(line["method"], line["path"], line["status"]) for line in requests] == [
        ("GET", "/version", 200),
        ("GET", "/missing", 404),
    ]
    assert all(line["release"] == "3f2a9c1b7d4e" and line["version"] == "1.4.2" for line in requests)


def test_log_level_warning_silences_request_logs(start_app: StartApp) -> None:
    app = start_app(LOG_LEVEL="warning")
    app.get("/")

    assert app.log_lines() == []


@pytest.mark.parametrize("port", ["http", "0", "65536", "-1", "80.5"])
def test_invalid_port_exits_nonzero_naming_port(run_app: RunApp, port: str) -> None:
    result = run_app(PORT=port)

    assert result.returncode == 2
    assert f"PORT must be an integer from 1 to 65535, got {port!r}" in result.stderr


def test_invalid_log_level_exits_nonzero_naming_log_level(run_app: RunApp) -> None:
    result = run_app(LOG_LEVEL="chatty")

    assert result.returncode == 2
    assert "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got 'chatty'" in result.stderr


def test_port_already_in_use_exits_nonzero_naming_the_address(app: RunningApp, run_app: RunApp) -> None:
    result = run_app(HOST="127.0.0.1", PORT=str(app.port))

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{app.port}" in result.stdout


def test_sigterm_stops_the_server_and_exits_zero_promptly(app: RunningApp) -> None:
    app.process.send_signal(signal.SIGTERM)

    assert app.process.wait(timeout=2) == 0
    assert [line["message"] for line in app.log_lines()][-2:] == ["stopping", "stopped"]


def test_sigterm_lets_an_in_flight_request_finish_before_exiting(app: RunningApp) -> None:
    with socket.create_connection(("127.0.0.1", app.port), timeout=2) as client:
        client.sendall(b"GET /healthz HTTP/1.0\r\n")  # the request is under way: its headers are not finished
        app.wait_until_accepted(client)  # the server has the connection before it is told to stop
        app.process.send_signal(signal.SIGTERM)
        app.wait_until_refusing_connections()
        client.sendall(b"\r\n")
        reply = client.makefile("rb").read()

    assert reply.startswith(b"HTTP/1.0 200 OK")
    assert app.process.wait(timeout=2) == 0
