"""A build is stable across checkouts and never pushes a tag that exists: a rebuild always pushes a new tag.

pulumi-docker rebuilds and pushes whenever its checked inputs change (see fleet/build_tag.py for the sources), and
the repository's tags are IMMUTABLE. These tests run the real program from two copies of the project to show what
the provider would diff: the image's inputs, the build context's files and the tag.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from fleet.build_tag import MAX_TAG_LENGTH, build_tag
from fleet.resource_types import DOCKER_IMAGE
from tests.checkout import ROOT, stack_file

PROJECT_FILES = ("__main__.py", "Pulumi.yaml", "Pulumi.staging.yaml", "components", "fleet", "images")


def checkout(destination: Path) -> Path:
    """A copy of the project's program files at another path, as another clone would be."""
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            destination.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


@pytest.fixture
def image_inputs(program):
    """`image_inputs(project, config=None)`: what the staging program gives pulumi-docker when run from `project`."""

    def inputs(project: Path, config: dict | None = None) -> dict:
        return program("staging", config or stack_file("staging"), project_root=project).one(DOCKER_IMAGE).inputs

    return inputs


def test_the_same_version_built_from_another_checkout_path_gives_the_provider_identical_inputs(tmp_path, image_inputs):
    first = image_inputs(checkout(tmp_path / "ci" / "fleet"))
    second = image_inputs(checkout(tmp_path / "laptop" / "src" / "fleet"))

    assert first == second
    assert first["build"]["context"] == "images/web"


def test_changed_image_files_without_a_new_version_push_a_new_tag_not_the_existing_one(tmp_path, image_inputs):
    before = image_inputs(checkout(tmp_path / "before"))
    edited = checkout(tmp_path / "after")
    (edited / "images" / "web" / "app.py").write_text("print('changed')\n")
    after = image_inputs(edited)

    assert after["build"]["args"] == before["build"]["args"] == {"APP_VERSION": "1.0.0"}
    assert after["imageName"] != before["imageName"]
    assert after["imageName"].rsplit(":", 1)[1].startswith("1.0.0-")


def test_a_file_mode_the_provider_hashes_changes_the_tag(tmp_path, image_inputs):
    """pulumi-docker hashes each file's full mode: a checkout made under another umask rebuilds, so it must tag anew."""
    before = image_inputs(checkout(tmp_path / "before"))
    other_umask = checkout(tmp_path / "after")
    (other_umask / "images" / "web" / "app.py").chmod(0o664)
    after = image_inputs(other_umask)

    assert after["imageName"] != before["imageName"]


def test_building_the_same_version_for_another_platform_pushes_a_new_tag(tmp_path, image_inputs):
    project = checkout(tmp_path / "fleet")
    graviton = yaml.safe_load((project / "Pulumi.staging.yaml").read_text())["config"]
    graviton["fleet:services"]["web"]["instanceType"] = "t4g.small"

    amd64 = image_inputs(project)
    arm64 = image_inputs(project, graviton)

    assert (amd64["build"]["platform"], arm64["build"]["platform"]) == ("linux/amd64", "linux/arm64")
    assert arm64["imageName"] != amd64["imageName"]


def test_another_pulumi_docker_version_pushes_a_new_tag(tmp_path):
    context = checkout(tmp_path / "fleet") / "images" / "web"

    assert build_tag("1.0.0", context, "linux/amd64", "5.2.0") != build_tag("1.0.0", context, "linux/amd64", "5.3.0")


def test_the_longest_version_still_gives_a_valid_docker_tag_that_covers_the_whole_version(tmp_path):
    context = checkout(tmp_path / "fleet") / "images" / "web"
    longest = "1" * 128

    tag = build_tag(longest, context, "linux/amd64")

    assert len(tag) == MAX_TAG_LENGTH
    assert tag != build_tag(longest[:-1] + "2", context, "linux/amd64")


def test_the_project_sets_no_main_directory_so_the_relative_context_resolves_against_it():
    """The engine starts providers in the directory of `main` (the project's by default): see service_image.py."""
    assert "main" not in yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
