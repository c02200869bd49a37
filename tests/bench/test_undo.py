"""The modelled undo of a release (bench/undo.py): built from fleet's defaults and cited steps, and what it prints."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from bench import undo
from fleet.config_types import AlarmThresholds, Capacity, HealthCheck, ServiceConfig
from tests.checkout import ROOT

DEFAULTS = undo.default_service()
BASES = {undo.DOCUMENTED, undo.MEASURED, undo.SOURCE, undo.DEFAULT, undo.ASSUMED}


def every_undo(service: ServiceConfig) -> list[undo.Undo]:
    return [
        undo.within_window(service),
        undo.after_window(service),
        undo.today(service),
        undo.automatic_rollback(),
        undo.rollback_now(),
    ]


def test_a_rollback_within_the_window_changes_aws_at_least_ten_times_faster_than_today():
    switch, current = undo.within_window(DEFAULTS), undo.today(DEFAULTS)

    assert current.without(undo.PULUMI_UP) >= undo.SPEEDUP_TARGET * switch.without(undo.PULUMI_UP)


def test_the_automatic_rollback_puts_traffic_on_the_warm_release_within_two_minutes_of_the_alarm_at_worst():
    assert undo.automatic_rollback_worst_seconds() <= undo.AUTOMATIC_ROLLBACK_TARGET_SECONDS


def test_each_undo_is_the_sum_of_its_steps_and_each_step_has_a_basis_and_a_source():
    for each in every_undo(DEFAULTS):
        assert each.seconds == sum(step.seconds for step in each.steps)
        assert [step for step in each.steps if step.basis not in BASES or not step.source.strip()] == []


def test_a_switch_boots_pulls_and_drains_nothing_and_a_full_release_boots():
    boot = {undo.LAUNCH_AND_BOOT, undo.IMAGE_PULL, undo.SERVICE_START}

    assert boot.isdisjoint(undo.within_window(DEFAULTS).steps)
    assert boot <= set(undo.after_window(DEFAULTS).steps)
    assert boot <= set(undo.today(DEFAULTS).steps)


def test_only_todays_undo_waits_for_the_bad_release_to_drain():
    drain = undo.drain(DEFAULTS)

    assert [drain in each.steps for each in every_undo(DEFAULTS)] == [False, False, True, False, False]


def test_rollback_now_is_its_aws_calls_then_the_rules_propagation_and_boots_nothing():
    now = undo.rollback_now()

    assert now.steps == (undo.api_calls(undo.NOW_CALLS), undo.RULE_PROPAGATION)
    assert undo.PULUMI_UP not in now.steps


def test_the_health_gate_and_the_drain_are_read_from_the_service_config():
    slow = replace(DEFAULTS, health_check=HealthCheck(interval_seconds=30, healthy_threshold=5), drain_seconds=300)

    assert undo.today(slow).seconds - undo.today(DEFAULTS).seconds == pytest.approx((5 * 30 - 2 * 10) + (300 - 30))
    assert undo.within_window(slow).seconds == undo.within_window(DEFAULTS).seconds


def test_each_alarm_fires_after_its_period_times_its_evaluation_periods():
    thresholds = AlarmThresholds(unhealthy_host_minutes=1, error_rate_minutes=2, p99_latency_minutes=4)

    assert [path.detection_seconds for path in undo.alarm_paths(thresholds)] == [60, 120, 240]


def test_the_warm_window_costs_the_serving_capacity_for_the_window_per_release():
    service = replace(DEFAULTS, capacity=Capacity(min=2, desired=3, max=6), warm_rollback_minutes=90)

    assert undo.warm_instance_hours(service) == 4.5
    assert undo.warm_instance_hours(replace(service, warm_rollback_minutes=0)) == 0


def test_the_bench_prints_the_models_lines_and_exits_with_its_verdict():
    lines, passed = undo.report(DEFAULTS)

    run = subprocess.run(
        [sys.executable, "bench/evaluate.py", "--undo"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert (run.stdout.splitlines(), run.returncode, run.stderr) == (lines, 0 if passed else 1, "")


def test_the_report_says_pass_or_fail_for_each_target_as_the_numbers_are():
    lines, passed = undo.report(DEFAULTS)
    switch, current = undo.within_window(DEFAULTS), undo.today(DEFAULTS)
    whole = current.seconds / switch.seconds
    changes = current.without(undo.PULUMI_UP) / switch.without(undo.PULUMI_UP)
    worst = undo.automatic_rollback_worst_seconds()
    expected = [
        (whole >= undo.SPEEDUP_TARGET, f"{whole:5.1f} x"),
        (changes >= undo.SPEEDUP_TARGET, f"{changes:5.1f} x"),
        (worst <= undo.AUTOMATIC_ROLLBACK_TARGET_SECONDS, f"{worst:5.1f} s"),
    ]

    verdicts = [line for line in lines if line.startswith(("PASS", "FAIL"))]

    assert [(line.startswith("PASS"), shown in line) for line, (_, shown) in zip(verdicts, expected, strict=True)] == [
        (held, True) for held, _ in expected
    ]
    assert passed == all(held for held, _ in expected)


def test_every_source_a_step_cites_is_listed_once_under_its_number():
    lines, _ = undo.report(DEFAULTS)
    listed = lines[lines.index("sources:") + 1 :]
    cited = {step.source for each in every_undo(DEFAULTS) for step in each.steps}

    assert sorted(line.split("] ", 1)[1] for line in listed) == sorted(cited)


def test_the_operators_page_states_the_models_times_at_the_defaults():
    page = (ROOT / "docs" / "warm-rollback.md").read_text()
    switch, full, current = undo.within_window(DEFAULTS), undo.after_window(DEFAULTS), undo.today(DEFAULTS)
    stated = [
        f"| within the window (switch) | {switch.seconds:.1f} s |",
        f"| after the window (full release) | {full.seconds:.1f} s |",
        f"| today's release on main | {current.seconds:.1f} s |",
        f"**{switch.seconds:.1f} s** against {current.seconds:.1f} s",
        f"AWS changes are {current.without(undo.PULUMI_UP) / switch.without(undo.PULUMI_UP):.1f} x faster",
        f"the whole `pulumi up` only {current.seconds / switch.seconds:.1f} x",
        f"propagation: {undo.automatic_rollback().seconds:.1f} s",
        f"{undo.automatic_rollback_worst_seconds():.1f} s at worst",
        f"**{undo.warm_instance_hours(DEFAULTS):.0f}\ninstance-hours per release**",
        f"| `fleetctl rollback --now` (no `pulumi up`) | {undo.rollback_now().seconds:.1f} s |",
        f"{current.seconds / undo.rollback_now().seconds:.1f} x faster than today's",
    ]

    assert [text for text in stated if text not in page] == []
