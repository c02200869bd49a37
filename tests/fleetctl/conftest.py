"""Fixtures for fleetctl: a real git repository holding a fleet project, stack outputs, a stand-in Pulumi CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fleetctl.cli import main
from tests.fleetctl.fleetctl_samples import BOOT_SCRIPT, PROD, STAGING


@dataclass
class Project:
    """A fleet project in a git repository made with the real `git`."""

    root: Path

    def git(self, *args: str) -> str:
        result = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def write(self, path: str, text: str) -> None:
        file = self.root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)

    def read(self, path: str) -> str:
        return (self.root / path).read_text()

    def edit(self, path: str, old: str, new: str) -> None:
        """Replace one occurrence of `old` in a file (it must be there)."""
        text = self.read(path)
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
        self.write(path, text.replace(old, new))

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture(scope="session")
def committed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Staging (builds web and api) and prod (pins both by digest), a boot script, build contexts: committed, once
    per process; each test works on its own copy (`project`)."""
    project = Project(tmp_path_factory.mktemp("committed") / "project")
    project.root.mkdir()
    project.git("init", "-q", "-b", "main", "--template=")  # no sample hooks: fewer files for each copy
    project.git("config", "user.email", "fleet@example.com")
    project.git("config", "user.name", "fleet tests")
    project.git("config", "core.logAllRefUpdates", "false")
    project.write("Pulumi.yaml", "name: fleet\nruntime: python\n")
    project.write("Pulumi.staging.yaml", STAGING)
    project.write("Pulumi.prod.yaml", PROD)
    project.write("components/boot.sh", BOOT_SCRIPT)
    project.write("images/web/Dockerfile", "FROM python:3.11-slim\nCOPY app.py /app.py\n")
    project.write("images/web/app.py", "print('web 1')\n")
    project.write("images/api/Dockerfile", "FROM python:3.11-slim\n")
    project.write(".gitignore", "__pycache__/\n")
    project.commit("initial project")
    project.git("repack", "-a", "-d", "-q")  # one pack file, not a directory per object
    project.git("prune-packed")
    return project.root


@pytest.fixture
def project(committed_project: Path, tmp_path: Path) -> Project:
    """A copy of `committed_project` (its git repository with it) that this test may change as it likes."""
    root = tmp_path / "project"
    shutil.copytree(committed_project, root, symlinks=True)
    return Project(root)


@pytest.fixture
def write_outputs(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write stack outputs to a JSON file for `--from-outputs`."""

    def write(stack_outputs: dict[str, Any]) -> Path:
        path = tmp_path / f"outputs-{stack_outputs.get('stack', 'x')}.json"
        path.write_text(json.dumps(stack_outputs))
        return path

    return write


@dataclass
class PulumiStandIn:
    """A `pulumi` executable on PATH that prints recorded outputs per stack and logs its arguments."""

    directory: Path

    def record(self, stack: str, stack_outputs: dict[str, Any]) -> None:
        (self.directory / f"{stack}.json").write_text(json.dumps(stack_outputs))

    def calls(self) -> list[list[str]]:
        log = self.directory / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


PULUMI_SCRIPT = """\
#!{python}
import json, pathlib, sys
here = pathlib.Path(__file__).parent
with open(here / "calls.jsonl", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
stack = sys.argv[sys.argv.index("--stack") + 1]
sys.stdout.write((here / f"{{stack}}.json").read_text())
"""


@pytest.fixture
def pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PulumiStandIn:
    directory = tmp_path / "pulumi-bin"
    directory.mkdir()
    script = directory / "pulumi"
    script.write_text(PULUMI_SCRIPT.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return PulumiStandIn(directory)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def fleetctl(project: Project, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `fleetctl <args> --project-dir <project>` in-process; its exit code and output."""

    def run(*args: str | Path) -> Result:
        code = main([*map(str, args), "--project-dir", str(project.root)])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
