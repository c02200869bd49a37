"""A service's alarms: is it sick? Unhealthy hosts, a share of 5xx responses, slow responses.

They watch the service's long-lived target group and the stack's load balancer, never a release: a release
replaces the launch template and the group, and these alarms (and their history) carry on unchanged. Their names
are fixed, so `fleetctl audit` can look them up from the stack outputs; `name` is the alarms' only ForceNew field
(terraform-provider-aws internal/service/cloudwatch/metric_alarm.go), so a threshold change updates in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from fleet.config_types import AlarmThresholds
from fleet.names import service_prefix

NAMESPACE = "AWS/ApplicationELB"
PERIOD_SECONDS = 60


@dataclass
class AlarmsArgs:
    stack: str
    service: str
    thresholds: AlarmThresholds
    target_group_arn_suffix: pulumi.Input[str]
    """`targetgroup/<name>/<id>`: the TargetGroup dimension of the load balancer's metrics."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """`app/<name>/<id>`: the LoadBalancer dimension."""
    topic_arn: str | None
    """Receives ALARM and OK transitions; without it the alarms only show in CloudWatch (and `fleetctl audit`)."""
    tags: dict[str, str]


class Alarms(pulumi.ComponentResource):
    names: list[str]
    """The alarms' names, as the stack outputs give them (`services.<name>.alarms`)."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:alarms:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        limits = args.thresholds
        prefix = service_prefix(args.stack, args.service)
        self.names = [f"{prefix}-unhealthy-hosts", f"{prefix}-target-5xx-rate", f"{prefix}-p99-response-time"]
        unhealthy_name, error_rate_name, latency_name = self.names
        dimensions = {"TargetGroup": args.target_group_arn_suffix, "LoadBalancer": args.load_balancer_arn_suffix}
        actions = [args.topic_arn] if args.topic_arn else []
        common: dict[str, Any] = {
            "comparison_operator": "GreaterThanThreshold",
            # No requests is not an error: an idle service's rate and latency have no data points.
            "treat_missing_data": "notBreaching",
            "alarm_actions": actions,
            "ok_actions": actions,
            "tags": args.tags,
            "opts": child,
        }
        one_metric: dict[str, Any] = {"namespace": NAMESPACE, "dimensions": dimensions, "period": PERIOD_SECONDS}

        unhealthy = aws.cloudwatch.MetricAlarm(
            f"{name}-unhealthy-hosts",
            name=unhealthy_name,
            alarm_description=f"{args.stack}/{args.service}: a target failed its health checks for "
            f"{limits.unhealthy_host_minutes} minute(s) in a row",
            metric_name="UnHealthyHostCount",
            statistic="Maximum",
            threshold=0,
            **one_metric,
            **_breached_for(limits.unhealthy_host_minutes),
            **common,
        )
        error_rate = aws.cloudwatch.MetricAlarm(
            f"{name}-5xx-rate",
            name=error_rate_name,
            alarm_description=f"{args.stack}/{args.service}: more than {limits.error_rate_percent}% of requests "
            f"answered 5xx by the hosts, {limits.error_rate_minutes} minute(s) in a row",
            metric_queries=[
                {
                    "id": "rate",
                    "label": "target 5xx, % of requests",
                    # No 5xx in a minute is no data point, not zero: FILL makes it zero against the requests.
                    "expression": "100 * FILL(errors, 0) / requests",
                    "return_data": True,
                },
                _metric_query("errors", "HTTPCode_Target_5XX_Count", dimensions),
                _metric_query("requests", "RequestCount", dimensions),
            ],
            threshold=limits.error_rate_percent,
            **_breached_for(limits.error_rate_minutes),
            **common,
        )
        latency = aws.cloudwatch.MetricAlarm(
            f"{name}-p99-latency",
            name=latency_name,
            alarm_description=f"{args.stack}/{args.service}: 99th percentile target response time above "
            f"{limits.p99_latency_ms} ms, {limits.p99_latency_minutes} minute(s) in a row",
            metric_name="TargetResponseTime",
            extended_statistic="p99",
            # A percentile of a handful of requests says little: keep the state until there are enough.
            evaluate_low_sample_count_percentiles="ignore",
            threshold=limits.p99_latency_ms / 1000,
            **one_metric,
            **_breached_for(limits.p99_latency_minutes),
            **common,
        )

        self.register_outputs({"arns": [unhealthy.arn, error_rate.arn, latency.arn], "names": self.names})


def _breached_for(minutes: int) -> dict[str, Any]:
    """Fire when every one of the last `minutes` one-minute periods breaches: a blip does not page anyone."""
    return {"evaluation_periods": minutes, "datapoints_to_alarm": minutes}


def _metric_query(
    query_id: str, metric: str, dimensions: dict[str, pulumi.Input[str]]
) -> aws.cloudwatch.MetricAlarmMetricQueryArgsDict:
    return {
        "id": query_id,
        "metric": {
            "namespace": NAMESPACE,
            "metric_name": metric,
            "dimensions": dimensions,
            "stat": "Sum",
            "period": PERIOD_SECONDS,
        },
        "return_data": False,
    }
