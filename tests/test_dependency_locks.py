"""The lock files pin, with hashes, exactly what the input ranges allow: a dependency changes only through a
reviewed regeneration of the locks, and a pull request that moves a range without it fails here.

requirements.txt and requirements-dev.txt are the input ranges (what Dependabot edits); requirements.lock and
requirements-dev.lock are what the README, CI and the workflows install with `--require-hashes`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.checkout import ROOT

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")
LOCKS = {"requirements.txt": "requirements.lock", "requirements-dev.txt": "requirements-dev.lock"}


def pins(lock: Path) -> dict[str, str]:
    """`name -> version` of every package a lock file installs."""
    return {
        canonicalize_name(match["name"]): match["version"]
        for line in lock.read_text().splitlines()
        if (match := PIN.match(line))
    }


def input_requirements(path: Path) -> list[Requirement]:
    """The requirements of an input file, following `-r` includes."""
    requirements = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            requirements += input_requirements(path.parent / line[3:].strip())
        elif line:
            requirements.append(Requirement(line))
    return requirements


def regenerate_command(lock: Path) -> str:
    """The command the lock file says generated it (uv writes it in the header)."""
    return lock.read_text().splitlines()[1].removeprefix("#").strip()


@pytest.mark.parametrize(("ranges", "lock"), LOCKS.items())
def test_every_input_requirement_is_pinned_in_its_lock_within_its_range(ranges, lock):
    locked = pins(ROOT / lock)

    outside = {
        str(requirement): locked.get(canonicalize_name(requirement.name))
        for requirement in input_requirements(ROOT / ranges)
        if locked.get(canonicalize_name(requirement.name)) not in requirement.specifier
    }

    assert outside == {}, f"regenerate {lock} (README, Dependencies): these ranges are not met"


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_pinned_package_carries_its_hashes(lock):
    text = (ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])

    assert [entry.split(" ", 1)[0] for entry in entries if "--hash=sha256:" not in entry] == []
    assert len(entries) == len(pins(ROOT / lock))


def test_the_program_runs_with_the_versions_the_tests_ran_with():
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")

    assert {name: (version, dev.get(name)) for name, version in runtime.items() if dev.get(name) != version} == {}


@pytest.mark.parametrize("lock", LOCKS.values())
def test_the_readme_gives_the_command_that_generated_each_lock(lock):
    assert regenerate_command(ROOT / lock) in (ROOT / "README.md").read_text()
