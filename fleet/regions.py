"""The AWS regions, from the endpoint data botocore ships (`botocore/data/partitions.json`), not a list of ours.

Read only when a key names a region other than `aws:region` (`fleet:registry.consumers`): a region a newer botocore
knows is accepted once botocore is upgraded (requirements.lock pins it).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

GLOBAL_SUFFIX = "-global"
"""Pseudo regions of the endpoint data (`aws-global`): the home of global endpoints, never a registry's region."""


@cache
def _partitions() -> dict[str, str]:
    """Region -> the partition it belongs to (`aws`, `aws-cn`, `aws-us-gov`...)."""
    data = json.loads((resources.files("botocore") / "data" / "partitions.json").read_text())
    return {
        region: partition["id"]
        for partition in data["partitions"]
        for region in partition.get("regions", {})
        if not region.endswith(GLOBAL_SUFFIX)
    }


def is_region(name: str) -> bool:
    return name in _partitions()


def partition_of(region: str) -> str | None:
    """The partition of a region botocore knows; None for one it does not."""
    return _partitions().get(region)
