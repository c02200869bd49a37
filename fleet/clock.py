"""The program's clock: when a release becomes live or warm, and whether a warm window is still open.

One function, so the test harness (`fleetctl.simulation.run_program(..., now=...)`) can set the time a run sees.
Times in the outputs are ISO-8601 UTC to the second (`2026-12-02T01:23:45Z`).
"""

from __future__ import annotations

from datetime import UTC, datetime

_fixed: datetime | None = None


def now() -> datetime:
    """The current time in UTC, or the time the harness set."""
    return _fixed if _fixed is not None else datetime.now(UTC).replace(microsecond=0)


def set_now(at: datetime | None) -> None:
    """The time `now` answers from here on (aware, any zone; kept in UTC), or None for the real clock again."""
    global _fixed
    if at is not None and at.tzinfo is None:
        raise ValueError("the clock takes an aware datetime")
    _fixed = None if at is None else at.astimezone(UTC).replace(microsecond=0)


def iso(at: datetime) -> str:
    """`at` as the outputs write it: `2026-12-02T01:23:45Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """A time the outputs wrote (`iso`), aware and in UTC; ValueError for anything else."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
