"""Judging a canary: its target group's load-balancer metrics against the live one's, over the same window.

Both target groups sit behind the same listener, so over one window they saw the same kind of traffic: a canary
whose error rate or tail latency is clearly above the live release's is worse, whatever the absolute values.
The thresholds are deliberately coarse: a verdict from a few requests would be noise.

Reading CloudWatch is kept apart from judging (`judge` is a pure function), as in the audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from fleetctl.errors import CommandError

METRIC_NAMESPACE = "AWS/ApplicationELB"
P99 = "p99"

MIN_REQUESTS = 100
"""Below this many requests to the canary (or to live) in the window, no verdict: not enough data."""
MAX_5XX_RATE_POINTS = 1.0
"""The canary is worse when its 5xx rate exceeds live's by more than this many percentage points."""
MAX_P99_INCREASE_PERCENT = 25.0
"""... or when its p99 response time exceeds live's by more than this many percent ..."""
MIN_P99_INCREASE_SECONDS = 0.05
"""... and by more than this many seconds: a few milliseconds on a fast service are noise, not a regression."""


class Verdict(Enum):
    """A canary's verdict; the value is `fleetctl canary status`'s exit code."""

    HEALTHY = 0
    WORSE = 1
    NOT_ENOUGH_DATA = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


@dataclass(frozen=True)
class TargetGroupMetrics:
    """What the load balancer measured for one target group over the window."""

    requests: int
    errors_5xx: int
    p99_seconds: float | None
    """None when CloudWatch reported no p99 (no request, or an endpoint that computes no percentiles)."""

    @property
    def error_rate_percent(self) -> float | None:
        return 100.0 * self.errors_5xx / self.requests if self.requests else None


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reasons: tuple[str, ...]


def judge(canary: TargetGroupMetrics, live: TargetGroupMetrics) -> Judgement:
    """The verdict on `canary` against `live`, with every reason for it."""
    short = [
        f"{track} served {metrics.requests} requests, fewer than {MIN_REQUESTS}"
        for track, metrics in (("canary", canary), ("live", live))
        if metrics.requests < MIN_REQUESTS
    ]
    if short:
        return Judgement(Verdict.NOT_ENOUGH_DATA, tuple(short))
    canary_rate, live_rate = canary.error_rate_percent or 0.0, live.error_rate_percent or 0.0
    worse = []
    if canary_rate - live_rate > MAX_5XX_RATE_POINTS:
        worse.append(
            f"5xx rate {canary_rate:.2f}% exceeds live's {live_rate:.2f}% by more than {MAX_5XX_RATE_POINTS:g} points"
        )
    unjudged = []
    if canary.p99_seconds is None or live.p99_seconds is None:
        unjudged.append("p99 not judged: CloudWatch reported no p99 for " + _missing_p99(canary, live))
    elif _p99_worse(canary.p99_seconds, live.p99_seconds):
        worse.append(
            f"p99 {canary.p99_seconds:.3f} s exceeds live's {live.p99_seconds:.3f} s by more than "
            f"{MAX_P99_INCREASE_PERCENT:g}% and {MIN_P99_INCREASE_SECONDS:g} s"
        )
    if worse:
        return Judgement(Verdict.WORSE, (*worse, *unjudged))
    return Judgement(Verdict.HEALTHY, ("within every threshold", *unjudged))


def _p99_worse(canary: float, live: float) -> bool:
    increase = canary - live
    return increase > MIN_P99_INCREASE_SECONDS and increase > live * MAX_P99_INCREASE_PERCENT / 100


def _missing_p99(canary: TargetGroupMetrics, live: TargetGroupMetrics) -> str:
    return " and ".join(track for track, metrics in (("canary", canary), ("live", live)) if metrics.p99_seconds is None)


def arn_suffix(arn: str, marker: str) -> str:
    """The CloudWatch dimension value of an ELB ARN: `targetgroup/<name>/<id>`, `app/<name>/<id>`.

    AWS/ApplicationELB dimensions use the ARN's resource part (after `:targetgroup/` the target group's, after
    `:loadbalancer/` the load balancer's), which is what `arn_suffix` is in terraform-provider-aws.
    """
    _, found, rest = arn.partition(f":{marker}")
    if not found or not rest:
        raise CommandError(f"{arn!r} is not an Elastic Load Balancing {marker.rstrip('/')} ARN")
    return rest if marker == "loadbalancer/" else f"{marker}{rest}"


def load_balancer_arns(elbv2: Any, target_group_arns: Iterable[str]) -> dict[str, str]:
    """The load balancer each target group is attached to (the stack outputs do not name it)."""
    arns = sorted(set(target_group_arns))
    try:
        groups = elbv2.describe_target_groups(TargetGroupArns=arns)["TargetGroups"]
    except elbv2.exceptions.TargetGroupNotFoundException as error:
        raise CommandError(f"a target group in the stack outputs does not exist: {error}") from error
    attached = {}
    for group in groups:
        balancers = sorted(set(group.get("LoadBalancerArns") or ()))
        if not balancers:
            raise CommandError(f"target group {group['TargetGroupArn']} is attached to no load balancer")
        attached[group["TargetGroupArn"]] = balancers[0]
    return attached


def read_metrics(
    cloudwatch: Any, target_group_arn: str, load_balancer_arn: str, start: datetime, end: datetime
) -> TargetGroupMetrics:
    """One target group's requests, target 5xx and p99 response time between `start` and `end`.

    GetMetricStatistics with one period spanning the window: CloudWatch then computes the p99 over every request of
    the window (a p99 of per-minute p99s would not be one). AWS publishes HTTPCode_Target_5XX_Count only for
    minutes that had any, so an absent count is zero.
    """
    dimensions = [
        {"Name": "TargetGroup", "Value": arn_suffix(target_group_arn, "targetgroup/")},
        {"Name": "LoadBalancer", "Value": arn_suffix(load_balancer_arn, "loadbalancer/")},
    ]

    def datapoints(metric: str, **statistic: list[str]) -> list[Mapping[str, Any]]:
        response = cloudwatch.get_metric_statistics(
            Namespace=METRIC_NAMESPACE,
            MetricName=metric,
            Dimensions=dimensions,
            StartTime=start,
            EndTime=end,
            Period=int((end - start).total_seconds()),
            **statistic,
        )
        points: list[Mapping[str, Any]] = response["Datapoints"]
        return points

    requests = sum(point.get("Sum", 0.0) for point in datapoints("RequestCount", Statistics=["Sum"]))
    errors = sum(point.get("Sum", 0.0) for point in datapoints("HTTPCode_Target_5XX_Count", Statistics=["Sum"]))
    p99s = [
        point["ExtendedStatistics"][P99]
        for point in datapoints("TargetResponseTime", ExtendedStatistics=[P99])
        if P99 in point.get("ExtendedStatistics", {})
    ]
    # The window may straddle two of CloudWatch's period boundaries: the larger p99 is the cautious one.
    return TargetGroupMetrics(requests=round(requests), errors_5xx=round(errors), p99_seconds=max(p99s, default=None))


def window_ending(now: datetime, minutes: int) -> tuple[datetime, datetime]:
    """The last `minutes` whole minutes before `now`: CloudWatch's one-minute periods start on the minute."""
    end = now.replace(second=0, microsecond=0)
    return end - timedelta(minutes=minutes), end
