"""The deploy workflow's "does prod need an update?" step, run as GitHub runs it against real git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "fleet tests",
    "GIT_AUTHOR_EMAIL": "tests@fleet.invalid",
    "GIT_COMMITTER_NAME": "fleet tests",
    "GIT_COMMITTER_EMAIL": "tests@fleet.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Repo:
    """A throwaway git repository standing in for the checkout of main."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_IDENTITY}
        result = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def commit(self, files: dict[str, str]) -> str:
        for name, content in files.items():
            (self.path / name).write_text(content)
        self.git("add", *files)
        self.git("commit", "--quiet", "--allow-empty", "-m", "change")
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@pytest.fixture
def prod_config_changed(deploy: dict[str, Any], repo: Repo, tmp_path: Path) -> Any:
    """Run the step's script with GitHub's `shell: bash` flags and return the `changed` output it writes."""
    [step] = [step for step in deploy["jobs"]["changes"]["steps"] if step.get("id") == "prod-config"]
    assert step["shell"] == "bash"
    script = tmp_path / "prod-config.sh"
    script.write_text(step["run"])

    def run(base: str, head: str) -> str:
        output = tmp_path / "github_output"
        output.write_text("")
        env = {**os.environ, "BASE": base, "HEAD_SHA": head, "GITHUB_OUTPUT": str(output)}
        command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        subprocess.run(command, cwd=repo.path, env=env, capture_output=True, text=True, check=True, timeout=10)
        [line] = output.read_text().splitlines()
        name, _, value = line.partition("=")
        assert name == "changed"
        return value

    return run


def test_prod_changed_when_pulumi_prod_yaml_changed_in_any_commit_since_the_last_deploy(
    repo: Repo, prod_config_changed: Any
) -> None:
    base = repo.commit({"Pulumi.prod.yaml": "version: 1\n", "Pulumi.staging.yaml": "version: 1\n"})
    repo.commit({"Pulumi.prod.yaml": "version: 2\n"})
    head = repo.commit({"Pulumi.staging.yaml": "version: 3\n"})
    assert prod_config_changed(base, head) == "true"


def test_prod_unchanged_when_only_other_files_changed(repo: Repo, prod_config_changed: Any) -> None:
    base = repo.commit({"Pulumi.prod.yaml": "version: 1\n", "Pulumi.staging.yaml": "version: 1\n"})
    head = repo.commit({"Pulumi.staging.yaml": "version: 2\n", "__main__.py": "print()\n"})
    assert prod_config_changed(base, head) == "false"


def test_prod_unchanged_when_a_change_was_reverted_before_the_deploy(repo: Repo, prod_config_changed: Any) -> None:
    base = repo.commit({"Pulumi.prod.yaml": "version: 1\n"})
    repo.commit({"Pulumi.prod.yaml": "version: 2\n"})
    head = repo.commit({"Pulumi.prod.yaml": "version: 1\n"})
    assert prod_config_changed(base, head) == "false"


def test_prod_changed_when_no_deploy_succeeded_before(repo: Repo, prod_config_changed: Any) -> None:
    head = repo.commit({"Pulumi.prod.yaml": "version: 1\n"})
    assert prod_config_changed("", head) == "true"


def test_prod_changed_when_the_last_deployed_commit_was_force_pushed_away(repo: Repo, prod_config_changed: Any) -> None:
    root = repo.commit({"Pulumi.prod.yaml": "version: 1\n"})
    abandoned = repo.commit({"__main__.py": "print(1)\n"})
    repo.git("reset", "--quiet", "--hard", root)
    head = repo.commit({"__main__.py": "print(2)\n"})
    assert prod_config_changed(abandoned, head) == "true"


def test_prod_changed_when_the_last_deployed_commit_is_unknown(repo: Repo, prod_config_changed: Any) -> None:
    head = repo.commit({"Pulumi.prod.yaml": "version: 1\n"})
    assert prod_config_changed("0" * 40, head) == "true"
