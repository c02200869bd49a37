"""`fleetctl canary status`: the canary's target group against the live one, from CloudWatch, with a verdict.

Against a real moto_server (the `aws` fixture): a load balancer whose listener forwards to a live and a canary
target group as the program declares them, and load-balancer metrics the test writes with `put_metric_data`.
moto computes no percentiles (moto/cloudwatch/models.py `Statistics.get_statistics_for_type` knows Sum, Average,
Minimum, Maximum and SampleCount; `ExtendedStatistics` are accepted and not answered), so the p99 comparison is
specified on `judge` itself, with the numbers CloudWatch would return.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from fleetctl.canary_metrics import (
    MAX_5XX_RATE_POINTS,
    MIN_REQUESTS,
    TargetGroupMetrics,
    Verdict,
    arn_suffix,
    judge,
)
from fleetctl.cli import main
from tests.fleetctl.canary_balancer import Balancer, moto_balancer

WINDOW_MINUTES = 30


@pytest.fixture
def balancer(aws: boto3.Session) -> Balancer:
    return moto_balancer(aws)


@pytest.fixture
def status(balancer: Balancer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `fleetctl canary status prod` on the balancer's outputs: (exit code, stdout, stderr)."""

    def run(*options: str, stack_outputs: dict[str, Any] | None = None) -> tuple[int, str, str]:
        file = tmp_path / "prod.json"
        file.write_text(json.dumps(stack_outputs or balancer.outputs()))
        code = main(
            ["canary", "status", "prod", "--from-outputs", str(file), "--window", str(WINDOW_MINUTES), *options]
        )
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_a_canary_erring_like_live_is_healthy_exit_0(balancer, status):
    balancer.serve(balancer.canary_target_group_arn, requests=200, errors_5xx=1)
    balancer.serve(balancer.live_target_group_arn, requests=1800, errors_5xx=9)

    code, out, _ = status()

    assert code == 0
    assert "web: canary " in out
    assert "verdict: healthy" in out


def test_the_table_shows_requests_and_5xx_rate_of_canary_and_live(balancer, status):
    balancer.serve(balancer.canary_target_group_arn, requests=200, errors_5xx=1)
    balancer.serve(balancer.live_target_group_arn, requests=1800, errors_5xx=9)

    _, out, _ = status()

    canary_row = next(line.split() for line in out.splitlines() if line.strip().startswith("canary 1.1.0"))
    live_row = next(line.split() for line in out.splitlines() if line.strip().startswith("live 1.0.0"))
    assert canary_row[2:4] == ["200", "0.50%"]
    assert live_row[2:4] == ["1800", "0.50%"]


def test_a_canary_with_a_5xx_rate_above_lives_is_worse_exit_1(balancer, status):
    balancer.serve(balancer.canary_target_group_arn, requests=200, errors_5xx=20)
    balancer.serve(balancer.live_target_group_arn, requests=1800, errors_5xx=9)

    code, out, _ = status()

    assert code == 1
    assert "verdict: worse" in out
    assert "5xx rate 10.00% exceeds live's 0.50%" in out


def test_a_canary_with_too_few_requests_has_no_verdict_exit_2(balancer, status):
    balancer.serve(balancer.canary_target_group_arn, requests=MIN_REQUESTS - 1, errors_5xx=0)
    balancer.serve(balancer.live_target_group_arn, requests=1800, errors_5xx=0)

    code, out, _ = status()

    assert code == 2
    assert "verdict: not enough data" in out
    assert f"canary served {MIN_REQUESTS - 1} requests, fewer than {MIN_REQUESTS}" in out


def test_requests_before_the_window_do_not_count(balancer, status):
    balancer.serve(balancer.canary_target_group_arn, requests=500, errors_5xx=100, minutes_ago=WINDOW_MINUTES + 5)
    balancer.serve(balancer.live_target_group_arn, requests=1800, errors_5xx=0)

    code, out, _ = status()

    assert code == 2
    assert "canary served 0 requests" in out


def test_json_holds_each_sides_numbers_and_the_verdict(balancer, status):
    balancer.serve(balancer.canary_target_group_arn, requests=400, errors_5xx=2)
    balancer.serve(balancer.live_target_group_arn, requests=3600, errors_5xx=0)

    code, out, _ = status("--json")

    [web] = json.loads(out)
    assert code == 0
    assert web["service"] == "web"
    assert web["verdict"] == "healthy"
    assert web["weight"] == 10
    assert web["windowMinutes"] == WINDOW_MINUTES
    assert (web["canary"]["version"], web["canary"]["requests"], web["canary"]["errors5xx"]) == ("1.1.0", 400, 2)
    assert web["canary"]["errorRatePercent"] == pytest.approx(0.5)
    assert (web["live"]["version"], web["live"]["requests"], web["live"]["errorRatePercent"]) == ("1.0.0", 3600, 0)


def test_a_stack_without_a_canary_is_refused_in_one_line(balancer, status):
    stack_outputs = balancer.outputs()
    del stack_outputs["services"]["web"]["canary"]

    code, out, err = status(stack_outputs=stack_outputs)

    assert (code, out) == (2, "")
    assert err == "fleetctl canary: stack prod runs no canary (no `canary` in its stack outputs)\n"


def test_a_service_the_stack_does_not_have_is_refused_in_one_line(status):
    code, _, err = status("--service", "shop")

    assert code == 2
    assert err == "fleetctl canary: stack prod has no service shop; it has: web, api\n"


def test_service_restricts_the_status_to_its_canary(status):
    code, _, err = status("--service", "api")

    assert code == 2
    assert err == "fleetctl canary: service api of stack prod runs no canary (no `canary` in its stack outputs)\n"


def test_a_canary_output_without_its_target_group_is_refused_naming_the_key(balancer, status):
    stack_outputs = balancer.outputs()
    del stack_outputs["services"]["web"]["canary"]["targetGroupArn"]

    code, out, err = status(stack_outputs=stack_outputs)

    assert (code, out) == (2, "")
    assert err == "fleetctl canary: stack outputs services.web.canary.targetGroupArn is missing or empty\n"


def test_a_canary_weight_that_is_no_whole_number_is_refused_naming_the_key(balancer, status):
    stack_outputs = balancer.outputs()
    stack_outputs["services"]["web"]["canary"]["weight"] = "10%"

    code, _, err = status(stack_outputs=stack_outputs)

    assert code == 2
    assert "services.web.canary.weight must be a whole number; got '10%'" in err


def metrics(requests: int = 1000, errors_5xx: int = 0, p99: float | None = 0.2) -> TargetGroupMetrics:
    return TargetGroupMetrics(requests=requests, errors_5xx=errors_5xx, p99_seconds=p99)


def test_a_canary_whose_p99_is_far_above_lives_is_worse():
    judgement = judge(metrics(p99=0.5), metrics(p99=0.2))

    assert judgement.verdict is Verdict.WORSE
    assert judgement.reasons == ("p99 0.500 s exceeds live's 0.200 s by more than 25% and 0.05 s",)


def test_a_few_milliseconds_more_on_a_fast_service_are_not_worse():
    assert judge(metrics(p99=0.03), metrics(p99=0.01)).verdict is Verdict.HEALTHY


def test_a_p99_within_the_percentage_is_healthy():
    assert judge(metrics(p99=0.24), metrics(p99=0.2)).verdict is Verdict.HEALTHY


def test_a_5xx_rate_just_within_the_points_is_healthy():
    within = judge(metrics(errors_5xx=round(10 * MAX_5XX_RATE_POINTS)), metrics(errors_5xx=0))

    assert within.verdict is Verdict.HEALTHY


def test_an_unreported_p99_is_said_and_not_judged():
    judgement = judge(metrics(p99=None), metrics(p99=0.2))

    assert judgement.verdict is Verdict.HEALTHY
    assert "p99 not judged: CloudWatch reported no p99 for canary" in judgement.reasons


def test_live_with_too_few_requests_gives_no_verdict_either():
    assert judge(metrics(), metrics(requests=MIN_REQUESTS - 1)).verdict is Verdict.NOT_ENOUGH_DATA


def test_arn_suffixes_are_the_cloudwatch_dimension_values():
    target_group = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/0123456789abcdef"
    load_balancer = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/fleet-prod/fedcba9876543210"

    assert arn_suffix(target_group, "targetgroup/") == "targetgroup/web-tg/0123456789abcdef"
    assert arn_suffix(load_balancer, "loadbalancer/") == "app/fleet-prod/fedcba9876543210"
