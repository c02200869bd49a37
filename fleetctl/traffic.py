"""Where a service's traffic rule sends its requests, against what the stack outputs say it sends: `status` shows
it, the audit reports a difference. The rule is the switch of a rollback (`trafficRuleArn`): the program forwards it
to the live slot's target group (with a canary: live `100 - w`, canary `w`); `fleetctl watch` forwards it to the
warm slot's when the live release's alarms fire."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.names import TOTAL_WEIGHT


@dataclass(frozen=True)
class Forward:
    """A target group a rule forwards to, with its weight (a plain forward: 1)."""

    target_group_arn: str
    weight: int


def forwards_of(actions: list[dict[str, object]]) -> tuple[Forward, ...]:
    """The target groups of a rule's forward actions (DescribeRules `Actions`), weighted or plain."""
    found: list[Forward] = []
    for action in actions:
        if action.get("Type") != "forward":
            continue
        config = action.get("ForwardConfig")
        groups = config.get("TargetGroups") if isinstance(config, dict) else None
        if groups:
            found += [Forward(str(group["TargetGroupArn"]), int(group.get("Weight", 1))) for group in groups]
        elif action.get("TargetGroupArn"):
            found.append(Forward(str(action["TargetGroupArn"]), 1))
    return tuple(found)


def shares(forwards: tuple[Forward, ...]) -> dict[str, int]:
    """Percent of the requests per target group that gets any."""
    total = sum(forward.weight for forward in forwards)
    return {f.target_group_arn: round(f.weight * TOTAL_WEIGHT / total) for f in forwards if f.weight and total}


def expected_shares(live_target_group_arn: str, canary: tuple[str, int] | None) -> dict[str, int]:
    """What the outputs say the rule sends: all to the live slot, or `100 - w` to it and `w` to the canary's."""
    if canary is None:
        return {live_target_group_arn: TOTAL_WEIGHT}
    canary_target_group_arn, weight = canary
    return {live_target_group_arn: TOTAL_WEIGHT - weight, canary_target_group_arn: weight}
