"""Which images a building stack's ECR repository keeps: the last few it pushed, and every image that a promoted stack
runs or can roll back to.

Prod pulls from staging's repository by digest. If staging's lifecycle policy expired an image prod runs, prod's next
scale-out or replacement host could not pull it; if it expired one in prod's history, `fleetctl rollback` would pin
an image that no longer exists. So `fleetctl retain` tags each image in a stack's live release and history with
`keep-<stack>-<releaseId>`, and the policy's first rule selects `keep-` tags and never expires them. ECR's lifecycle
evaluation rules: "An image that matches the tagging requirements of a rule cannot be expired by a rule with a lower
priority" (Amazon ECR User Guide, "Lifecycle policies", lifecycle policy evaluation rules).
"""

from __future__ import annotations

from typing import Any

KEEP_TAG_PREFIX = "keep-"
KEEP_IMAGES = 30
"""Images kept per repository besides the `keep-` ones: enough to promote any recent build, bounded so storage does not
grow."""
KEPT_IMAGES_LIMIT = 9999
"""How many `keep-` tagged images the first rule keeps: far more than any stack's releases (each adds one)."""


def keep_tag(stack: str, release_id: str) -> str:
    """The tag that marks an image as run (or kept for rollback) by release `release_id` of `stack`."""
    return f"{KEEP_TAG_PREFIX}{stack.replace('/', '.')}-{release_id}"


def lifecycle_policy() -> dict[str, Any]:
    """The lifecycle policy of a building stack's repository (`aws.ecr.LifecyclePolicy.policy`, as JSON)."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": "never expire an image a promoted stack runs or can roll back to (fleetctl retain)",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [KEEP_TAG_PREFIX],
                    "countType": "imageCountMoreThan",
                    "countNumber": KEPT_IMAGES_LIMIT,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"keep the last {KEEP_IMAGES} images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": KEEP_IMAGES},
                "action": {"type": "expire"},
            },
        ]
    }
