"""How a deploy moves a live fleet, decided from the config and the stack's last outputs. Plain Python, no Pulumi.

The Pulumi engine decides *whether* a resource is replaced; these functions decide what the program declares so
that the engine's decisions keep a service serving on every path: a failed cut-over and its retry, a deploy that
is not a release, a refresh, an autoscaled fleet. `tests/engine_model.py` checks them against a model of the
engine's rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fleet.config_types import Capacity, FleetConfig
from fleet.outputs import CapacityOutputs, DeployedRelease, ServiceOutputs
from fleet.routing import SHARED_HTTP_PORT, SHARED_HTTPS_PORT


@dataclass(frozen=True)
class LiveService:
    """What the stack's last outputs say serves for one service (its `services.<name>` output)."""

    release_id: str | None
    asg_name: str | None
    launch_template_id: str | None
    group_trigger: str | None
    """The replacement trigger the live group was created with; absent on stacks deployed before it was recorded."""
    port: int | None
    public_port: int | None
    health_check_path: str | None
    configured_desired: int | None
    """`capacity.desired` as the config said at that update: a different one now is a deliberate change."""

    @classmethod
    def from_outputs(cls, outputs: ServiceOutputs | None) -> LiveService | None:
        if outputs is None or outputs == ServiceOutputs():
            return None
        release = outputs.release or DeployedRelease()
        capacity = outputs.capacity or CapacityOutputs()
        return cls(
            release_id=release.release_id,
            asg_name=release.asg_name,
            launch_template_id=release.launch_template_id,
            group_trigger=release.group_trigger,
            port=outputs.port,
            public_port=outputs.public_port,
            health_check_path=outputs.health_check_path,
            configured_desired=capacity.desired,
        )


@dataclass(frozen=True)
class GroupSizes:
    """A group's sizes as AWS reports them (one `getGroup` lookup, program/lookups.py)."""

    desired: int
    min: int | None
    """None where the answer has no `min_size` (the offline mocks of `fleetctl plan`): unknown, so not compared."""


def live_canary(outputs: ServiceOutputs | None) -> LiveService | None:
    """What the last successful update left running as the service's canary (its `canary` entry), if anything.

    Its group keeps its replacement trigger the same way the live release's does (`group_trigger`).
    """
    if outputs is None or outputs.canary is None:
        return None
    return LiveService.from_outputs(ServiceOutputs(release=outputs.canary))


def live_services(services: Mapping[str, ServiceOutputs]) -> dict[str, LiveService]:
    """Every service the stack's last outputs export (`fleet.outputs.parse_services`), by name."""
    parsed = {name: LiveService.from_outputs(outputs) for name, outputs in services.items()}
    return {name: live for name, live in parsed.items() if live is not None}


def is_live_group(live: LiveService | None, launch_template_id: str) -> bool:
    """Whether the group built on `launch_template_id` is the one the stack's last outputs record as serving.

    A launch template is replaced on every release and whenever any of its inputs changes, and the group is
    replaced with it (`replace_with`). So a template id other than the live one means no outputs recorded this
    group: it is new in this deploy, or left behind by a failed one.
    """
    return live is not None and live.launch_template_id == launch_template_id


def group_trigger(release_id: str, live: LiveService | None, launch_template_id: str, attempt: str) -> str:
    """The autoscaling group's `replacement_trigger`: stable for the live group, fresh for any other.

    After a failed cut-over the engine keeps the unhealthy new group (with init errors, or none after a refresh)
    and marks the serving group for deletion at the end of the next successful update. A fresh trigger makes every
    such update replace the unhealthy group with a new, health-gated one first, so the serving group is deleted
    only after a group of this release has passed the gate. Groups deployed before the trigger was recorded were
    created with the release id as their trigger.
    """
    if live is not None and is_live_group(live, launch_template_id):
        return live.group_trigger or release_id
    return f"{release_id}-{attempt}"


def planned_desired(capacity: Capacity, live: LiveService | None, release_id: str, live_desired: int | None) -> int:
    """The desired capacity to declare: never less than the live fleet runs, unless the config deliberately says so.

    - First deploy, or the live group is gone: the configured desired.
    - A release: the new group starts at max(configured, live), so a cut-over never shrinks an autoscaled fleet.
    - `capacity.desired` changed since the last update: the new value, a deliberate scale.
    - Anything else (a settings change, a refresh, a deploy of another service): the live value, so no deploy
      undoes what autoscaling did. min and max still bound it.
    """
    if live is None or live_desired is None:
        return capacity.desired
    if live.release_id != release_id:
        wanted = max(capacity.desired, live_desired)
    elif live.configured_desired is not None and live.configured_desired != capacity.desired:
        wanted = capacity.desired
    else:
        wanted = live_desired
    return min(max(wanted, capacity.min), capacity.max)


def unsafe_changes(
    config: FleetConfig, live: Mapping[str, LiveService], live_vpc_id: str | None, vpc_id: str | None
) -> list[tuple[str, str]]:
    """Changes the engine would apply by cutting traffic, each as (key, what to do instead). Empty when safe.

    `vpc_id`: the VPC the config resolves to; None when it is not known (the default VPC, offline): never
    compared then, since a value the mocks invent is no VPC of the account.

    - `port`: the target group's port is ForceNew. Its replacement moves the listener to a new, empty group while
      the new hosts boot, and the hosts' firewall switches to the new port at once.
    - the VPC: the load balancer's security group, every target group and firewall are replaced in place of the
      serving ones.
    - a new service on a removed service's `publicPort` (a rename): the new listener is created before the old
      one is deleted, on the same port, and fails.
    """
    problems = []
    if live_vpc_id is not None and vpc_id is not None and live_vpc_id != vpc_id:
        problems.append(
            (
                "network.vpcId" if config.network.vpc_id else "network",
                f"this stack serves from {live_vpc_id}; moving it to {vpc_id} would replace its load balancer's "
                "firewall, target groups and hosts in place of the serving ones. Deploy a new stack in the new VPC, "
                "move the traffic to it, then destroy this one",
            )
        )
    declared = {service.name for service in config.services}
    removed_ports = {
        entry.public_port: name for name, entry in live.items() if name not in declared and entry.public_port
    }
    for service in config.services:
        entry = live.get(service.name)
        if entry is not None and entry.port is not None and entry.port != service.port:
            problems.append(
                (
                    f"services.{service.name}.port",
                    f"the live release listens on {entry.port}; changing it to {service.port} would replace the "
                    "target group and cut traffic while the new hosts boot. Add the new port as a new service "
                    f"(its own name and publicPort), move clients to it, then remove {service.name}",
                )
            )
        if entry is None and service.public_port in removed_ports:
            old = removed_ports[service.public_port]
            problems.append(
                (
                    f"services.{service.name}.publicPort",
                    f"port {service.public_port} is the listener of {old}, which this deploy removes; the new "
                    f"listener would be created before {old}'s is deleted, and fail. Give {service.name} another "
                    f"publicPort, or remove {old} in one deploy and add {service.name} in the next",
                )
            )
    return problems


def health_check_path_warnings(config: FleetConfig, live: Mapping[str, LiveService]) -> list[str]:
    """A new health-check path applies to the serving hosts at once (`health_check_path_warning`)."""
    return [
        health_check_path_warning(service.name, entry.health_check_path, service.health_check_path)
        for service in config.services
        if (entry := live.get(service.name)) is not None
        and entry.health_check_path is not None
        and entry.health_check_path != service.health_check_path
    ]


def health_check_path_warning(service: str, old: str, new: str) -> str:
    """A new health-check path applies to the serving hosts at once: if their image does not answer it, the load
    balancer marks them unhealthy and their group replaces them with hosts of the same release. Not refused, since
    the program cannot know what the image answers, but said, by the program and by `fleetctl diff`."""
    return (
        f"fleet:services.{service}.healthCheckPath changes from {old} to {new}: the serving hosts are checked on "
        "the new path at once. Release an image that answers both paths first, or the live hosts turn unhealthy."
    )


@dataclass(frozen=True)
class FrontDoorTakeover:
    """What the shared listeners take over from the stack's last update (`components/front_door.py`)."""

    http_owner: str | None = None
    """The service whose own listener held port 80: the shared HTTP listener is that listener, updated in place."""
    https_owner: str | None = None
    """The service whose own HTTPS listener held port 443, likewise."""
    carried_target_group_arn: str | None = None
    """The target group of the service moving, in this update, from its own listener on the shared port onto its
    hostnames: the shared routing listener forwards to it until the next update, so it is never without a route."""


def front_door_takeover(config: FleetConfig, previous: Mapping[str, ServiceOutputs]) -> FrontDoorTakeover:
    """Which listeners the last update left on ports 80 and 443 are now the front door's, read from its outputs
    (`publicPort`, and the `url` of a service served over HTTPS). `fleet.config_rules` refuses any service of this
    config its own listener on those ports once a service has hostnames, so such a listener is a leftover: of a
    service now on hostnames, or of one this update removes."""
    http_owner = next((name for name, entry in previous.items() if entry.public_port == SHARED_HTTP_PORT), None)
    https_owner = next(
        (
            name
            for name, entry in previous.items()
            if (entry.url or "").startswith("https://") and _port(entry.url) == SHARED_HTTPS_PORT
        ),
        None,
    )
    if not config.https:
        https_owner = None
    moving = https_owner if config.https else http_owner
    declared = {service.name: service for service in config.services}
    carried = None
    if moving in declared and declared[moving].hostnames and not previous[moving].hostnames:
        carried = previous[moving].target_group_arn
    return FrontDoorTakeover(http_owner, https_owner, carried)


def front_door_handback(config: FleetConfig, previous: Mapping[str, ServiceOutputs]) -> FrontDoorTakeover:
    """The reverse of `front_door_takeover`: when no service has hostnames any more but the last update had a
    front door, the service whose own listeners are now on 80 (and 443) takes the front door's listeners over in
    place (`*_owner` name that service); a new listener on those ports would meet the old one, deleted only at
    the end of the update."""
    if any(service.hostnames for service in config.services):
        return FrontDoorTakeover()
    served = [entry for entry in previous.values() if entry.hostnames]
    if not served:
        return FrontDoorTakeover()
    https_before = any((entry.url or "").startswith("https://") for entry in served)
    http_taker = next((s.name for s in config.services if s.public_port == SHARED_HTTP_PORT), None)
    https_taker = next(
        (s.name for s in config.services if s.https_port == SHARED_HTTPS_PORT and s.public_port is not None), None
    )
    return FrontDoorTakeover(http_owner=http_taker, https_owner=https_taker if config.https and https_before else None)


def _port(url: str | None) -> int | None:
    """The port of a URL the program exported (`<scheme>://<host>:<port>`)."""
    tail = (url or "").rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None
