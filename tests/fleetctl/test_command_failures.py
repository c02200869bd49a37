"""How fleetctl ends when AWS cannot be reached, refuses the credentials, or its reader stops reading.

Each command runs in its own process (`python -m fleetctl`), as a user runs it: boto3 reads its endpoint, region
and credentials from the environment once per process, and a closed pipe is only real between two processes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


def fleetctl(arguments: list[str], files: dict[str, Path], environment: dict[str, str]) -> subprocess.CompletedProcess:
    command = [part.format(**{name: str(path) for name, path in files.items()}) for part in arguments]
    keep = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "fleetctl", *command, "--project-dir", str(files["project"])],
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


@pytest.mark.parametrize("command", AWS_COMMANDS.values(), ids=AWS_COMMANDS.keys())
def test_unreachable_aws_is_one_line_and_exit_code_2(command, files, tmp_path):
    environment = {
        **no_aws_config(tmp_path),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }

    result = fleetctl(command, files, environment)

    assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
    assert "cannot reach AWS" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", AWS_COMMANDS.values(), ids=AWS_COMMANDS.keys())
def test_missing_credentials_are_one_line_saying_how_to_set_them_and_exit_code_2(command, files, tmp_path):
    environment = {**no_aws_config(tmp_path), "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}"}

    result = fleetctl(command, files, environment)

    assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
    assert "no usable AWS credentials" in result.stderr
    assert "AWS_PROFILE" in result.stderr


def into_a_closed_pipe(arguments: list[str], files: dict[str, Path]) -> tuple[int, str]:
    """`fleetctl ARGUMENTS | head` once head has exited: stdout is a real pipe whose reading end is closed before
    fleetctl writes (as it is when `head -1` has its line while fleetctl still prints). Exit code and stderr."""
    command = [part.format(**{name: str(path) for name, path in files.items()}) for part in arguments]
    reading, writing = os.pipe()
    os.close(reading)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "fleetctl", *command, "--project-dir", str(files["project"])],
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
