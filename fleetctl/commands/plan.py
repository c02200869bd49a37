"""`fleetctl plan STACK`: what the program declares per service, run offline under the Pulumi SDK's mocks.

The real `__main__.py` runs with the stack file as its config and `fleetctl.simulation`'s mocks answering AWS, so
the release id, host image, capacity and health gate shown are the program's own values. Values only AWS or a
build knows (account, VPC, digests) come from the mocks and are not shown. With the stack's last outputs
(`--from-outputs`) it also says whether `pulumi up` would make a release, as the release id decides that; the
account's default VPC, which only AWS knows, is then taken to be the one the stack serves from, so that no value
the mocks invent is compared with a real one.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleet.config import ACCOUNT_ID
from fleet.config_types import FleetConfig, ServiceConfig
from fleet.image_use import OWN_HISTORY, SOURCE_DEPLOYED, image_provenance
from fleet.names import FIRST_SLOT, slot_name, slot_target_group_name
from fleet.outputs import (
    SERVICES,
    STACK,
    CanaryRelease,
    DeployedRelease,
    DnsOutputs,
    OutputsError,
    ServiceOutputs,
    live_vpc_id,
    parse_dns,
    parse_service,
    parse_services,
    write_service,
)
from fleet.replication import pinned_images
from fleet.resource_types import (
    AUTOSCALING_GROUP,
    DOCKER_IMAGE,
    ECR_REGISTRY_POLICY,
    ECR_REPLICATION_CONFIGURATION,
    GET_IMAGE,
    GET_PARAMETERS_BY_PATH,
    LAUNCH_TEMPLATE,
    TARGET_GROUP,
)
from fleet.validation import REGION_KEY
from fleetctl.cli import project_dir
from fleetctl.commands.check import problem_lines
from fleetctl.errors import CommandError
from fleetctl.names_report import plan_lines
from fleetctl.revisions import WorkingTree
from fleetctl.stack_check import ValidStack, require_stack, validate_stack
from fleetctl.stack_outputs import read_outputs_of
from fleetctl.warm import Window, duration, shown

if TYPE_CHECKING:
    from fleetctl.simulation import Declared, ProgramRun

SERVICE = "fleet:service:Service"
CANARY = "fleet:canary:Canary"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="what a stack would run per service, from the real program run offline",
        description="Run the program for a stack under the Pulumi SDK's mocks (no AWS credentials, no Pulumi CLI) "
        "and print per service: release id, image, host image, instance type, capacity and the health gate of a "
        "cut-over. Nothing is sent to AWS or a Pulumi backend.",
    )
    parser.add_argument("stack", metavar="STACK", help="the stack to plan, such as staging")
    parser.add_argument(
        "--from-outputs",
        type=Path,
        metavar="FILE",
        help="the stack's last outputs (as `pulumi stack output --json` prints them): also say which services "
        "`pulumi up` would release",
    )
    parser.add_argument(
        "--source-outputs",
        type=Path,
        metavar="FILE",
        help="for a promoted stack, the outputs of the stack it is promoted from: check the promotion guard "
        "offline (without it the guard is reported as not checked)",
    )
    parser.add_argument(
        "--account",
        metavar="ACCOUNT",
        help="for a promoted stack, the 12-digit account it deploys to: check that its hosts can pull its images "
        "(default: the account of the registry its image refs name in its region)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, now: datetime | None = None) -> int:
    """Print the plan; `now` (the clock, unless a test sets it) judges the deployed warm releases' windows."""
    now = now or datetime.now(UTC)
    # Imported here, not at the top: the simulation imports Pulumi (a second or more), and the CLI imports every
    # command's module to build its parser.
    from fleetctl.simulation import DEFAULT_VPC, FleetMocks, qualified, reset_runtime, run_program

    project = project_dir(args)
    tree = WorkingTree(project)
    require_stack(tree, args.stack)
    valid = validate_stack(tree, args.stack)
    if not isinstance(valid, ValidStack):
        print("\n".join(problem_lines(args.stack, valid)))
        return 1
    config = valid.config
    deployed = read_outputs_of(args.stack, args.from_outputs) if args.from_outputs else None
    source, guard_line = _promotion_source(config, args.source_outputs)

    stack_outputs = {qualified(args.stack): deployed or {}}
    if config.promotion is not None:
        stack_outputs[qualified(config.promotion.source)] = source
    account, account_line = _account(config, valid.raw.get(REGION_KEY), args.account)
    try:
        declared = run_program(
            args.stack,
            valid.raw,
            project_root=project.resolve(),
            stack_outputs=stack_outputs,
            live_desired=_live_desired_assumed(config, deployed),
            mocks=FleetMocks(account=account, default_vpc=live_vpc_id(deployed or {}) or DEFAULT_VPC),
            now=now,
        )
    except Exception as error:  # the program's own refusal, as `pulumi up` would print it
        print(f"{args.stack}: the program stops: {error}")
        return 1
    finally:
        reset_runtime()
    print(
        f"Plan of stack {args.stack}: the program run under the Pulumi SDK's mocks, offline. Nothing was sent to "
        "AWS or a Pulumi backend; account, network and digest values are the mocks' and are not shown."
    )
    if guard_line:
        print(guard_line)
    elif config.promotion is not None:
        print(_guard_line(config, source, deployed or {}, args.source_outputs))
    for line in [*([account_line] if account_line else []), *_registry_lines(declared)]:
        print(line)
    for service in config.services:
        print()
        print("\n".join(_service_plan(service, declared, deployed, now)))
    for name in sorted(set(_deployed_services(deployed)) - {service.name for service in config.services}):
        print(f"\n{name}\n  pulumi up:      removes the service: its ASG and instances, target group and listener")
    names = plan_lines(config, declared, _deployed_dns(deployed))
    if names:
        print("\n" + "\n".join(names))
    return 0


def _promotion_source(config: FleetConfig, outputs_file: Path | None) -> tuple[dict[str, Any], str | None]:
    """The source stack's outputs the guard reads, and the plan's line about the guard."""
    promotion = config.promotion
    if promotion is None:
        if outputs_file is not None:
            raise CommandError(f"stack {config.stack} has no fleet:promotion: --source-outputs has nothing to check")
        return {}, None
    if outputs_file is not None:
        return read_outputs_of(promotion.source, outputs_file), None
    # Without them the guard is given every configured ref as deployed, so the rest of the plan can run.
    assumed = {
        service.name: write_service(
            ServiceOutputs(
                release=DeployedRelease(image_ref=service.image.ref),
                canary=CanaryRelease(image_ref=service.canary.image.ref) if service.canary else None,
            )
        )
        for service in config.services
    }
    return {STACK: promotion.source, SERVICES: assumed}, (
        f"promotion guard: NOT checked offline: pass --source-outputs FILE (`pulumi stack output --json --stack "
        f"{promotion.source}`); `pulumi up` refuses an image.ref that {promotion.source} never deployed, and reads "
        f"there which registries {promotion.source} replicates to"
    )


def _account(config: FleetConfig, region: Any, given: str | None) -> tuple[str, str | None]:
    """The account the program runs in under the mocks, and the plan's line saying where it comes from."""
    from fleetctl.simulation import ACCOUNT  # here, not at the top: see `run`

    if given is not None:
        if not ACCOUNT_ID.match(given):
            raise CommandError(f"--account must be a 12-digit AWS account id; got {given!r}")
        return given, f"account:        {given} (--account)"
    if config.promotion is None:
        return ACCOUNT, None
    own = sorted({image.account for image in pinned_images(config) if image.region == region})
    if len(own) != 1:
        return ACCOUNT, None
    return own[0], (
        f"account:        {own[0]}, assumed from the registry its image refs name in {region}; pass --account to "
        "check the account it deploys to"
    )


def _registry_lines(declared: ProgramRun) -> list[str]:
    """The stack's replication rule (a building stack with consumers) or registry grant (a consumer)."""
    lines = []
    for rule in declared.of_type(ECR_REPLICATION_CONFIGURATION):
        (replication,) = rule.inputs["replicationConfiguration"]["rules"]
        (prefix,) = [entry["filter"] for entry in replication["repositoryFilters"]]
        targets = ", ".join(f"{d['registryId']} in {d['region']}" for d in replication["destinations"])
        lines.append(f"replication:    ECR copies every image pushed to {prefix}* to {targets}")
    for grant in declared.of_type(ECR_REGISTRY_POLICY):
        (statement,) = json.loads(grant.inputs["policy"])["Statement"]
        lines.append(
            f"registry grant: {statement['Principal']['AWS'].split(':')[4]} may replicate into "
            f"{statement['Resource'].split('repository/', 1)[1]} in this registry"
        )
    if any(token == GET_IMAGE for token, _ in declared.invokes):
        lines.append(
            "image lookups:  NOT checked offline (the mocks hold no images): `pulumi up` looks each image up in "
            "this stack's registry and refuses a live service's absent one before declaring anything"
        )
    if any(token == GET_PARAMETERS_BY_PATH for token, _ in declared.invokes):
        lines.append(
            "rollback marks: NOT checked offline (the mocks hold none): `pulumi up` reads fleetctl watch's marks in "
            "SSM and refuses a release its alarms rolled back; `fleetctl status` shows a service rolled back"
        )
    return lines


def _guard_line(config: FleetConfig, source: dict[str, Any], deployed: dict[str, Any], outputs_file: Path) -> str:
    """Which check of the promotion guard passed each image (the program refused any that none passed)."""
    assert config.promotion is not None
    origin = config.promotion.source
    said = {
        SOURCE_DEPLOYED: f"deployed by {origin}",
        OWN_HISTORY: f"not deployed by {origin}, but run by {config.stack} before (its release history in "
        "--from-outputs): a rollback",
        None: "NOT verified, let through by fleet:promotion.allowUnverified",
    }
    source_services, own_services = _deployed_services(source), _deployed_services(deployed)
    checks = {
        f"{service.name}.{key}": image_provenance(ref, service.name, source_services, own_services)
        for service in config.services
        for key, ref in (("image.ref", service.image.ref), ("canary.image.ref", _canary_ref(service)))
        if ref is not None
    }
    if set(checks.values()) == {SOURCE_DEPLOYED}:
        return f"promotion guard: checked: every image.ref was deployed by {origin} ({outputs_file})"
    listed = "; ".join(f"{key} {said[provenance]}" for key, provenance in checks.items())
    return f"promotion guard: checked with {origin}'s outputs ({outputs_file}): {listed}"


def _canary_ref(service: ServiceConfig) -> str | None:
    return service.canary.image.ref if service.canary else None


def _live_desired_assumed(config: FleetConfig, deployed: dict[str, Any] | None) -> dict[str, int]:
    """The carry-over reads each live group's desired capacity from AWS: assumed to be the configured one here."""
    desired = {service.name: service.capacity.desired for service in config.services}
    return {
        release.asg_name: desired[name]
        for name, release in _deployed_releases(deployed)
        if name in desired and release.asg_name
    }


def _slot(resources: list[Declared], service: str, slot: str) -> tuple[Declared, Declared, Declared]:
    """The launch template, group and target group of a service's release slot (fleet/slots.py)."""
    release = slot_name(service, slot, "release")
    parts = [resource for resource in resources if resource.parent == release]
    target_groups = [r for r in resources if r.name == slot_target_group_name(service, slot)]
    return _one(parts, LAUNCH_TEMPLATE), _one(parts, AUTOSCALING_GROUP), _one(target_groups, TARGET_GROUP)


def _service_plan(
    service: ServiceConfig, declared: ProgramRun, deployed: dict[str, Any] | None, now: datetime
) -> list[str]:
    resources = _resources_of(declared, SERVICE, service.name)
    outputs = parse_service(declared.outputs[SERVICES][service.name], service.name)
    release = outputs.release or DeployedRelease()
    template, group, target_group = _slot(resources, service.name, release.slot or FIRST_SLOT)
    check = target_group.inputs["healthCheck"]
    lines = [
        service.name,
        f"  release:        {release.release_id} (version {release.version})",
        f"  image:          {_image(service, resources)}",
        f"  host image:     {template.inputs['imageId']}",
        f"  instance type:  {template.inputs['instanceType']}",
        f"  capacity:       min {group.inputs['minSize']:.0f}, desired {group.inputs['desiredCapacity']:.0f}, "
        f"max {group.inputs['maxSize']:.0f}",
        f"  health check:   HTTP {check['path']} on port {target_group.inputs['port']:.0f} answers {check['matcher']}, "
        f"every {check['interval']:.0f} s (timeout {check['timeout']:.0f} s): healthy after "
        f"{check['healthyThreshold']:.0f}, unhealthy after {check['unhealthyThreshold']:.0f}; boot grace "
        f"{group.inputs['healthCheckGracePeriod']:.0f} s",
        f"  health gate:    a new release waits for {group.inputs['waitForElbCapacity']:.0f} healthy instances "
        f"(wait_for_elb_capacity) for at most {group.inputs['waitForCapacityTimeout']} (cut-over timeout), else "
        "`pulumi up` fails and the old release keeps serving",
        f"  drain:          {target_group.inputs['deregistrationDelay']:.0f} s for the old release's instances",
    ]
    if service.hostnames:
        lines.append(_routing_line(service, outputs))
    canary = outputs.canary
    canary_resources = _resources_of(declared, CANARY, f"{service.name}-canary")
    if canary is not None:
        canary_slot = canary.slot or FIRST_SLOT
        canary_template = _slot(resources, service.name, canary_slot)[0]
        slot_release = slot_name(service.name, canary_slot, "release")
        canary_resources += [r for r in resources if r.parent == slot_release]
    if service.canary is not None and canary is not None:
        lines.append(_canary_line(canary, canary_template))
    if deployed is not None:
        before = _deployed_services(deployed).get(service.name, ServiceOutputs())
        lines.append(f"  pulumi up:      {_change(release, before, service.warm_rollback_minutes, now)}")
        if canary is not None:
            lines.append(f"  canary change:  {_canary_change(canary, before.canary, canary_resources)}")
    return lines + _warm_lines(outputs, _deployed_services(deployed).get(service.name), now)


def _window(deployed: ServiceOutputs, now: datetime) -> Window:
    assert deployed.warm is not None
    return Window.of(deployed.warm, now, "the stack outputs' warm")


def _warm_lines(declared: ServiceOutputs, deployed: ServiceOutputs | None, now: datetime) -> list[str]:
    """The warm release this update leaves and when it retires; a deployed warm release it retires, with what it
    cost past its window."""
    lines = []
    warm = declared.warm
    if warm is not None:
        carried = deployed is not None and deployed.warm is not None and deployed.warm.release_id == warm.release_id
        how = "stays warm" if carried else "becomes warm once the new release serves"
        lines.append(
            f"  warm:           {warm.release_id} (version {warm.version}), slot {warm.slot}: {how}, out of traffic; "
            f"{Window.of(warm, now, 'the planned warm').retirement()}"
        )
    old = deployed.warm if deployed is not None else None
    if old is None or deployed is None or (warm is not None and warm.release_id == old.release_id):
        return lines
    release = declared.release
    if release is not None and (release.release_id, release.slot) == (old.release_id, old.slot):
        return lines  # a switch: the warm release becomes the live one
    window = _window(deployed, now)
    overdue = window.overdue
    why = (
        f"its window closed at {shown(window.retires_at)}, {duration(overdue)} ago: {window.instance_hours:.1f} "
        f"instance-hours past its window ({old.desired or 0} host(s))"
        if overdue is not None
        else "a newer release takes its place"
    )
    lines.append(
        f"  retires:        warm release {old.release_id} (version {old.version}): {why}; this `pulumi up` deletes it"
    )
    return lines


def _routing_line(service: ServiceConfig, outputs: ServiceOutputs) -> str:
    own = f"; also its own listener on port {service.public_port}" if service.public_port is not None else ""
    return (
        f"  routing:        {', '.join(service.hostnames)} on the shared listener ({outputs.url}), host rule "
        f"priority {outputs.rule_priority}; other hosts get 404{own}"
    )


def _canary_change(canary: CanaryRelease, live: CanaryRelease | None, resources: list[Declared]) -> str:
    """What `pulumi up` does to the service's canary: starts it (creating its resources), releases it, or nothing."""
    if live is None:
        created = ", ".join(f"{resource.type.rsplit(':', 1)[-1]} {resource.name}" for resource in resources)
        return f"starts the canary: creates {created}"
    if live.release_id == canary.release_id:
        return f"no release (canary release {canary.release_id} is live)"
    return (
        f"canary release: replaces the canary's launch template and ASG ({live.release_id} → {canary.release_id}); "
        "the live release is not replaced"
    )


def _canary_line(canary: CanaryRelease, template: Declared) -> str:
    return (
        f"  canary:         release {canary.release_id} (version {canary.version}) on {canary.instances} "
        f"{template.inputs['instanceType']} host(s) of {template.inputs['imageId']}, {canary.weight}% of requests "
        "once its hosts are healthy"
    )


def _change(release: DeployedRelease, before: ServiceOutputs, window: int, now: datetime) -> str:
    """What `pulumi up` does to the live release: nothing, a switch back to the warm one, a canary finish, or a
    release into a free slot; and what becomes of the release that serves now."""
    live = before.release
    if live is None:
        return f"new service: creates its first release {release.release_id}"
    if live.release_id == release.release_id:
        return f"no release (release {release.release_id} is live; capacity and settings update in place)"
    former = (
        f"release {live.release_id} then stays warm for {window} min (a rollback within it is a switch)"
        if window > 0
        else f"release {live.release_id} is deleted once the cut-over is done (warmRollbackMinutes is 0)"
    )
    if before.warm is not None and before.warm.release_id == release.release_id and _window(before, now).open:
        return (
            f"switch: traffic moves back to the warm release {release.release_id} (slot {release.slot}), one load "
            f"balancer change once its hosts pass the health gate; no launch template, no ASG, no boot (if the "
            f"update runs before its window closes at {shown(_window(before, now).retires_at)}); {former}"
        )
    if before.canary is not None and before.canary.release_id == release.release_id:
        return (
            f"canary finish: the canary's group (slot {release.slot}) scales in place to the live capacity, behind "
            f"the health gate, then takes all traffic; no second boot; {former}"
        )
    changed = [
        f"{label} {getattr(live, name)} → {getattr(release, name)}"
        for name, label in (("version", "version"), ("host_image", "host image"), ("instance_type", "instance type"))
        if getattr(live, name) != getattr(release, name)
    ]
    because = f"; {', '.join(changed)}" if changed else ""
    return (
        f"release: a new launch template and ASG in slot {release.slot} ({live.release_id} → "
        f"{release.release_id}{because}), health-gated before traffic moves; the new group starts with the live "
        f"group's desired capacity when larger (read from AWS at deploy, assumed unchanged here); {former}"
    )


def _image(service: ServiceConfig, resources: list[Declared]) -> str:
    if service.image.build is None:
        return f"{service.image.ref} (pinned by digest)"
    # A building stack's canary image is a child of the service (`<service>-canary-image`), beside the live one.
    live = [resource for resource in resources if resource.name != f"{service.name}-canary-image"]
    pushed = _one(live, DOCKER_IMAGE).inputs["imageName"].split("/", 1)[-1]
    return f"built from {service.image.build}, pushed as {pushed} (its digest is known once built)"


def _resources_of(declared: ProgramRun, component: str, name: str) -> list[Declared]:
    """The resources declared inside the component `name` of type `component`, at any depth (parents come before
    children), but not those of a component of another type within it (a service's canary)."""
    names = {name}
    inside = []
    for resource in declared.resources:
        if resource.type in (SERVICE, CANARY) and (resource.type, resource.name) != (component, name):
            continue
        if resource.parent in names:
            names.add(resource.name)
            inside.append(resource)
    return inside


def _one(resources: list[Declared], type_: str) -> Declared:
    matches = [resource for resource in resources if resource.type == type_]
    if len(matches) != 1:
        raise CommandError(f"the program declared {len(matches)} {type_} for a service; fleetctl plan expects one")
    return matches[0]


def _deployed_releases(deployed: dict[str, Any] | None) -> Iterator[tuple[str, DeployedRelease]]:
    for name, outputs in _deployed_services(deployed).items():
        if outputs.release is not None:
            yield name, outputs.release


def _deployed_dns(deployed: dict[str, Any] | None) -> DnsOutputs | None:
    """The stack's last `dns` output; an empty one when the last update had no zone (so all records are new)."""
    if deployed is None:
        return None
    try:
        return parse_dns(deployed) or DnsOutputs()
    except OutputsError as error:
        raise CommandError(f"the stack outputs: {error}") from error


def _deployed_services(deployed: dict[str, Any] | None) -> dict[str, ServiceOutputs]:
    try:
        return parse_services(deployed or {})
    except OutputsError as error:
        raise CommandError(f"the stack outputs: {error}") from error
