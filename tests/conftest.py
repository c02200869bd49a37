"""Fixtures on the program harness (`fleetctl.simulation`): the real `__main__.py` run under the SDK's mocks."""

from __future__ import annotations

import copy
import dataclasses
import gc
import shutil
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pulumi.runtime.resource
import pytest
import yaml
from pulumi.runtime.proto import source_pb2

from fleetctl.simulation import ProgramRun, reset_runtime, run_program, run_update
from tests.checkout import ROOT, stack_file

pytest_plugins = ["tests.moto_server"]  # the `moto_url` and `aws` fixtures: a real moto_server for boto3


def pytest_configure() -> None:
    """Keep what pytest compiles in `__pycache__` (git ignores it), even where PYTHONDONTWRITEBYTECODE is set, as it
    is on the team's machines: pytest compiles each test module it imports with its asserts rewritten, and without
    the cache every xdist worker did that again for the whole suite on every run (~2.5 s of CPU each). A cached
    module is used only while its source is unchanged (size and mtime), as Python's own caches are."""
    sys.dont_write_bytecode = False


YOUNG_COLLECTION_THRESHOLD = 5000
"""Allocations between two collections of the youngest generation (Python's default: 700)."""
OLD_COLLECTION_THRESHOLD = 1000
"""Collections of the middle generation before the oldest is collected (default: 10)."""


def pytest_collection_finish() -> None:
    """The garbage collector of a test process, tuned for what it holds: the objects of some 1,600 modules (the SDK,
    the AWS provider, botocore: what collection imported) and, once tests have run, the remembered program runs.
    Each collection of the oldest generation scanned all of it: ~0.4 s each; collections took some 8 s of the two
    workers' time in all (measured with `gc.callbacks` on the whole suite), for almost no garbage, as what is
    imported lives as long as the process.

    So what collection imported is frozen (`gc.freeze`: never scanned again, never freed, as it would not be), and
    the thresholds let fewer collections scan more: cyclic garbage is still freed, later. A program run turns the
    collector off while it runs (`__main__.py`) and on after (`fleetctl.simulation`); that stays as it is."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, 10, OLD_COLLECTION_THRESHOLD)


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


@pytest.fixture(scope="session", autouse=True)
def _registrations_without_stack_traces() -> Iterator[None]:
    """The SDK sends the engine, with each resource it registers, the Python stack that declared it (`sourcePosition`
    and `stackTrace`: where `pulumi preview` says a resource came from); the mock monitor reads neither, and under
    pytest that stack is some 60 frames, each read from its file and turned into a URI: a fifth of a program run's
    time. Here registrations carry an empty stack (`_get_stack_trace`, pulumi/runtime/resource.py, in SDK 3.272.0),
    what the SDK itself sends when it finds no resource constructor on the stack. Inputs, options, dependencies and
    the order of registration are the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pulumi.runtime.resource, "_get_stack_trace", source_pb2.StackTrace)
        yield


@pytest.fixture(autouse=True)
def _fresh_pulumi_runtime() -> Iterator[None]:
    """Each program run starts from an empty runtime: no config, no root stack left over from the last test."""
    yield
    reset_runtime()


REMEMBERED_RUNS = 64
"""How many runs of the program one test process keeps (the most recently used)."""

_remembered: OrderedDict[str, ProgramRun] = OrderedDict()
_REMEMBERABLE = {"stack_outputs", "live_desired", "live_min", "secret_keys", "now"}


def _copy(run: ProgramRun) -> ProgramRun:
    """A run whose data a test may change without changing what another test is given."""
    return ProgramRun(
        resources=[dataclasses.replace(resource, inputs=copy.deepcopy(resource.inputs)) for resource in run.resources],
        outputs=copy.deepcopy(run.outputs),
        invokes=copy.deepcopy(run.invokes),
    )


def run_remembered(stack: str, config: dict[str, Any], *, project_root: Path = ROOT, **options: Any) -> ProgramRun:
    """`run_program` of this repository, remembered in this process: given what a run before was given (stack,
    config, other stacks' outputs, live capacities and min sizes, secret keys: `repr`, so order and types count), it
    returns a copy of that run's declarations instead of evaluating the program again.

    That is the same run: the program reads nothing else (no environment variable, only this repository's files,
    which no test writes; its clock, `fleet.clock`, is the `now` given, or for a run without one the time of the
    first evaluation, which the times in its outputs keep), and its evaluation in one process is deterministic. Runs
    with their own mocks or monitor (a test looking at the evaluation itself), in another project directory, and
    runs that fail are not remembered; nor does a test that changes the program's code get a remembered run (see
    `program`).
    """
    if project_root != ROOT or not options.keys() <= _REMEMBERABLE:
        return run_program(stack, config, project_root=project_root, **options)
    key = repr((stack, config, *(options.get(name) for name in sorted(_REMEMBERABLE))))
    if key in _remembered:
        _remembered.move_to_end(key)
    else:
        _remembered[key] = _copy(run_program(stack, config, project_root=ROOT, **options))
        if len(_remembered) > REMEMBERED_RUNS:
            _remembered.popitem(last=False)
    return _copy(_remembered[key])


def _runner(request: pytest.FixtureRequest) -> Callable[..., ProgramRun]:
    """Remembered runs, except in a test that uses `monkeypatch` (how the tests change the program's code to declare
    a broken variant): each of its runs evaluates the program as it is at that moment."""
    if "monkeypatch" in request.fixturenames:
        return partial(run_program, project_root=ROOT)
    return run_remembered


@pytest.fixture
def program(request: pytest.FixtureRequest) -> Callable[..., ProgramRun]:
    """`program(stack, config, ...)`: run the real program of this repository under mocks (see `run_program`;
    remembered, see `run_remembered`)."""
    return _runner(request)


@pytest.fixture
def update(request: pytest.FixtureRequest) -> Callable[..., ProgramRun]:
    """`update(stack, config, last, ...)`: run the program as the next update after `last` (see `run_update`;
    remembered, see `run_remembered`)."""
    return partial(run_update, project_root=ROOT, run=_runner(request))


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
