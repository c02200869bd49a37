"""The stack's shared listeners and each service's place on them, for a stack whose services have hostnames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from components.front_door import FrontDoor, FrontDoorArgs, HostRoute
from components.listeners import ListenerAliases
from fleet import resource_types as types
from fleet.config import FleetConfig
from fleet.names import NAMESPACE, stack_tags
from fleet.outputs import ServiceOutputs
from fleet.rollout import front_door_handback, front_door_takeover
from fleet.routing import rule_priorities

FRONT_DOOR = f"{NAMESPACE}-front-door"
SERVICE_TYPE = "fleet:service:Service"
FRONT_DOOR_TYPE = "fleet:front_door:FrontDoor"


@dataclass(frozen=True)
class Routing:
    front_door: FrontDoor | None = None
    routes: dict[str, HostRoute] = field(default_factory=dict)
    """Each service with hostnames: where its host rule goes."""
    handbacks: dict[str, ListenerAliases] = field(default_factory=dict)
    """The service whose own listeners take the front door's over (`fleet.rollout.front_door_handback`)."""


def host_routes(
    config: FleetConfig,
    previous: Mapping[str, ServiceOutputs],
    load_balancer_arn: pulumi.Input[str],
    certificate_arn: pulumi.Input[str] | None,
) -> Routing:
    """The front door and each service's route on it; none when no service has hostnames (the stack then
    declares what it did before hostnames existed, unless its own listeners take a front door's over)."""
    routed = {service.name: service.hostnames for service in config.services if service.hostnames}
    if not routed:
        handback = front_door_handback(config, previous)
        handbacks: dict[str, ListenerAliases] = {}
        for service, suffix, index in ((handback.http_owner, "http", 0), (handback.https_owner, "https", 1)):
            if service is not None:
                aliases = list(handbacks.get(service, (None, None)))
                aliases[index] = pulumi.create_urn(
                    f"{FRONT_DOOR}-{suffix}", types.LISTENER, parent=pulumi.create_urn(FRONT_DOOR, FRONT_DOOR_TYPE)
                )
                handbacks[service] = (aliases[0], aliases[1])
        return Routing(handbacks=handbacks)
    takeover = front_door_takeover(config, previous)
    front_door = FrontDoor(
        FRONT_DOOR,
        FrontDoorArgs(
            load_balancer_arn=load_balancer_arn,
            certificate_arn=certificate_arn,
            tags=stack_tags(config.stack),
            adopts_http=_listener_urn(takeover.http_owner, "listener"),
            adopts_https=_listener_urn(takeover.https_owner, "https-listener"),
            carried_target_group_arn=takeover.carried_target_group_arn,
        ),
    )
    kept = {name: entry.rule_priority for name, entry in previous.items() if entry.rule_priority is not None}
    priorities = rule_priorities(routed, kept)
    return Routing(front_door, {name: front_door.route(priority) for name, priority in priorities.items()})


def _listener_urn(service: str | None, suffix: str) -> pulumi.Output[str] | None:
    """The URN of a service's own listener (`components/listeners.py` names them `<service>-<suffix>`)."""
    if service is None:
        return None
    return pulumi.create_urn(f"{service}-{suffix}", types.LISTENER, parent=pulumi.create_urn(service, SERVICE_TYPE))
