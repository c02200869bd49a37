"""The README's two set-up commands stay true: the first installs fleet from requirements.lock and runs `fleetctl plan
staging` without touching AWS; CI runs exactly the second, the test command a newcomer is told to run."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.checkout import ROOT
from tests.test_dependency_locks import pins

INSTALL = (
    "python3 -m venv .venv && .venv/bin/pip install --require-hashes -r {lock} && .venv/bin/pip install --no-deps -e ."
)


def setup_commands() -> list[str]:
    """The README's `sh` blocks of *Set up*, in order: the install-and-run command, then the test command."""
    section = (ROOT / "README.md").read_text().split("\n## Set up\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_the_readme_sets_up_with_exactly_two_commands():
    assert len(setup_commands()) == 2


def test_the_first_command_installs_fleet_from_the_runtime_lock_and_plans_staging():
    assert setup_commands()[0] == f"{INSTALL.format(lock='requirements.lock')} && .venv/bin/fleetctl plan staging"


def test_the_second_command_installs_the_dev_lock_and_runs_the_tests():
    assert setup_commands()[1] == f"{INSTALL.format(lock='requirements-dev.lock')} && .venv/bin/pytest"


def test_ci_runs_the_readmes_test_command_verbatim():
    assert setup_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A local port bound but not listening: a connection to it is refused at once."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


# Runs `fleetctl plan staging` where only the distributions of requirements.lock (argv[1], JSON) can be imported, as
# in a virtualenv the first set-up command made: a module of any other installed distribution is not found.
PLAN_WITH_RUNTIME_LOCK_ONLY = """
import importlib.abc, importlib.metadata, json, sys
from packaging.utils import canonicalize_name
locked = set(json.loads(sys.argv[1])) | {"fleet"}
unlocked = {
    module
    for module, distributions in importlib.metadata.packages_distributions().items()
    if module not in sys.stdlib_module_names and not locked & {canonicalize_name(d) for d in distributions}
}
class OnlyTheRuntimeLock(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in unlocked:
            raise ModuleNotFoundError(f"No module named {name!r} (not in requirements.lock)", name=name)
        return None
sys.meta_path.insert(0, OnlyTheRuntimeLock())
from fleetctl.cli import main
sys.exit(main(["plan", "staging"]))
"""


@pytest.fixture(scope="module")
def offline_plan(closed_port: int, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`fleetctl plan staging` run with AWS unreachable (no credentials, no config, every endpoint a refused port,
    no instance metadata), no Pulumi CLI on the PATH, and only the runtime lock's distributions importable."""
    home = tmp_path_factory.mktemp("home")
    environment = {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(home),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port}",
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "PULUMI_HOME": str(home / "pulumi"),
        **{key: value for key, value in os.environ.items() if key in {"SYSTEMROOT", "TZ", "LANG"}},
    }
    result = subprocess.run(
        [sys.executable, "-c", PLAN_WITH_RUNTIME_LOCK_ONLY, json.dumps(sorted(pins(ROOT / "requirements.lock")))],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return {"code": result.returncode, "out": result.stdout, "err": result.stderr}


def test_fleetctl_plan_staging_runs_on_the_runtime_lock_alone_with_aws_unreachable_and_no_credentials(offline_plan):
    assert offline_plan["code"] == 0, offline_plan["err"]
    assert offline_plan["out"].startswith("Plan of stack staging:")
    assert "\nweb\n" in offline_plan["out"]


def test_the_quickstart_deploys_in_order_login_stacks_config_host_images_staging_promote_prod():
    section = (ROOT / "README.md").read_text().split("\n## Deploy", 1)[1].split("\n## ", 1)[0]
    steps = [
        "pulumi login",
        "pulumi stack init staging",
        "pulumi config set --stack staging",
        ".venv/bin/fleetctl host-image staging",
        "pulumi up --stack staging",
        ".venv/bin/fleetctl promote staging prod",
        "pulumi up --stack prod",
    ]

    positions = [section.find(f"\n{step}") for step in steps]

    assert -1 not in positions
    assert positions == sorted(positions)


def test_the_quickstart_names_the_host_image_that_carries_docker_and_the_aws_cli():
    from fleetctl.commands.host_image import RECOMMENDED_IMAGE

    section = (ROOT / "README.md").read_text().split("\n## Deploy", 1)[1].split("\n## ", 1)[0]

    assert "ECS-optimized Amazon Linux 2023 AMI" in section
    assert all("/ecs/optimized-ami/amazon-linux-2023/" in parameter for parameter in RECOMMENDED_IMAGE.values())
