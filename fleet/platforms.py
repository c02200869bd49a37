"""The CPU architecture an instance type runs: what an image must be built for to run on it.

Pulumi-free, so the program (which builds for it) and `fleetctl promote` (which refuses a mismatch) agree.
"""

from __future__ import annotations

import re

GRAVITON_FAMILY = re.compile(r"^(?:a1|[a-z]+\d+g[a-z]*)$")


def platform_for(instance_type: str) -> str:
    """The image platform the hosts need: arm64 on Graviton families (t4g, m7g, c8gd...), amd64 elsewhere."""
    family = instance_type.split(".", 1)[0]
    return "linux/arm64" if GRAVITON_FAMILY.match(family) else "linux/amd64"
