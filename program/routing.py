"""The stack's shared listeners and each service's place on them, for a stack whose services have hostnames."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.front_door import FrontDoor, FrontDoorArgs, HostRoute
from fleet import resource_types as types
from fleet.config import FleetConfig
from fleet.names import NAMESPACE, stack_tags
from fleet.outputs import ServiceOutputs
from fleet.rollout import front_door_takeover
from fleet.routing import rule_priorities

FRONT_DOOR = f"{NAMESPACE}-front-door"
SERVICE_TYPE = "fleet:service:Service"


def host_routes(
    config: FleetConfig,
    previous: Mapping[str, ServiceOutputs],
    load_balancer_arn: pulumi.Input[str],
    certificate_arn: pulumi.Input[str] | None,
) -> tuple[FrontDoor | None, dict[str, HostRoute]]:
    """The front door and each service's route on it; none when no service has hostnames (the stack then
    declares what it did before hostnames existed)."""
    routed = {service.name: service.hostnames for service in config.services if service.hostnames}
    if not routed:
        return None, {}
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
    return front_door, {name: front_door.route(priority) for name, priority in priorities.items()}


def _listener_urn(service: str | None, suffix: str) -> pulumi.Output[str] | None:
    """The URN of a service's own listener (`components/listeners.py` names them `<service>-<suffix>`)."""
    if service is None:
        return None
    return pulumi.create_urn(f"{service}-{suffix}", types.LISTENER, parent=pulumi.create_urn(service, SERVICE_TYPE))
