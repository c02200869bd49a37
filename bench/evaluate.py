"""How long the fleet program takes to evaluate under Pulumi's mocks, the cut-over its defaults imply, and an undo's.

Run after the README's install (no test tools needed): `.venv/bin/python bench/evaluate.py`. Each measurement is a
fresh Python process (so imports are paid each time, as in a real `pulumi preview`), repeated and reduced to its
median. The program runs under `fleetctl.simulation`, the mock harness `fleetctl plan` uses; a probe that imports
the test package or pytest stops with an error. It prints PASS or FAIL per target and exits 1 if any fails.

Targets, relative to the floor, since absolute milliseconds swing with machine load: one service <= 1.5 x the
floor; each extra service <= 5 % of the floor, on their own ports (1 to 50 services) and all on hostnames behind
the shared HTTPS listener (1 to 20); the cut-over critical path of the defaults >= 3 x shorter than with
AWS's defaults. The floor is importing the Pulumi SDKs the program runs on: exactly the `pulumi`, `pulumi_aws` and
`pulumi_docker` modules a one-service run loads (pulumi_aws loads a submodule on first use, so a bare import would
understate it), found by a first probe rather than listed by hand, so it follows the program.

It then prints the modelled time to undo a release (`bench/undo.py`): within the warm window, after it and today,
each the sum of its cited steps, with the automatic rollback's time and the warm window's cost; `--undo` prints only
that, measuring nothing.

Time is CPU time (`time.process_time`), not the wall clock: on a shared machine the wall clock also counts the time
other processes held the CPU. The program's time leaves out what the mock monitor spends answering its
registrations and invokes (`RecordingMonitor.engine_seconds`, the CPU of the threads the SDK calls it from): in a
real `pulumi preview` that is the engine's work, in the engine's process. It is printed beside, for the record.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVICE_COUNTS = (1, 10, 50)
HOSTNAME_COUNTS = (1, 20)
"""A stack whose services are all on hostnames: the topology of a team of 20 services."""
SDK_PACKAGES = ("pulumi", "pulumi_aws", "pulumi_docker")
FLOOR_BODY = """
import importlib
for module in {modules!r}:
    importlib.import_module(module)
"""

# Reading the stack file is the engine's work, not the program's: done before the clock starts.
PROBE = """
import sys, time, json
sys.path.insert(0, {root!r})
{setup}
start = time.process_time()
{body}
elapsed = time.process_time() - start
engine = globals().get("engine_seconds", 0.0)
test_modules = sorted(name for name in sys.modules if name.split(".")[0] in ("tests", "pytest", "_pytest"))
if test_modules:
    sys.exit(f"the benchmark imported test modules: {{test_modules[:5]}}")
print(json.dumps({{"seconds": elapsed - engine, "engine_seconds": engine, "sdk_modules": sorted(
    name for name in sys.modules if name.split(".")[0] in {sdk_packages!r}
)}}))
"""
PROGRAM_SETUP = """
from pathlib import Path
import yaml
root = Path({root!r})
config = yaml.safe_load((root / "Pulumi.{stack}.yaml").read_text())["config"]
web = config["fleet:services"]["web"]
# `web` stays (prod runs its image: removing it is refused); the others are copies on their own listener ports.
extra = {{f"svc{{i}}": {{**web, "publicPort": 1000 + i}} for i in range(1, {count})}}
config["fleet:services"] = {{"web": web, **extra}}
"""
HOSTNAMES_SETUP = """
# Every service on a hostname of its own, behind the shared HTTPS listener (one host rule each).
for name, service in config["fleet:services"].items():
    service.pop("publicPort", None)
    service["hostnames"] = [f"{name}.example.com"]
config["fleet:tls"] = {"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/"
                       "0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"}
"""
PROGRAM_BODY = """
from fleetctl.simulation import FleetMocks, RecordingMonitor, run_program
mocks = FleetMocks()
monitor = RecordingMonitor(mocks)
run_program({stack!r}, config, project_root=root, mocks=mocks, monitor=monitor)
engine_seconds = monitor.engine_seconds
"""

# AWS defaults: healthy threshold 5 (API default) x 30 s interval, then a 300 s deregistration delay.
AWS_HEALTHY_SECONDS = 5 * 30
AWS_DRAIN_SECONDS = 300


ONE_SERVICE_FLOOR_RATIO = 1.5
EXTRA_SERVICE_FLOOR_SHARE = 0.05
CUTOVER_SPEEDUP = 3.0


def measure(probes: dict[str, tuple[str, str]], repeats: int) -> dict[str, dict[str, float]]:
    """Median CPU seconds of each probe's body (after its setup, off the clock), the program's and the mock engine's,
    over `repeats` fresh interpreters.

    The probes take turns within each round, so a change in the machine's load weighs on all of them alike.
    """
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in probes}
    for _ in range(repeats):
        for name, (setup, body) in probes.items():
            samples[name].append(run_probe(name, setup, body))
    return {
        name: {key: statistics.median(sample[key] for sample in values) for key in ("seconds", "engine_seconds")}
        for name, values in samples.items()
    }


def run_probe(name: str, setup: str, body: str) -> dict[str, Any]:
    script = PROBE.format(root=str(ROOT), setup=setup, body=body, sdk_packages=SDK_PACKAGES)
    probe = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise SystemExit(f"measurement {name} failed:\n{probe.stderr}")
    result: dict[str, Any] = json.loads(probe.stdout)
    return result


def program_probe(count: int, hostnames: bool = False) -> tuple[str, str]:
    """The staging program with `count` services, on their own ports or all on hostnames."""
    setup = PROGRAM_SETUP.format(root=str(ROOT), stack="staging", count=count)
    return setup + (HOSTNAMES_SETUP if hostnames else ""), PROGRAM_BODY.format(stack="staging")


def cutover_critical_path() -> tuple[int, int]:
    """(fleet defaults, AWS defaults) in seconds: health checks until a new instance serves, plus the drain."""
    from fleet.config_types import ImageSource, ServiceConfig

    defaults = ServiceConfig(name="web", image=ImageSource(version="0"), host_image="ami-00000000")
    health = defaults.health_check
    fleet = health.healthy_threshold * health.interval_seconds + defaults.drain_seconds
    return fleet, AWS_HEALTHY_SECONDS + AWS_DRAIN_SECONDS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per measurement (default 5)")
    parser.add_argument(
        "--undo", action="store_true", help="print only the modelled undo of a release (bench/undo.py): no measurement"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench import undo

    undo_lines, undo_passed = undo.report(undo.default_service())
    if args.undo:
        print("\n".join(undo_lines))
        return 0 if undo_passed else 1

    sdk_modules = run_probe("SDK modules", *program_probe(SERVICE_COUNTS[0]))["sdk_modules"]
    probes = (
        {"floor": ("", FLOOR_BODY.format(modules=sdk_modules))}
        | {str(count): program_probe(count) for count in SERVICE_COUNTS}
        | {f"{count} on hostnames": program_probe(count, hostnames=True) for count in HOSTNAME_COUNTS}
    )
    measured = measure(probes, args.repeats)
    floor = measured["floor"]["seconds"]
    times = {count: measured[str(count)]["seconds"] for count in SERVICE_COUNTS}
    routed = {count: measured[f"{count} on hostnames"]["seconds"] for count in HOSTNAME_COUNTS}
    print(f"floor: import the {len(sdk_modules):4d} SDK modules the program loads {floor * 1000:8.1f} ms  (CPU time)")
    for count in SERVICE_COUNTS:
        engine = measured[str(count)]["engine_seconds"]
        print(
            f"staging program, {count:2d} service(s), under mocks          {times[count] * 1000:8.1f} ms"
            f"  (+ {engine * 1000:.1f} ms in the mock engine)"
        )
    for count in HOSTNAME_COUNTS:
        engine = measured[f"{count} on hostnames"]["engine_seconds"]
        print(
            f"staging program, {count:2d} service(s) on hostnames          {routed[count] * 1000:8.1f} ms"
            f"  (+ {engine * 1000:.1f} ms in the mock engine)"
        )
    first, last = SERVICE_COUNTS[0], SERVICE_COUNTS[-1]
    per_service = (times[last] - times[first]) / (last - first)
    per_routed = (routed[HOSTNAME_COUNTS[-1]] - routed[HOSTNAME_COUNTS[0]]) / (HOSTNAME_COUNTS[-1] - HOSTNAME_COUNTS[0])
    fleet, aws = cutover_critical_path()
    print(f"cut-over critical path, fleet defaults           {fleet:8d} s   (2 x 10 s health + 30 s drain)")
    print(f"cut-over critical path, AWS defaults             {aws:8d} s   (5 x 30 s health + 300 s drain)")

    results = [
        verdict(
            "one service / floor",
            f"{times[first] / floor:8.2f} x",
            f"<= {ONE_SERVICE_FLOOR_RATIO} x",
            times[first] <= ONE_SERVICE_FLOOR_RATIO * floor,
        ),
        verdict(
            "each extra service",
            f"{per_service * 1000:8.1f} ms",
            f"<= {EXTRA_SERVICE_FLOOR_SHARE:.0%} of the floor = {EXTRA_SERVICE_FLOOR_SHARE * floor * 1000:.1f} ms",
            per_service <= EXTRA_SERVICE_FLOOR_SHARE * floor,
        ),
        verdict(
            "one service on a hostname / floor",
            f"{routed[HOSTNAME_COUNTS[0]] / floor:8.2f} x",
            f"<= {ONE_SERVICE_FLOOR_RATIO} x",
            routed[HOSTNAME_COUNTS[0]] <= ONE_SERVICE_FLOOR_RATIO * floor,
        ),
        verdict(
            "each extra service on hostnames",
            f"{per_routed * 1000:8.1f} ms",
            f"<= {EXTRA_SERVICE_FLOOR_SHARE:.0%} of the floor = {EXTRA_SERVICE_FLOOR_SHARE * floor * 1000:.1f} ms",
            per_routed <= EXTRA_SERVICE_FLOOR_SHARE * floor,
        ),
        verdict(
            "cut-over shorter by", f"{aws / fleet:8.1f} x", f">= {CUTOVER_SPEEDUP} x", aws / fleet >= CUTOVER_SPEEDUP
        ),
    ]
    print("\n".join(undo_lines))
    return 0 if all(results) and undo_passed else 1


def verdict(name: str, measured: str, target: str, passed: bool) -> bool:
    print(f"{'PASS' if passed else 'FAIL'}  {name:42s} {measured}  (target {target})")
    return passed


if __name__ == "__main__":
    sys.exit(main())
