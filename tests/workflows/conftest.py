"""Fixtures for the offline checks of the GitHub Actions workflows: paths, parsed workflows, the tools."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"


def load_workflow(path: Path) -> dict[str, Any]:
    """Parse as YAML 1.2, as GitHub does: `on:` stays the string "on" instead of YAML 1.1's boolean."""
    document = YAML(typ="safe", pure=True).load(path.read_text())
    assert isinstance(document, dict), f"{path} is not a YAML mapping"
    return document


@pytest.fixture(scope="session")
def workflow_paths() -> list[Path]:
    """Every workflow file, so a new one is covered by the lint tests without editing them."""
    paths = sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])
    assert paths, f"no workflow files in {WORKFLOW_DIR}"
    return paths


@pytest.fixture(scope="session")
def dependabot_path() -> Path:
    """Dependabot's config, which keeps the SHA pins of the actions current."""
    return REPO_ROOT / ".github" / "dependabot.yml"


@pytest.fixture(scope="session")
def workflows(workflow_paths: list[Path]) -> dict[str, dict[str, Any]]:
    """Parsed workflows by file name."""
    return {path.name: load_workflow(path) for path in workflow_paths}


@pytest.fixture(scope="session")
def preview(workflows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return workflows["preview.yml"]


@pytest.fixture(scope="session")
def deploy(workflows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return workflows["deploy.yml"]


@pytest.fixture(scope="session")
def scheduled_audit(workflows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return workflows["audit.yml"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout the workflows run in: their relative paths (policy pack, .venv) resolve against it."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    """Path of a command-line tool installed next to the running interpreter (its virtualenv), else on PATH."""

    def path_of(name: str) -> str:
        bin_dir = str(Path(sys.executable).parent)
        executable = shutil.which(name, path=bin_dir) or shutil.which(name)
        assert executable, f"{name} is not installed in {bin_dir} nor on PATH (see requirements-dev.txt)"
        return executable

    return path_of
