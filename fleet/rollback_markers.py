"""The rolled-back marker: what `fleetctl watch` (on its alarms) and `fleetctl rollback --now` write into SSM when
they switch a service's traffic back to its warm release, and what the program and `fleetctl status` read back.

Its path is named in `fleet.names` (`rollback_marker_path`); its value, a small JSON object, here, once: one writer,
two readers. Plain Python, no AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

UNKNOWN_TIME = "an unknown time"
"""How a refusal names the time of a marker that does not say it."""


@dataclass(frozen=True)
class RolledBack:
    """A marker `fleetctl watch` (on its alarms) or `fleetctl rollback --now` wrote: a release rolled back."""

    at: str | None
    """When (ISO-8601 UTC); None when the marker does not say (or cannot be read)."""
    alarms: tuple[str, ...] = ()
    """The alarms that fired."""
    served_by: str | None = None
    """The warm release traffic went back to."""
    by: str = "fleetctl watch"
    """The command that switched (`fleetctl watch`, `fleetctl rollback --now`); markers written before `--now`
    existed name none: the watch's."""

    def value(self) -> str:
        """The marker's SSM parameter value."""
        return json.dumps({"at": self.at, "alarms": list(self.alarms), "servedBy": self.served_by, "by": self.by})


def parse_marker(value: str) -> RolledBack:
    """A marker's value as `RolledBack.value` writes it. A marker that cannot be read still marks its release: a
    field missing or of the wrong type reads as unknown (the default `by`)."""
    try:
        data: Any = json.loads(value)
    except (TypeError, ValueError):
        data = None
    if not isinstance(data, dict):
        data = {}

    def text(key: str) -> str | None:
        found = data.get(key)
        return found if isinstance(found, str) and found else None

    alarms = data.get("alarms")
    return RolledBack(
        at=text("at"),
        alarms=tuple(str(alarm) for alarm in alarms) if isinstance(alarms, list) else (),
        served_by=text("servedBy"),
        by=text("by") or RolledBack.by,
    )
