"""A fleet built in moto_server (`aws` and `moto_url` come from tests/moto_server.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import boto3.session
import pytest

from tests.audit.moto_fleet import Fleet

# What a boto3 client is bound to when it is made; the tests' AWS config files do not exist, so nothing else is read.
CLIENT_ENVIRONMENT = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


@pytest.fixture(scope="session", autouse=True)
def _clients_made_once_per_process() -> Iterator[None]:
    """Every boto3 client of this process (the fleet's and the ones fleetctl's audit opens in-process) is made once
    per service, region, endpoint and credentials, not once per session: making one cost ~35 ms, several per test.
    A client holds no AWS state: each call still goes to moto_server and back, the same request, the same answer."""
    make_client = boto3.session.Session.client
    clients: dict[tuple[Any, ...], Any] = {}

    def shared_client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        bound_to = tuple(os.environ.get(name) for name in CLIENT_ENVIRONMENT)
        key = (args, tuple(sorted(kwargs.items())), self.region_name, bound_to)
        if key not in clients:
            clients[key] = make_client(self, *args, **kwargs)
        return clients[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(boto3.session.Session, "client", shared_client)
        yield


@pytest.fixture
def fleet(aws: boto3.Session, tmp_path: Path) -> Fleet:
    """The `web` service of stack `prod` with one live release of two instances, and its stack export file."""
    return Fleet(aws, tmp_path / "export.json").build()
