"""The engine model's remembered updates (tests/engine_model.py), for the tests of this directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import engine_model


@pytest.fixture(autouse=True)
def _remembered_updates(request: pytest.FixtureRequest) -> Iterator[None]:
    """Updates are remembered, except in a test that uses `monkeypatch` (how the tests change the program's code):
    each of its updates runs the program as it is at that moment, the same rule as the `program` fixture's."""
    engine_model.remembering = "monkeypatch" not in request.fixturenames
    yield
    engine_model.remembering = False
