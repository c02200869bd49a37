"""How long the fleet program takes to evaluate under Pulumi's mocks, and the cut-over its defaults imply.

Run: `.venv/bin/python bench/evaluate.py`. Each measurement is a fresh Python process (so imports are paid each
time, as in a real `pulumi preview`), repeated and reduced to its median. This is a benchmark, not a test: it
prints numbers and the targets next to them, and exits 0 either way.

Targets: one service <= 1.5x the floor (importing `pulumi` and the `pulumi_aws` submodules the program uses);
each extra service <= 25 ms; the cut-over critical path of the defaults >= 3x shorter than with AWS's defaults.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_COUNTS = (1, 10, 50)
# pulumi_aws loads a submodule on first attribute access: the floor touches each class and invoke the program uses.
FLOOR_BODY = """
import pulumi, pulumi_aws
pulumi_aws.get_caller_identity_output
pulumi_aws.autoscaling.Group, pulumi_aws.autoscaling.get_group_output
pulumi_aws.cloudwatch.LogGroup
pulumi_aws.ec2.LaunchTemplate, pulumi_aws.ec2.SecurityGroup, pulumi_aws.ec2.get_vpc_output
pulumi_aws.ecr.Repository, pulumi_aws.ecr.LifecyclePolicy, pulumi_aws.ecr.get_authorization_token_output
pulumi_aws.iam.Role, pulumi_aws.iam.RolePolicy, pulumi_aws.iam.InstanceProfile
pulumi_aws.lb.LoadBalancer, pulumi_aws.lb.TargetGroup, pulumi_aws.lb.Listener
pulumi_aws.vpc.SecurityGroupIngressRule, pulumi_aws.vpc.SecurityGroupEgressRule
"""

# Pytest and PyYAML are what the test harness needs, not what the program needs: imported before the clock starts.
PROBE = """
import sys, time, json
sys.path.insert(0, {root!r})
import pytest, yaml
start = time.perf_counter()
{body}
print(json.dumps(time.perf_counter() - start))
"""
PROGRAM_BODY = """
from tests.conftest import run_program, stack_file
config = stack_file({stack!r})
web = config["fleet:services"]["web"]
config["fleet:services"] = {{f"svc{{i}}": {{**web, "publicPort": 1000 + i}} for i in range({count})}}
run_program({stack!r}, config)
"""

# AWS defaults: healthy threshold 5 (API default) x 30 s interval, then a 300 s deregistration delay.
AWS_HEALTHY_SECONDS = 5 * 30
AWS_DRAIN_SECONDS = 300


def measure(body: str, repeats: int) -> float:
    """Median seconds of `body` over `repeats` fresh interpreters."""
    script = PROBE.format(root=str(ROOT), body=body)
    samples = [
        json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout)
        for _ in range(repeats)
    ]
    return statistics.median(samples)


def cutover_critical_path() -> tuple[int, int]:
    """(fleet defaults, AWS defaults) in seconds: health checks until a new instance serves, plus the drain."""
    from fleet.config import ImageSource, ServiceConfig

    defaults = ServiceConfig(name="web", image=ImageSource(version="0"), host_image="ami-00000000")
    health = defaults.health_check
    fleet = health.healthy_threshold * health.interval_seconds + defaults.drain_seconds
    return fleet, AWS_HEALTHY_SECONDS + AWS_DRAIN_SECONDS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh processes per measurement (default 5)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    floor = measure(FLOOR_BODY, args.repeats)
    print(f"floor: import pulumi + pulumi_aws submodules      {floor * 1000:8.1f} ms")
    times = {}
    for count in SERVICE_COUNTS:
        times[count] = measure(PROGRAM_BODY.format(stack="staging", count=count), args.repeats)
        print(f"staging program, {count:2d} service(s), under mocks   {times[count] * 1000:8.1f} ms")
    first, last = SERVICE_COUNTS[0], SERVICE_COUNTS[-1]
    per_service = (times[last] - times[first]) / (last - first)
    print(f"one service / floor                              {times[first] / floor:8.2f} x   (target <= 1.5 x)")
    print(f"each extra service                               {per_service * 1000:8.1f} ms  (target <= 25 ms)")

    fleet, aws = cutover_critical_path()
    print(f"cut-over critical path, fleet defaults           {fleet:8d} s   (2 x 10 s health + 30 s drain)")
    print(f"cut-over critical path, AWS defaults             {aws:8d} s   (5 x 30 s health + 300 s drain)")
    print(f"shorter by                                       {aws / fleet:8.1f} x   (target >= 3 x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
