"""The modelled time to undo a release, built from the steps on each undo's critical path, each step cited.

Three undos of a release that passed its health gate but fails its users, each from the start of the `pulumi up`
that undoes it (the deploy workflow's checkout, install and approval come before it and are the same for all three):

- **within the warm window**: the stack file pins the warm release again; the update changes the track rule's
  weights, updates the warm group in place (its `min_size` and role tag; its hosts are healthy, so the provider's
  capacity wait passes at its first check) and moves the traffic rule's forward: one load balancer change;
- **after the window**: the warm release is gone, so pinning the previous release again is a full release into a
  free slot: a new launch template and group, boot, image pull, health gate, then the traffic rule's change;
- **today** (the code on main): a full release into the service's one target group; the bad release keeps a share
  of the requests until the new group is healthy and the engine deletes the old group, whose hosts then drain.

The undo ends when the load balancer routes no request to the bad release any more. Within and after the window
the bad release's target group leaves the traffic rule: the load balancer sends it no new request and completes
those in flight (ELB docs, "Edit a listener rule"), and nothing is deregistered, so no drain is on the path (the bad
release becomes the warm one). Today its hosts are deregistered when the engine deletes the old group, at the end
of the update, and their in-flight requests may take the whole deregistration delay (`drainSeconds`).

Every number that is one of fleet's defaults is read from fleet (`ServiceConfig`, `AlarmThresholds`, the alarms'
period and evaluation periods, `fleetctl watch`'s poll interval), so the model follows a changed default. The
others are constants below, each with its source and whether AWS documents it, others measured it, a provider's
source code sets it, or it is an allowance of ours (`ASSUMED`). Nothing here ran against AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.alarms import PERIOD_SECONDS, _breached_for
from fleet.config_types import AlarmThresholds, ImageSource, ServiceConfig
from fleetctl.commands.watch import DEFAULT_INTERVAL_SECONDS, SWITCH_CALLS, worst_case_seconds

DOCUMENTED = "documented"
MEASURED = "measured by others"
SOURCE = "provider source"
DEFAULT = "fleet default"
ASSUMED = "assumed"

SPEEDUP_TARGET = 10.0
"""Issue 16: a rollback within the window at least 10 x faster than today's."""
AUTOMATIC_ROLLBACK_TARGET_SECONDS = 120
"""Issue 16: when the new release's alarms fire, traffic is back on the warm release within 2 minutes."""


@dataclass(frozen=True)
class Step:
    """One step on an undo's critical path."""

    what: str
    seconds: float
    basis: str
    """DOCUMENTED, MEASURED, SOURCE, DEFAULT or ASSUMED."""
    source: str
    """Where the number comes from."""


@dataclass(frozen=True)
class Undo:
    name: str
    steps: tuple[Step, ...]

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def without(self, common: Step) -> float:
        """The seconds of the steps other than `common` (the overhead every undo pays alike)."""
        return sum(step.seconds for step in self.steps if step != common)


PULUMI_UP = Step(
    "`pulumi up --yes`: CLI and provider start, program run, preview, the update's own run",
    8.5,
    MEASURED,
    "pulumi/pulumi#3671 (lukehoban, 2020-03-02): `pulumi up --yes` of the default AWS template, no changes, "
    "average of 10 runs 8.48 s; a real stack has more resources to diff, so this is a floor",
)
LAUNCH_AND_BOOT = Step(
    "instance launch and OS boot, to its network services",
    29.2,
    MEASURED,
    "daemonology.net 2021-08-12 'EC2 boot time benchmarking', the sample output of ec2-boot-bench: RunInstances "
    "1.5 s, pending to running 4.9 s, running to port closed 17.2 s, port closed to open 5.6 s; "
    "github.com/brevdev/ec2-coldboot-research measured 25.8 s on average from launch to SSH",
)
IMAGE_PULL = Step(
    "image pull by digest from ECR",
    10.0,
    DOCUMENTED,
    "Amazon ECS Developer Guide, 'Container image pull behavior for the EC2 ... launch types': 'For larger Docker "
    "images, the download time might take 10-20 seconds'; the low end, for the slim default image",
)
SERVICE_START = Step(
    "the boot script around the pull (docker, ECR login, settings read, `docker run`) and the service's start",
    5.0,
    ASSUMED,
    "an allowance: five short commands (components/boot.sh) and a standard-library HTTP server; not measured",
)
API_CALL_SECONDS = 0.3
"""ASSUMED: one AWS API call from the deploy runner, round trip included; no source measures these calls."""
RULE_PROPAGATION = Step(
    "the listener rule change reaching every load balancer node",
    5.0,
    ASSUMED,
    "ELB docs, 'Edit a listener rule': 'Rule updates do not take effect immediately, so requests could be routed "
    "using the previous rule configuration for a short time'; AWS gives no figure, 5 s is an allowance",
)
CAPACITY_WAIT_SOURCE = (
    "terraform-provider-aws internal/service/autoscaling/group.go `waitGroupCapacitySatisfied` (commit "
    "00a919d1548e) sets no PollInterval, Delay or MinTimeout: terraform-plugin-sdk's StateChangeConf checks at "
    "once, then backs off from 100 ms, doubling, to at most 10 s (read in helper/resource/state.go at commit "
    "1413e22a8d8b; the provider uses its later copy, helper/retry)"
)
CAPACITY_WAIT_CAP_SECONDS = 10.0
"""The most the provider's capacity wait sleeps between two checks (CAPACITY_WAIT_SOURCE)."""

SWITCH_UPDATE_CALLS = (
    "ModifyRule (track rule: the warm slot's weight 1)",
    "DescribeRules (its read)",
    "UpdateAutoScalingGroup (warm group: min_size, desired unchanged)",
    "CreateOrUpdateTags (fleet:track=live)",
    "ResumeProcesses (AlarmNotification)",
    "DescribeScalingActivities (capacity wait's first check)",
    "DescribeAutoScalingGroups (capacity wait's first check)",
    "DescribeTargetHealth (capacity wait's first check)",
    "DescribeAutoScalingGroups (the group's read)",
    "ModifyRule (traffic rule: forward to the warm slot)",
)
"""The AWS calls of a switch's update up to the traffic rule's change, one after the other (the group depends on the
track rule, the traffic rule on the group)."""
RELEASE_UPDATE_CALLS = (
    "ModifyRule (track rule: the new slot's weight 1)",
    "DescribeRules (its read)",
    "CreateLaunchTemplate",
    "DescribeLaunchTemplates (its read)",
    "CreateAutoScalingGroup",
    "DescribeAutoScalingGroups (the group's read)",
    "ModifyRule (traffic rule: forward to the new slot)",
)
"""A full release into a free slot: the calls besides the boot and the capacity wait's checks, up to the switch."""
TODAY_UPDATE_CALLS = (
    "CreateLaunchTemplate",
    "DescribeLaunchTemplates (its read)",
    "CreateAutoScalingGroup",
    "DescribeAutoScalingGroups (the group's read)",
    "PutScalingPolicy (the new group's target tracking)",
    "DescribePolicies (its read)",
    "UpdateAutoScalingGroup (deleting the old group: sizes to 0, its hosts deregister)",
)
"""Today's release: the new group, its scaling policy, then the old group's delete at the end of the update."""


def api_calls(calls: Sequence[str]) -> Step:
    return Step(
        f"{len(calls)} AWS API calls one after the other: {', '.join(call.split(' ')[0] for call in calls)}",
        len(calls) * API_CALL_SECONDS,
        ASSUMED,
        f"{API_CALL_SECONDS} s each, an allowance",
    )


def health_gate(service: ServiceConfig) -> Step:
    """A booting host fails its checks until the service answers, so it must then pass healthyThreshold in a row."""
    health = service.health_check
    return Step(
        f"health checks: {health.healthy_threshold} in a row, {health.interval_seconds} s apart",
        float(health.healthy_threshold * health.interval_seconds),
        DEFAULT,
        "healthCheck.healthyThreshold x healthCheck.intervalSeconds (defaults: fleet/config_types.py); ELB docs "
        "'Health checks for Application Load Balancer target groups': HealthyThresholdCount consecutive successes put "
        "a target in service (a new target that answers at once needs one; a host registered while it boots has "
        "failed first)",
    )


def boot_steps(service: ServiceConfig) -> tuple[Step, ...]:
    """A new group's hosts, from launch to the provider seeing them healthy in the target group."""
    return (
        LAUNCH_AND_BOOT,
        IMAGE_PULL,
        SERVICE_START,
        health_gate(service),
        Step(
            "the capacity wait's next check after the hosts are healthy (worst case)",
            CAPACITY_WAIT_CAP_SECONDS,
            SOURCE,
            CAPACITY_WAIT_SOURCE,
        ),
    )


def drain(service: ServiceConfig) -> Step:
    return Step(
        f"deregistration delay of the bad release's hosts: drainSeconds = {service.drain_seconds}",
        float(service.drain_seconds),
        DEFAULT,
        "drainSeconds (default: fleet/config_types.py); ELB docs 'Edit target group attributes': the load balancer "
        "stops sending requests to deregistering targets and waits the deregistration delay for in-flight ones",
    )


def within_window(service: ServiceConfig) -> Undo:
    first_check = Step(
        "the capacity wait: its first check passes (the warm hosts are healthy and min <= desired)",
        0.0,
        SOURCE,
        CAPACITY_WAIT_SOURCE,
    )
    return Undo("within the warm window", (PULUMI_UP, api_calls(SWITCH_UPDATE_CALLS), first_check, RULE_PROPAGATION))


def after_window(service: ServiceConfig) -> Undo:
    return Undo(
        "after the window", (PULUMI_UP, api_calls(RELEASE_UPDATE_CALLS), *boot_steps(service), RULE_PROPAGATION)
    )


def today(service: ServiceConfig) -> Undo:
    return Undo("today (main)", (PULUMI_UP, api_calls(TODAY_UPDATE_CALLS), *boot_steps(service), drain(service)))


@dataclass(frozen=True)
class AlarmPath:
    """One alarm: how long it takes to fire once its metric turns bad."""

    alarm: str
    detection_seconds: int
    """The alarm's period x its evaluation periods: every one of them must breach (components/alarms.py)."""


def alarm_paths(thresholds: AlarmThresholds) -> list[AlarmPath]:
    minutes = {
        "unhealthy hosts": thresholds.unhealthy_host_minutes,
        "5xx rate": thresholds.error_rate_minutes,
        "p99 latency": thresholds.p99_latency_minutes,
    }
    return [
        AlarmPath(alarm, PERIOD_SECONDS * _breached_for(count)["evaluation_periods"])
        for alarm, count in minutes.items()
    ]


def automatic_rollback() -> Undo:
    """From an alarm entering ALARM to traffic on the warm release, by `fleetctl watch --rollback` (no `pulumi up`)."""
    poll = Step(
        "`fleetctl watch`'s poll interval: the alarm fires just after a poll (worst case)",
        float(DEFAULT_INTERVAL_SECONDS),
        DEFAULT,
        "fleetctl/commands/watch.py DEFAULT_INTERVAL_SECONDS (--interval)",
    )
    return Undo("automatic rollback, from the alarm firing", (poll, api_calls(SWITCH_CALLS), RULE_PROPAGATION))


NOW_CALLS = tuple(call for call in SWITCH_CALLS if call != "cloudwatch:DescribeAlarms")
"""`fleetctl rollback --now`'s calls: the watch's switch path without the alarm poll (its checks, DescribeTargetHealth
and DescribeRules, then the marker, UpdateAutoScalingGroup, ResumeProcesses and ModifyRule)."""


def rollback_now() -> Undo:
    """From `fleetctl rollback STACK --service NAME --now` to traffic on the warm release: the watch's switch, run by
    an operator, no `pulumi up`. The outputs' read before it (`pulumi stack output`) is not modelled: no cited time."""
    return Undo("rollback --now, by an operator", (api_calls(NOW_CALLS), RULE_PROPAGATION))


def automatic_rollback_worst_seconds() -> float:
    """The same with every call of the watch taking all its attempts and timeouts (`worst_case_seconds`)."""
    return worst_case_seconds(DEFAULT_INTERVAL_SECONDS) + RULE_PROPAGATION.seconds


def warm_instance_hours(service: ServiceConfig) -> float:
    """The warm window's extra cost per release: the previous release keeps its serving capacity that long."""
    return service.capacity.desired * service.warm_rollback_minutes / 60


def default_service() -> ServiceConfig:
    """A service with every default of fleet's (its image and host image are required keys: placeholders)."""
    return ServiceConfig(name="web", image=ImageSource(version="0"), host_image="ami-00000000")


def report(service: ServiceConfig) -> tuple[list[str], bool]:
    """The lines `bench/evaluate.py --undo` prints, and whether every target holds."""
    switch, full, current = within_window(service), after_window(service), today(service)
    automatic, now = automatic_rollback(), rollback_now()
    sources: list[str] = []
    lines = ["undo of a bad release (modelled: nothing ran against AWS); by `pulumi up`, from the start of the update"]
    for undo in (switch, full, current, automatic):
        lines.append(f"  {undo.name}: {undo.seconds:.1f} s")
        lines.extend(_step_line(step, sources) for step in undo.steps)
    worst = automatic_rollback_worst_seconds()
    lines.append(f"    {worst:5.1f} s  at worst: every call of the watch takes all its attempts and timeouts")
    lines.append(f"  {now.name}: {now.seconds:.1f} s, {current.seconds / now.seconds:.1f} x faster than today's undo")
    lines.extend(_step_line(step, sources) for step in now.steps)
    for path in alarm_paths(service.alarms):
        lines.append(
            f"  the {path.alarm} alarm fires {path.detection_seconds} s after its metric turns bad "
            f"({path.detection_seconds // PERIOD_SECONDS} x {PERIOD_SECONDS} s): traffic is on the warm release "
            f"{path.detection_seconds + automatic.seconds:.1f} s after the metric turned bad "
            f"(at worst {path.detection_seconds + worst:.0f} s)"
        )
    lines.append(
        f"  warm window cost: {warm_instance_hours(service):.1f} instance-hours per release "
        f"({service.capacity.desired} hosts x {service.warm_rollback_minutes} min: "
        "capacity.desired x warmRollbackMinutes)"
    )
    whole = current.seconds / switch.seconds
    changes = current.without(PULUMI_UP) / switch.without(PULUMI_UP)
    verdicts = [
        _verdict("rollback in the window vs today, whole update", f"{whole:5.1f} x", whole >= SPEEDUP_TARGET, "x"),
        _verdict("rollback in the window vs today, AWS changes *", f"{changes:5.1f} x", changes >= SPEEDUP_TARGET, "x"),
        _verdict(
            "automatic rollback, alarm to traffic, at worst",
            f"{worst:5.1f} s",
            worst <= AUTOMATIC_ROLLBACK_TARGET_SECONDS,
            "s",
        ),
    ]
    lines.extend(line for line, _ in verdicts)
    lines.append(f"  * without the {PULUMI_UP.seconds} s of `pulumi up` itself [1], which every undo pays alike")
    for name, undo_seconds in (("whole update", current.seconds), ("AWS changes", current.without(PULUMI_UP))):
        others = (switch.seconds if name == "whole update" else switch.without(PULUMI_UP)) - RULE_PROPAGATION.seconds
        most = undo_seconds / SPEEDUP_TARGET - others
        lines.append(
            f"  {name}: {SPEEDUP_TARGET:.0f} x holds while the rule change propagates in at most {most:.1f} s"
            if most > 0
            else f"  {name}: {SPEEDUP_TARGET:.0f} x fails even if the rule change took no time"
        )
    lines.append("sources:")
    lines.extend(f"  [{number}] {source}" for number, source in enumerate(sources, start=1))
    return lines, all(passed for _, passed in verdicts)


def _step_line(step: Step, sources: list[str]) -> str:
    """The step, with its basis and the number of its source in `sources` (added there the first time)."""
    if step.source not in sources:
        sources.append(step.source)
    return f"    {step.seconds:5.1f} s  {step.what}  ({step.basis} [{sources.index(step.source) + 1}])"


def _verdict(name: str, shown: str, passed: bool, unit: str) -> tuple[str, bool]:
    target = f">= {SPEEDUP_TARGET:.0f} x" if unit == "x" else f"<= {AUTOMATIC_ROLLBACK_TARGET_SECONDS} s"
    return f"{'PASS' if passed else 'FAIL'}  {name:48s} {shown}  (target {target})", passed
