"""Release ids of unchanged configs never move: a refactor or a new optional identity part must not replace hosts.

The configs below are frozen copies of the repository's stack files as of the commit that introduced service
settings; the boot script and build context are fixed texts, so only the identity function is under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from fleet.config import parse_config
from fleet.release import identify

BOOT = "#!/bin/bash\necho boot\n"
CONTEXT = {"Dockerfile": b"FROM python:3.11-slim\n", "app.py": b"print('hi')\n"}
HOST = {"hostImage": "ami-0a1b2c3d4e5f60718", "instanceType": "t3.small", "port": 8080, "healthCheckPath": "/healthz"}
STAGING: dict[str, Any] = {
    "services": {
        "web": {
            "image": {"version": "1.0.0", "build": "images/web"},
            **HOST,
            "capacity": {"min": 2, "desired": 2, "max": 6},
        }
    }
}
PROD: dict[str, Any] = {
    "promotion": {"from": "staging"},
    "services": {
        "web": {
            "image": {
                "version": "1.0.0",
                "ref": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:"
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            },
            **HOST,
            "capacity": {"min": 2, "desired": 3, "max": 10},
        }
    },
}


@pytest.mark.parametrize(
    ("stack", "raw", "context", "expected"),
    [("staging", STAGING, CONTEXT, "41f3142a54e8"), ("prod", PROD, None, "ad90be547d05")],
)
def test_release_id_of_an_unchanged_config_is_pinned(stack, raw, context, expected):
    (web,) = parse_config(raw, stack).services

    assert identify(web, BOOT, context).release_id == expected
