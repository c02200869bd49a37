"""What the program asks the engine before it declares anything: whether it honours replacement triggers.

Fleet's failure path rests on `replacement_trigger` (`fleet.rollout.group_trigger`): a retry after a failed cut-over
replaces the failed group health-gated before the serving one can be deleted. Engines before 3.208 drop the option
without a word (3.207 already honours `replace_with`), and CLIs before 3.219 ignore `requiredPulumiVersion`
(Pulumi.yaml), so the program asks the engine itself.

The question is the resource monitor's `SupportsFeature("replacementTrigger")`, which every engine since 3.208
answers true (pulumi/pulumi pkg/resource/deploy/source_eval.go `supportsFeatureID`, commit e9a05e2d3f, v3.208.0).
Not the SDK's `monitor_supports_feature`: the Python SDK fills that from `GetDeploymentInfo` (engines >= 3.231),
and its fallback for older engines probes a fixed list of legacy ids without `replacementTrigger`
(sdk/python/lib/pulumi/runtime/settings.py `_LEGACY_FEATURE_MAPPING`), so it would refuse CLIs 3.219-3.230 that
work.
"""

from __future__ import annotations

import pulumi
from pulumi.runtime.proto import resource_pb2

REPLACEMENT_TRIGGER = "replacementTrigger"
"""The feature id, as the engine's `supportsFeatureID` spells it."""
MINIMUM_CLI = "3.219.0"
"""Pulumi.yaml's `requiredPulumiVersion`: the first CLI that enforces it, and it has replacement triggers."""


def require_replacement_triggers() -> None:
    """Stop the program, naming the CLI it needs, when the engine would drop `replacement_trigger`."""
    monitor = pulumi.runtime.settings.get_monitor()
    if monitor is None:
        return
    answer = monitor.SupportsFeature(resource_pb2.SupportsFeatureRequest(id=REPLACEMENT_TRIGGER))
    if not answer.hasSupport:
        raise pulumi.RunError(
            f"this Pulumi CLI does not support replacement triggers, which fleet's releases rely on (a retry after "
            f"a failed release would otherwise delete the serving group without a health gate): upgrade the Pulumi "
            f"CLI to {MINIMUM_CLI} or newer (Pulumi.yaml requiredPulumiVersion)"
        )
