"""The release identity changes exactly when what runs on a host changes."""

from __future__ import annotations

import dataclasses

import pytest

from fleet.config_types import Capacity, HealthCheck, ImageSource, ServiceConfig
from fleet.release import BuiltImage, Change, PinnedImage, fingerprint, identify, read_tree

WEB = ServiceConfig(
    name="web", image=ImageSource(version="1.0.0", build="images/web"), host_image="ami-0123456789abcdef0"
)
CONTEXT = {"Dockerfile": b"FROM python:3.11-slim\n", "app.py": b"print('hi')\n"}
BOOT = "#!/bin/bash\necho boot\n"


def release_id(service: ServiceConfig = WEB, boot: str = BOOT, context: dict | None = None) -> str:
    return identify(service, boot, CONTEXT if context is None else context).release_id


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"image": ImageSource(version="1.0.1", build="images/web")}, Change("version", "1.0.0", "1.0.1")),
        ({"host_image": "ami-0fedcba9876543210"}, Change("host_image", WEB.host_image, "ami-0fedcba9876543210")),
        ({"instance_type": "t3.large"}, Change("instance_type", "t3.small", "t3.large")),
        ({"port": 9090}, Change("port", 8080, 9090)),
    ],
    ids=["version", "host_image", "instance_type", "port"],
)
def test_changing_what_runs_on_the_host_is_a_new_release_and_says_why(change, expected):
    changed = dataclasses.replace(WEB, **change)

    assert release_id(changed) != release_id()
    assert identify(changed, BOOT, CONTEXT).changes_since(identify(WEB, BOOT, CONTEXT)) == (expected,)


def test_changing_a_file_of_the_build_context_is_a_new_release_of_the_image_by_its_files():
    changed_context = {**CONTEXT, "app.py": b"print('bye')\n"}
    before, after = identify(WEB, BOOT, CONTEXT), identify(WEB, BOOT, changed_context)

    assert after.release_id != before.release_id
    assert after.changes_since(before) == (
        Change(
            "image",
            BuiltImage("images/web", fingerprint(CONTEXT)),
            BuiltImage("images/web", fingerprint(changed_context)),
        ),
    )


def test_changing_the_boot_script_is_a_new_release():
    (change,) = identify(WEB, BOOT + "echo more\n", CONTEXT).changes_since(identify(WEB, BOOT, CONTEXT))

    assert change.field == "boot_script"
    assert change.before != change.after


def test_promoting_another_digest_is_a_new_release_of_the_image_by_its_reference():
    ref = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:"
    first = dataclasses.replace(WEB, image=ImageSource(version="1.0.0", ref=ref + "a" * 64))
    second = dataclasses.replace(WEB, image=ImageSource(version="1.0.0", ref=ref + "b" * 64))

    assert identify(second, BOOT, None).changes_since(identify(first, BOOT, None)) == (
        Change("image", PinnedImage(ref + "a" * 64), PinnedImage(ref + "b" * 64)),
    )


@pytest.mark.parametrize(
    "change",
    [
        {"capacity": Capacity(min=1, desired=5, max=9)},
        {"health_check": HealthCheck(interval_seconds=30)},
        {"drain_seconds": 120},
        {"public_port": 8080},
        {"cutover_timeout_minutes": 20},
    ],
)
def test_changing_how_the_fleet_is_run_is_not_a_release(change):
    assert release_id(dataclasses.replace(WEB, **change)) == release_id()


def test_release_id_is_twelve_hex_characters_and_stable():
    assert release_id() == release_id()
    assert len(release_id()) == 12
    int(release_id(), 16)


def test_building_service_needs_its_context():
    with pytest.raises(ValueError, match="builds images/web"):
        identify(WEB, BOOT, None)


def test_fingerprint_ignores_where_the_tree_was_read_from_but_not_its_paths():
    assert fingerprint({"a": b"1", "b": b"2"}) == fingerprint({"b": b"2", "a": b"1"})
    assert fingerprint({"a": b"1"}) != fingerprint({"b": b"1"})


def test_reading_a_context_skips_caches_a_developer_machine_leaves_behind(tmp_path):
    (tmp_path / "app.py").write_text("x")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "stray.pyc").write_bytes(b"\0")

    assert read_tree(tmp_path) == {"app.py": b"x"}
