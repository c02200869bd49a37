"""A warm release's window, as the stack outputs record it: open or past, and what a warm release left past its
window costs. `status`, `plan`, `rollback` and the audit all judge it here, from the outputs and a clock.

The window is `warmSince` to `retiresAt` (`fleet.outputs.WarmRelease`); whatever runs the stack's next `pulumi up`
(the next deploy, or the scheduled retire workflow) deletes a warm release past it. Until then its hosts run on:
the cost past the window is its pinned capacity times the hours since `retiresAt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fleet.clock import parse_iso
from fleet.outputs import WarmRelease, output_key
from fleetctl.errors import CommandError

WHAT_RETIRES_IT = "the stack's next `pulumi up` retires it (the next deploy, or the scheduled retire workflow)"


def parse_time(text: str | None, where: str) -> datetime:
    """A time of the outputs (`fleet.clock.iso`: `2026-12-02T01:23:45Z`); `where` names its key in the error."""
    if not text:
        raise CommandError(f"{where} is missing or empty")
    try:
        return parse_iso(text)
    except ValueError as error:
        raise CommandError(f"{where} must be a UTC time such as 2026-12-02T01:23:45Z; got {text!r}") from error


def shown(moment: datetime) -> str:
    """A time as fleetctl prints it: UTC, to the minute."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def duration(span: timedelta) -> str:
    """`2 d 3 h`, `3 h 05 min`, `42 min`: how long, to the minute."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class Window:
    """A warm release and its window, judged at `now`."""

    release: WarmRelease
    retires_at: datetime
    now: datetime

    @classmethod
    def of(cls, release: WarmRelease, now: datetime, where: str) -> Window:
        """The window of the warm record at `where` (`services.web.warm`)."""
        key = f"{where}.{output_key(WarmRelease, 'retires_at')}"
        return cls(release, parse_time(release.retires_at, key), now)

    @property
    def open(self) -> bool:
        """Whether a rollback to it is a switch: its window has not closed."""
        return self.now < self.retires_at

    @property
    def overdue(self) -> timedelta | None:
        """How long past its window it is; None while the window is open."""
        return None if self.open else self.now - self.retires_at

    @property
    def instance_hours(self) -> float:
        """What it has cost past its window: its pinned capacity times the hours overdue (0 while open)."""
        overdue = self.overdue
        if overdue is None:
            return 0.0
        return (self.release.desired or 0) * overdue.total_seconds() / 3600

    def retirement(self) -> str:
        """When it retires, or that it is overdue, since when and what that cost: one phrase."""
        if self.open:
            return f"retires at {shown(self.retires_at)} (in {duration(self.retires_at - self.now)})"
        assert self.overdue is not None
        return (
            f"OVERDUE: its window closed at {shown(self.retires_at)}, {duration(self.overdue)} ago; "
            f"{self.instance_hours:.1f} instance-hours past its window ({self.release.desired or 0} host(s) x "
            f"{self.overdue.total_seconds() / 3600:.1f} h); {WHAT_RETIRES_IT}"
        )
