"""How fleetctl ends when AWS cannot be reached, refuses the credentials, or its reader stops reading.

boto3 reads its endpoint, region and credentials from the environment once per process (its default session), so
each failure is first shown in its own process (`python -m fleetctl`), as a user runs it; every command then shows it
through `fleetctl.cli.main` in this process with a fresh default session and environment (a process each costs a
second or more). A closed pipe is only real between two processes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from fleetctl.cli import main
from tests.fleetctl.fleetctl_samples import outputs, release

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
LIVE_TARGET_GROUP = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/web-live/73e2d6bc24d8a067"
CANARY_TARGET_GROUP = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/web-canary/83e2d6bc24d8a067"


def closed_port() -> int:
    """A local port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prod_outputs() -> dict[str, Any]:
    """Prod's outputs: web live on 1.0.0 with its groups, and a canary of 1.1.0."""
    stack = outputs("prod", {"web": [release("web", "1.0.0")]})
    web = stack["services"]["web"]
    web["targetGroupArn"] = LIVE_TARGET_GROUP
    web["release"].update(asgName="web-live-asg", launchTemplateId="lt-0123456789abcdef0", launchTemplateVersion=1)
    web["canary"] = {
        **release("web", "1.1.0"),
        "weight": 10,
        "targetGroupArn": CANARY_TARGET_GROUP,
        "asgName": "web-canary-asg",
        "launchTemplateId": "lt-0123456789abcdef1",
        "launchTemplateVersion": 1,
    }
    return stack


def prod_export() -> dict[str, Any]:
    """`pulumi stack export` of prod: the root stack resource holding its outputs."""
    root = {"urn": "urn:pulumi:prod::fleet::pulumi:pulumi:Stack::fleet-prod", "type": "pulumi:pulumi:Stack"}
    return {"version": 3, "deployment": {"resources": [{**root, "outputs": prod_outputs()}]}}


@pytest.fixture
def files(project, tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "outputs.json").write_text(json.dumps(prod_outputs()))
    (tmp_path / "export.json").write_text(json.dumps(prod_export()))
    return {"project": project.root, "outputs": tmp_path / "outputs.json", "export": tmp_path / "export.json"}


AWS_COMMANDS = {
    "audit": ["audit", "--stack", "prod", "--from-export", "{export}"],
    "retain": ["retain", "prod", "--from-outputs", "{outputs}"],
    "host-image": ["host-image", "prod"],
    "canary-status": ["canary", "status", "prod", "--from-outputs", "{outputs}"],
}


def command_line(arguments: list[str], files: dict[str, Path]) -> list[str]:
    """The arguments with the sample files filled in, and the project."""
    command = [part.format(**{name: str(path) for name, path in files.items()}) for part in arguments]
    return [*command, "--project-dir", str(files["project"])]


def fleetctl(arguments: list[str], files: dict[str, Path], environment: dict[str, str]) -> subprocess.CompletedProcess:
    """A fleetctl process, in the environment without the developer's AWS settings plus `environment`."""
    keep = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "fleetctl", *command_line(arguments, files)],
        cwd=REPO,
        env={**keep, **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def no_aws_config(tmp_path: Path) -> dict[str, str]:
    """No profile, config or credentials file of the developer's; no instance metadata to find credentials in."""
    return {
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_REGION": "eu-west-1",
    }


@pytest.fixture
def in_process(files, monkeypatch) -> Callable[[list[str], dict[str, str]], tuple[int, str]]:
    """`fleetctl.cli.main` as a new process would run it: only `environment`'s AWS settings, a new boto3 default
    session. Its exit code and stderr."""

    def run(arguments: list[str], environment: dict[str, str]) -> tuple[int, str]:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            monkeypatch.delenv(name)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            code = main(command_line(arguments, files))
        return code, stderr.getvalue()

    return run


def unreachable_aws(tmp_path: Path) -> dict[str, str]:
    """Credentials, but an endpoint that refuses every connection."""
    return {
        **no_aws_config(tmp_path),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def no_credentials(tmp_path: Path) -> dict[str, str]:
    """No credentials anywhere boto3 looks (and an endpoint that would refuse them anyway)."""
    return {**no_aws_config(tmp_path), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}


def test_a_fleetctl_process_that_cannot_reach_aws_exits_2_with_one_line(files, tmp_path):
    result = fleetctl(AWS_COMMANDS["audit"], files, unreachable_aws(tmp_path))

    assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
    assert "cannot reach AWS" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_fleetctl_process_without_credentials_exits_2_with_one_line_saying_how_to_set_them(files, tmp_path):
    result = fleetctl(AWS_COMMANDS["host-image"], files, no_credentials(tmp_path))

    assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
    assert "no usable AWS credentials" in result.stderr
    assert "AWS_PROFILE" in result.stderr


@pytest.mark.parametrize("command", AWS_COMMANDS.values(), ids=AWS_COMMANDS.keys())
def test_unreachable_aws_is_one_line_and_exit_code_2(command, in_process, tmp_path):
    code, stderr = in_process(command, unreachable_aws(tmp_path))

    assert (code, stderr.count("\n")) == (2, 1), stderr
    assert "cannot reach AWS" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("command", AWS_COMMANDS.values(), ids=AWS_COMMANDS.keys())
def test_missing_credentials_are_one_line_saying_how_to_set_them_and_exit_code_2(command, in_process, tmp_path):
    code, stderr = in_process(command, no_credentials(tmp_path))

    assert (code, stderr.count("\n")) == (2, 1), stderr
    assert "no usable AWS credentials" in stderr
    assert "AWS_PROFILE" in stderr


def into_a_closed_pipe(arguments: list[str], files: dict[str, Path]) -> tuple[int, str]:
    """`fleetctl ARGUMENTS | head` once head has exited: stdout is a real pipe whose reading end is closed before
    fleetctl writes (as it is when `head -1` has its line while fleetctl still prints). Exit code and stderr."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "fleetctl", *command_line(arguments, files)],
            cwd=REPO,
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(writing)
    return result.returncode, result.stderr


def test_a_plan_whose_reader_has_gone_ends_quietly(files):
    assert into_a_closed_pipe(["plan", "staging"], files) == (141, "")


def test_an_audit_json_whose_reader_has_gone_ends_quietly(files, aws):
    assert into_a_closed_pipe(["audit", "--stack", "prod", "--from-export", "{export}", "--json"], files) == (141, "")
