"""Stack names as stack files and `fleet:promotion.from` give them."""

from __future__ import annotations


def same_stack(declared: str, other: str) -> bool:
    """Whether two stack names agree on every segment both give: `staging` is `acme/fleet/staging`."""
    declared_parts, other_parts = declared.split("/"), other.split("/")
    common = min(len(declared_parts), len(other_parts))
    return declared_parts[-common:] == other_parts[-common:]
