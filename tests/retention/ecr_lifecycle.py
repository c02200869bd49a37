"""A model of how ECR applies a lifecycle policy, limited to the rules fleet's policy relies on.

moto stores a lifecycle policy but never applies it, so the tests apply the program's real policy with this model,
to the images (digests and tags) that moto holds. The rules, from the Amazon ECR User Guide ("Lifecycle policies",
lifecycle policy evaluation rules), each numbered where the code applies it:

1. Rules apply in the order of `rulePriority`, lowest first; a rule whose `tagStatus` is `any` comes last.
2. An image is expired by exactly one or zero rules.
3. An image that matches the tagging requirements of a rule cannot be expired by a rule with a lower priority.
4. A rule never marks an image a higher-priority rule marked, but still counts it as if it had not expired.
5. `tagPrefixList`: an image is selected when every prefix in the list starts one of its tags.
6. `imageCountMoreThan`: images sorted from youngest to oldest by push time; those past `countNumber` expire.
7. `sinceImagePushed` (`countUnit` days): images pushed more than `countNumber` days ago expire.

Anything else (`tagPatternList`, other count types, other actions) raises, so the model never answers for a policy it
does not describe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Image:
    digest: str
    tags: frozenset[str]
    pushed_at: datetime


def expired(policy: Mapping[str, Any], images: Iterable[Image], now: datetime) -> set[str]:
    """The digests the policy expires."""
    images = list(images)
    claimed: set[str] = set()  # matched the tagging requirements of a higher-priority rule (3)
    marked: set[str] = set()
    rules = sorted(policy["rules"], key=lambda rule: rule["rulePriority"])  # (1)
    if any(rule["selection"]["tagStatus"] == "any" for rule in rules[:-1]):
        raise ValueError("a rule with tagStatus any must have the highest rulePriority")
    for rule in rules:
        if rule["action"] != {"type": "expire"}:
            raise NotImplementedError(f"action {rule['action']}")
        selection = rule["selection"]
        selected = [image for image in images if _selects(selection, image)]  # counted even if marked (4)
        candidates = _past_limit(selection, selected, now)
        marked |= {image.digest for image in candidates if image.digest not in claimed | marked}  # (2), (3)
        claimed |= {image.digest for image in selected}
    return marked


def _selects(selection: Mapping[str, Any], image: Image) -> bool:
    if "tagPatternList" in selection:
        raise NotImplementedError("tagPatternList")
    match selection["tagStatus"]:
        case "any":
            return True
        case "untagged":
            return not image.tags
        case "tagged":  # (5)
            return all(any(tag.startswith(prefix) for tag in image.tags) for prefix in selection["tagPrefixList"])
    raise NotImplementedError(f"tagStatus {selection['tagStatus']}")


def _past_limit(selection: Mapping[str, Any], selected: list[Image], now: datetime) -> list[Image]:
    match selection["countType"]:
        case "imageCountMoreThan":  # (6)
            return sorted(selected, key=lambda image: image.pushed_at, reverse=True)[selection["countNumber"] :]
        case "sinceImagePushed" if selection.get("countUnit") == "days":  # (7)
            return [image for image in selected if now - image.pushed_at > timedelta(days=selection["countNumber"])]
    raise NotImplementedError(f"countType {selection['countType']}")
