"""The fleet `web` service: a tiny JSON HTTP API that fleet runs on its immutable hosts.

Standard library only, so the image needs no pip step. Every setting comes from environment variables, which the
host's boot script reads from SSM Parameter Store. Each request is logged as one JSON line on stdout, which the
host ships to CloudWatch Logs. SIGTERM stops accepting connections, lets in-flight requests finish and exits 0, so
taking an instance out of service loses no request.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
REQUEST_TIMEOUT_SECONDS = 10
PROBE_TIMEOUT_SECONDS = 2

logger = logging.getLogger("fleet.web")


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot run with."""


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, validated once at startup."""

    host: str = "0.0.0.0"
    port: int = 8080
    version: str = "unknown"
    service: str = "web"
    stack: str | None = None
    release: str | None = None
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read the settings; an empty variable counts as unset, as a blank SSM parameter should."""
        defaults = cls()

        def get(name: str) -> str | None:
            return env.get(name) or None

        return cls(
            host=get("HOST") or defaults.host,
            port=_parse_port(get("PORT"), defaults.port),
            version=get("APP_VERSION") or defaults.version,
            service=get("FLEET_SERVICE") or defaults.service,
            stack=get("FLEET_STACK"),
            release=get("FLEET_RELEASE"),
            log_level=_parse_log_level(get("LOG_LEVEL"), defaults.log_level),
        )

    def identity(self) -> dict[str, str | None]:
        """What this process is (never a secret): answered on /version and stamped on every log line."""
        return {"service": self.service, "version": self.version, "stack": self.stack, "release": self.release}


def _parse_port(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise SettingsError(f"PORT must be an integer from 1 to 65535, got {raw!r}")
    return port


def _parse_log_level(raw: str | None, default: str) -> str:
    level = (raw or default).upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level


Route = Callable[[Settings], dict[str, Any]]

ROUTES: dict[str, Route] = {
    "/": lambda settings: {"message": f"Hello from fleet {settings.service}", "version": settings.version},
    "/healthz": lambda _settings: {"status": "ok"},
    "/version": Settings.identity,
}


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line: CloudWatch Logs Insights parses the fields without a pattern."""

    def __init__(self, static_fields: Mapping[str, Any]) -> None:
        super().__init__()
        self.static_fields = dict(static_fields)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "message": record.getMessage(),
            **self.static_fields,
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(settings: Settings) -> None:
    """Send JSON lines to stdout, each tagged with the release so logs of old and new hosts stay apart."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLineFormatter(settings.identity()))
    logger.addHandler(handler)
    logger.setLevel(settings.log_level)
    logger.propagate = False


class WebServer(ThreadingHTTPServer):
    """A threading HTTP server whose close waits for in-flight requests: that wait is the drain."""

    daemon_threads = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__((settings.host, settings.port), RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("request failed", extra={"fields": {"client": client_address[0]}})


class RequestHandler(BaseHTTPRequestHandler):
    """Answers the routes in ROUTES with JSON; anything else is a JSON 404."""

    server: WebServer
    server_version = "fleet-web"
    timeout = REQUEST_TIMEOUT_SECONDS  # a stalled client cannot hold the drain hostage

    def version_string(self) -> str:
        """The Server header, without the Python version the standard library would advertise."""
        return self.server_version

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        route = ROUTES.get(path)
        if route is None:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found", "path": path})
        else:
            self._send_json(HTTPStatus.OK, route(self.server.settings))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer the standard library's own errors (malformed request, unsupported method) in JSON too."""
        self.close_connection = True
        status = HTTPStatus(code)
        self._send_json(status, {"error": message or status.phrase})

    def _send_json(self, status: HTTPStatus, body: Mapping[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer must carry no body, even an error's
            self.wfile.write(payload)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log every response, ours and the standard library's own errors alike, as one JSON line."""
        # `path` is unset when the request line itself could not be parsed.
        path = urlsplit(getattr(self, "path", "")).path
        fields = {"method": self.command, "path": path, "status": code, "client": self.client_address[0]}
        logger.info("request", extra={"fields": fields})

    def log_message(self, format: str, *args: Any) -> None:
        logger.warning(format, *args, extra={"fields": {"client": self.client_address[0]}})


def serve(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then stop accepting, finish in-flight requests and return 0."""
    try:
        server = WebServer(settings)
    except OSError as error:
        logger.error("cannot listen on %s:%d: %s", settings.host, settings.port, error)
        return 1

    def stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        # shutdown() waits for serve_forever() to return, so it must not run on the thread serving.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with server:
        logger.info("listening", extra={"fields": {"host": settings.host, "port": settings.port}})
        server.serve_forever()
    logger.info("stopped")
    return 0


def probe(settings: Settings) -> int:
    """Docker HEALTHCHECK without curl in the image: 0 only if this container's server answers /healthz."""
    host = "127.0.0.1" if settings.host == "0.0.0.0" else settings.host
    url = f"http://{host}:{settings.port}/healthz"
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with no_proxy.open(url, timeout=PROBE_TIMEOUT_SECONDS):
            return 0  # any status but 2xx raises HTTPError
    except OSError as error:
        print(f"fleet-web: {url} is unhealthy: {error}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server, or with --healthcheck probe one; exit 2 on a bad setting before binding anything."""
    parser = argparse.ArgumentParser(prog="fleet-web", description="The fleet web service.")
    parser.add_argument(
        "--healthcheck", action="store_true", help="probe the server on PORT and exit 0 if it is healthy"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as error:
        print(f"fleet-web: {error}", file=sys.stderr)
        return 2
    if args.healthcheck:
        return probe(settings)
    configure_logging(settings)
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
