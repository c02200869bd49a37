"""Fixtures on the program harness (`fleetctl.simulation`): the real `__main__.py` run under the SDK's mocks."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleetctl.simulation import ProgramRun, reset_runtime, run_program, run_update
from tests.checkout import ROOT, stack_file

pytest_plugins = ["tests.moto_server"]  # the `moto_url` and `aws` fixtures: a real moto_server for boto3


@pytest.fixture
def staging_config() -> dict[str, Any]:
    return stack_file("staging")


@pytest.fixture
def prod_config() -> dict[str, Any]:
    return stack_file("prod")


@pytest.fixture
def staging_outputs() -> Callable[..., dict[str, Any]]:
    """Staging's outputs as prod's promotion guard reads them, having deployed the image in prod's stack file."""

    def outputs(image_ref: str | None = None) -> dict[str, Any]:
        ref = image_ref or stack_file("prod")["fleet:services"]["web"]["image"]["ref"]
        entry = {"releaseId": "0123456789ab", "version": "1.0.0", "imageRef": ref}
        return {"services": {"web": {"release": entry, "history": [entry]}}}

    return outputs


@pytest.fixture(autouse=True)
def _fresh_pulumi_runtime() -> Iterator[None]:
    """Each program run starts from an empty runtime: no config, no root stack left over from the last test."""
    yield
    reset_runtime()


@pytest.fixture
def program() -> Callable[..., ProgramRun]:
    """`program(stack, config, ...)`: run the real program of this repository under mocks (see `run_program`)."""
    return partial(run_program, project_root=ROOT)


@pytest.fixture
def update() -> Callable[..., ProgramRun]:
    """`update(stack, config, last, ...)`: run the program as the next update after `last` (see `run_update`)."""
    return partial(run_update, project_root=ROOT)


@pytest.fixture
def with_service() -> Callable[..., dict[str, Any]]:
    """`with_service(config, **settings)`: a copy of a stack config whose `web` service has `settings` merged in."""

    def change(config: dict[str, Any], service: str = "web", **settings: Any) -> dict[str, Any]:
        changed = copy.deepcopy(config)
        target = changed["fleet:services"][service]
        for key, value in settings.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                target[key] = {**target[key], **value}
            else:
                target[key] = value
        return changed

    return change


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the program, its boot script and build contexts, where a test writes its own stack file."""
    shutil.copy(ROOT / "__main__.py", tmp_path)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    (tmp_path / "components").mkdir()
    shutil.copy(ROOT / "components" / "boot.sh", tmp_path / "components")
    shutil.copytree(ROOT / "images", tmp_path / "images", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.fixture
def deploy(program: Callable[..., ProgramRun], project: Path) -> Callable[..., ProgramRun]:
    """`deploy(settings, secrets=...)`: staging with these settings written to its stack file, then run."""

    def run(settings: dict[str, Any], secrets: dict[str, str] | None = None, **options: Any) -> ProgramRun:
        written = copy.deepcopy(stack_file("staging"))
        written["fleet:services"]["web"]["settings"] = settings
        (project / "Pulumi.staging.yaml").write_text(yaml.safe_dump({"config": written}))
        passed = copy.deepcopy(written)
        for name, value in (secrets or {}).items():
            passed["fleet:services"]["web"]["settings"][name] = value
        secret_keys = ["fleet:services"] if secrets else []
        return program("staging", passed, project_root=project, secret_keys=secret_keys, **options)

    return run
