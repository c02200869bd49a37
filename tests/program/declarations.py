"""What the program declares for stacks that use none of the hostname keys, as data to compare across versions.

`python -m tests.program.declarations OUT.json`, run from a checkout of another commit (this file copied there),
writes that commit's declarations; `test_existing_stacks.py` compares this checkout's with the ones written at
8d32ea4, main before hostnames were merged. Each resource: type, name, parent, resolved inputs and the options
the engine sees (its URN is type, name and parent chain; the stack's name and project are the same).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from fleetctl.simulation import ProgramRun, reset_runtime, run_program, run_update
from tests.checkout import ROOT, stack_file

ATTEMPT = "0a1b2c3d"
"""The program's per-run token (`secrets.token_hex(4)`), fixed so that two runs of one config declare the same."""
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"


def _staging_outputs() -> dict[str, Any]:
    ref = stack_file("prod")["fleet:services"]["web"]["image"]["ref"]
    entry = {"releaseId": "0123456789ab", "version": "1.0.0", "imageRef": ref}
    return {"acme/fleet/staging": {"services": {"web": {"release": entry, "history": [entry]}}}}


def _two_services_with_tls_and_a_canary() -> dict[str, Any]:
    config = copy.deepcopy(stack_file("staging"))
    web = config["fleet:services"]["web"]
    web["canary"] = {"image": {"version": "1.1.0", "build": "images/web"}, "weight": 20}
    config["fleet:services"]["api"] = {**copy.deepcopy(web), "publicPort": 8081, "httpsPort": 8444}
    del config["fleet:services"]["api"]["canary"]
    config["fleet:tls"] = {"certificateArn": CERTIFICATE}
    return config


def _run(stack: str, config: dict[str, Any], **options: Any) -> ProgramRun:
    try:
        with mock.patch.object(secrets, "token_hex", return_value=ATTEMPT):
            return run_program(stack, config, project_root=ROOT, **options)
    finally:
        reset_runtime()


def _update(stack: str, config: dict[str, Any], last: ProgramRun) -> ProgramRun:
    try:
        with mock.patch.object(secrets, "token_hex", return_value=ATTEMPT):
            return run_update(stack, config, last, project_root=ROOT)
    finally:
        reset_runtime()


SCENARIOS: dict[str, Callable[[], ProgramRun]] = {
    "staging": lambda: _run("staging", stack_file("staging")),
    "prod": lambda: _run("prod", stack_file("prod"), stack_outputs=_staging_outputs()),
    "two-services-tls-canary": lambda: _run("staging", _two_services_with_tls_and_a_canary()),
    "staging-redeployed": lambda: _update("staging", stack_file("staging"), _run("staging", stack_file("staging"))),
}


BUILD_TAG = re.compile(r'("imageName": "[^"]*:[^"]*)-[0-9a-f]{12}"')
"""A build's tag ends with a digest of its context's files and their modes (`fleet.build_tag`): the modes are the
checkout's umask, not the program's, so the comparison leaves the digest out."""


def declarations(run: ProgramRun) -> list[dict[str, Any]]:
    """Every declared resource as plain data, in declaration order (build tags without their digest)."""
    return json.loads(
        BUILD_TAG.sub(
            r'\1-<build>"',
            json.dumps(
                [
                    {
                        "type": resource.type,
                        "name": resource.name,
                        "parent": resource.parent,
                        "inputs": resource.inputs,
                        "dependsOn": sorted(str(dep._name) for dep in resource.options.depends_on or []),  # type: ignore[union-attr]
                        "aliases": len(resource.options.aliases or []),
                        "options": None if resource.registration is None else vars(resource.registration),
                    }
                    for resource in run.resources
                ],
                default=str,
            ),
        )
    )


def snapshot() -> dict[str, Any]:
    """Declarations and outputs of each scenario."""
    taken = {}
    for name, scenario in SCENARIOS.items():
        run = scenario()
        taken[name] = {"resources": declarations(run), "outputs": json.loads(json.dumps(run.outputs, default=str))}
    return taken


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(snapshot(), indent=1, sort_keys=True) + "\n")
