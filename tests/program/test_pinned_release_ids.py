"""Release ids are URNs of a sort: a changed id replaces every host. These pins fail on any change to how ids are
computed, so a refactor that would move a fleet is caught here and not on the next `pulumi up`.

The known-input ids were computed before the build-tag and retention changes (commit 98eb294). The stack files'
ids moved once since, on purpose: the boot script that installs nothing (a new boot script is a release of every
service). Update a pin only with a change that is meant to release every service, and say so in its commit message.
"""

from __future__ import annotations

import pytest

from fleet.config import ImageSource, ServiceConfig
from fleet.release import identify
from tests.checkout import stack_file

KNOWN_CONTEXT = {"Dockerfile": b"FROM python:3.11-slim\n", "app.py": b"print('hi')\n"}
KNOWN_BOOT = "#!/bin/bash\necho boot\n"


def test_a_known_building_service_keeps_its_release_id():
    web = ServiceConfig(
        name="web", image=ImageSource(version="1.0.0", build="images/web"), host_image="ami-0123456789abcdef0"
    )

    assert identify(web, KNOWN_BOOT, KNOWN_CONTEXT).release_id == "439abaee2f44"


def test_a_known_promoted_service_keeps_its_release_id():
    ref = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "ab" * 32
    web = ServiceConfig(name="web", image=ImageSource(version="1.0.0", ref=ref), host_image="ami-0123456789abcdef0")

    assert identify(web, KNOWN_BOOT, None).release_id == "768302559494"


@pytest.mark.parametrize(("stack", "release_id"), [("staging", "aea099c19ee8"), ("prod", "e0673f82cea0")])
def test_the_stack_files_of_this_repository_keep_their_release_ids(program, stack, release_id, staging_outputs):
    """Also pins the files the ids read (images/web, components/boot.sh): editing them is a release, on purpose."""
    run = program(stack, stack_file(stack), stack_outputs={"acme/fleet/staging": staging_outputs()})

    assert run.outputs["services"]["web"]["release"]["releaseId"] == release_id
