"""Which of a service's three release slots runs what after an update: plain Python, no Pulumi.

Every service has three fixed slots, `a`, `b` and `c`: each a target group and, when it has a role, a release
(launch template and group). Pulumi keeps two releases alive only as two logical resources, and a warm release must
be out of traffic while its hosts stay healthy, so it cannot share the live release's target group. A slot's role is
recorded in the stack outputs (`slot` on `release`, `warm` and `canary`), never in its names, so a switch or a canary
finish changes roles without renaming (and so replacing) anything.

`plan_slots` decides, from the config's release ids, the service's last outputs, the time and the releases their
alarms rolled back (`fleetctl watch`'s markers):

- the config's release is the live one: a routine deploy, nothing moves;
- it is the warm one, within its window: a **switch**, the roles swap, no launch template, no group is created;
- it is the canary's: a **canary finish**, the canary's slot becomes live and scales in place;
- otherwise a **release** into the first free slot (a, b, c; free: no role in the outputs). A failed release wrote
  no outputs, so its retry picks the same slot.

After a release, switch or finish, the former live release becomes warm (or, with `warmRollbackMinutes` 0, is
retired: deleted at the end of the update, after the cut-over). A warm release past its window, or replaced by a
newer warm one, is retired. A canary the config no longer has (and that did not finish) is aborted: retired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fleet.clock import iso, parse_iso
from fleet.config_types import FleetConfig, ServiceConfig, problem
from fleet.names import CANARY_TRACK, FIRST_SLOT, LIVE_TRACK, SLOTS, WARM_TRACK
from fleet.outputs import CanaryRelease, DeployedRelease, ServiceOutputs, WarmRelease
from fleet.rollback_markers import UNKNOWN_TIME, RolledBack
from fleet.rollout import GroupSizes

LEGACY_CANARY_SLOT = SLOTS[2]
"""Where a canary deployed before slots (its outputs name no slot) is taken to be: its target group and release
take over `<name>-canary-tg` and `<name>-canary-release` through aliases."""

ROUTINE = "routine"
FIRST = "first"
RELEASE = "release"
SWITCH = "switch"
FINISH = "finish"


@dataclass(frozen=True)
class Occupant:
    """A slot with a role after this update."""

    slot: str
    role: str
    """`live`, `warm` or `canary`."""
    release_id: str
    desired: int
    """The capacity its group declares."""
    record: DeployedRelease | None
    """What the last outputs recorded of this release in this slot; None for a release this update creates."""
    previous_role: str | None
    """Its role in the last outputs; None for a release this update creates."""
    fresh: bool = False
    """Its group gets a fresh replacement trigger: an earlier attempt of this switch or finish changed the group's
    sizes in AWS (`retry_afresh`), so this update boots the release afresh in its slot, health-gated."""

    @property
    def created(self) -> bool:
        """Whether this update creates the release (a new launch template and group)."""
        return self.record is None

    @property
    def changes_role(self) -> bool:
        """Whether it takes its role in this update: a new release, a switch, a finish, or a live one turned warm."""
        return self.previous_role != self.role


@dataclass(frozen=True)
class Retired:
    """A release this update stops declaring: deleted at the end of the update, once everything else succeeded."""

    slot: str
    role: str
    """The role it had."""
    release_id: str | None
    why: str


@dataclass(frozen=True)
class SlotPlan:
    """What a service's slots hold after this update, what it retires and why it is refused, if it is."""

    transition: str
    """`first`, `routine`, `release`, `switch` or `finish`: what happens to the live release."""
    occupants: tuple[Occupant, ...] = ()
    retired: tuple[Retired, ...] = ()
    problems: tuple[tuple[str, str], ...] = ()
    """(key, message) of each refusal; the plan is not declared then."""
    warm_since: str | None = None
    """When the warm release left traffic (ISO UTC): the time of this update for one it turns warm."""
    retires_at: str | None = None
    """`warm_since + warmRollbackMinutes`."""

    def role(self, role: str) -> Occupant | None:
        return next((occupant for occupant in self.occupants if occupant.role == role), None)

    @property
    def live(self) -> Occupant:
        occupant = self.role(LIVE_TRACK)
        assert occupant is not None, "a plan without problems has a live slot"
        return occupant

    @property
    def warm(self) -> Occupant | None:
        return self.role(WARM_TRACK)

    @property
    def canary(self) -> Occupant | None:
        return self.role(CANARY_TRACK)

    def in_slot(self, slot: str) -> Occupant | None:
        return next((occupant for occupant in self.occupants if occupant.slot == slot), None)


@dataclass(frozen=True)
class _Held:
    """A slot with a role in the last outputs."""

    slot: str
    role: str
    record: DeployedRelease


def previous_slots(previous: ServiceOutputs | None) -> dict[str, _Held]:
    """The roles the last outputs record, by slot: a `release` without a slot is slot a's (before slots), a `canary`
    without one the legacy canary, taken to be slot c's."""
    if previous is None:
        return {}
    held = {}
    if previous.release is not None and previous.release.release_id:
        held[previous.release.slot or FIRST_SLOT] = _Held(
            previous.release.slot or FIRST_SLOT, LIVE_TRACK, previous.release
        )
    if previous.warm is not None and previous.warm.slot and previous.warm.release_id:
        held.setdefault(previous.warm.slot, _Held(previous.warm.slot, WARM_TRACK, previous.warm))
    if previous.canary is not None and previous.canary.release_id:
        slot = previous.canary.slot or LEGACY_CANARY_SLOT
        held.setdefault(slot, _Held(slot, CANARY_TRACK, previous.canary))
    return held


def retires_at(warm: WarmRelease, minutes: int) -> datetime | None:
    """When a warm release retires under the current window; None when its outputs say nothing of when it left."""
    return parse_iso(warm.warm_since) + timedelta(minutes=minutes) if warm.warm_since else None


def plan_slots(
    stack: str,
    service: ServiceConfig,
    release_id: str,
    canary_release_id: str | None,
    previous: ServiceOutputs | None,
    now: datetime,
    rolled_back: Mapping[str, RolledBack],
    live_desired: int | None,
) -> SlotPlan:
    """The slots of `service` after this update (module docstring). `rolled_back`: this service's markers, by
    release id; `live_desired`: the live group's desired capacity as AWS reports it (None when there is none)."""
    problems = _rolled_back_problems(stack, service, release_id, canary_release_id, rolled_back)
    held = previous_slots(previous)
    by_role = {entry.role: entry for entry in held.values()}
    live, warm, canary = by_role.get(LIVE_TRACK), by_role.get(WARM_TRACK), by_role.get(CANARY_TRACK)
    minutes = service.warm_rollback_minutes
    warm_open = warm is not None and _open(warm.record, minutes, now)
    capacity = service.capacity
    configured_before = previous.capacity.desired if previous and previous.capacity else None

    def bounded(wanted: int) -> int:
        return min(max(wanted, capacity.min), capacity.max)

    def pinned_or_changed(pinned: int | None) -> int:
        """A release already running keeps its capacity, unless `capacity.desired` changed since the last update."""
        if pinned is None or (configured_before is not None and configured_before != capacity.desired):
            return bounded(capacity.desired)
        return bounded(pinned)

    occupants: list[Occupant] = []
    retired: list[Retired] = []
    taken = set(held)

    def free_slot() -> str | None:
        return next((slot for slot in SLOTS if slot not in taken), None)

    if live is None:
        transition = FIRST
        occupants.append(Occupant(free_slot() or FIRST_SLOT, LIVE_TRACK, release_id, capacity.desired, None, None))
        taken.add(occupants[0].slot)
    elif live.record.release_id == release_id:
        transition = ROUTINE
        occupants.append(
            Occupant(live.slot, LIVE_TRACK, release_id, pinned_or_changed(live_desired), live.record, LIVE_TRACK)
        )
    elif warm is not None and warm_open and warm.record.release_id == release_id:
        transition = SWITCH
        pinned = warm.record.desired if isinstance(warm.record, WarmRelease) else None
        occupants.append(
            Occupant(warm.slot, LIVE_TRACK, release_id, pinned_or_changed(pinned), warm.record, WARM_TRACK)
        )
    elif canary is not None and canary.record.release_id == release_id:
        transition = FINISH
        grown = bounded(max(capacity.desired, live_desired or 0))
        occupants.append(Occupant(canary.slot, LIVE_TRACK, release_id, grown, canary.record, CANARY_TRACK))
    else:
        transition, free = RELEASE, free_slot()
        if free is None:
            problems.append(_no_free_slot(service, warm.record if warm else None, minutes))
        else:
            grown = bounded(max(capacity.desired, live_desired or 0))
            occupants.append(Occupant(free, LIVE_TRACK, release_id, grown, None, None))
            taken.add(free)

    new_live = occupants[0] if occupants else None
    warm_since, warm_retires = None, None
    if live is not None and new_live is not None and new_live.slot != live.slot:
        # The former live release leaves traffic: warm for the window, or retired once the cut-over is done.
        if minutes > 0:
            pinned = live_desired if live_desired is not None else bounded(capacity.desired)
            occupants.append(
                Occupant(live.slot, WARM_TRACK, live.record.release_id or "", pinned, live.record, LIVE_TRACK)
            )
            warm_since, warm_retires = iso(now), iso(now + timedelta(minutes=minutes))
        else:
            retired.append(Retired(live.slot, LIVE_TRACK, live.record.release_id, "warmRollbackMinutes is 0"))
    if warm is not None and (new_live is None or warm.slot != new_live.slot):
        if transition == ROUTINE and warm_open and new_live is not None:
            record = warm.record
            assert isinstance(record, WarmRelease)
            occupants.append(
                Occupant(warm.slot, WARM_TRACK, record.release_id or "", record.desired or 0, record, WARM_TRACK)
            )
            warm_since = record.warm_since
            at = retires_at(record, minutes)
            warm_retires = iso(at) if at else None
        elif new_live is not None:
            why = (
                "its warm window closed"
                if not warm_open
                else "the release before it is now the warm one"
                if transition != ROUTINE
                else "retired"
            )
            retired.append(Retired(warm.slot, WARM_TRACK, warm.record.release_id, why))

    if new_live is not None:
        _place_canary(service, canary_release_id, canary, new_live, occupants, retired, problems, taken)
    if problems:
        return SlotPlan(transition, problems=tuple(problems))
    return SlotPlan(transition, tuple(occupants), tuple(retired), (), warm_since, warm_retires)


def warm_min_size(capacity_min: int, desired: int) -> int:
    """A warm group's `min_size`: 0, or its pinned desired where the config's `capacity.min` is 0, so that becoming
    live again always changes `min_size` and the provider waits for capacity on that update (the switch's gate)."""
    return desired if capacity_min == 0 else 0


def becoming_live(plan: SlotPlan) -> Occupant | None:
    """The release whose existing group becomes live in this update (a switch or a canary finish), if any."""
    if plan.transition not in (SWITCH, FINISH) or not plan.occupants:
        return None
    return plan.live


def retry_afresh(
    plan: SlotPlan,
    previous: ServiceOutputs | None,
    sizes: GroupSizes | None,
    rolled_back: Mapping[str, RolledBack],
) -> SlotPlan:
    """`plan`, with a fresh group for the release a switch or finish makes live when AWS no longer has the sizes its
    group declared in its warm or canary role (`sizes`: as AWS reports them).

    Only an earlier attempt of this switch or finish changes them (the warm role suspends scaling, the canary's is
    fixed). That attempt failed (its outputs were not written) and left its new sizes in AWS; a `pulumi refresh`
    since reads them into the state and clears the init errors that would have replaced the group
    (tests/engine_model.py rules 6, 15), so the retry would wait on nothing and move the traffic rule to hosts that
    may be failing their checks. A fresh trigger replaces the group create-before-delete, gated on health, before
    the traffic rule (which waits for it) moves.

    Except after an automatic rollback: `fleetctl watch` restored `capacity.min` on the warm group and moved the
    traffic rule itself, and its marker names the release the outputs record live. The switch then only declares
    what AWS has.
    """
    occupant = becoming_live(plan)
    if occupant is None or sizes is None or previous is None:
        return plan
    declared = _role_sizes(occupant.record, previous)
    if declared is None or declared == (sizes.min if sizes.min is not None else declared[0], sizes.desired):
        return plan
    left = previous.release.release_id if previous.release else None
    marker = rolled_back.get(left or "")
    if marker is not None and marker.served_by in (None, occupant.release_id):
        return plan
    fresh = replace(occupant, fresh=True)
    return replace(plan, occupants=tuple(fresh if entry is occupant else entry for entry in plan.occupants))


def _role_sizes(record: DeployedRelease | None, previous: ServiceOutputs) -> tuple[int, int] | None:
    """(min_size, desired) the group declared in its warm or canary role at the last successful update; None where
    the outputs do not say."""
    if isinstance(record, WarmRelease) and record.desired is not None:
        capacity_min = previous.capacity.min if previous.capacity and previous.capacity.min is not None else None
        if capacity_min is None:
            return None
        return warm_min_size(capacity_min, record.desired), record.desired
    if isinstance(record, CanaryRelease) and record.instances is not None:
        return record.instances, record.instances
    return None


def plan_services(
    stack: str,
    config: FleetConfig,
    release_ids: Mapping[str, str],
    canary_release_ids: Mapping[str, str],
    previous: Mapping[str, ServiceOutputs],
    now: datetime,
    rolled_back: Mapping[str, Mapping[str, RolledBack]],
    live_desired: Mapping[str, int | None],
) -> dict[str, SlotPlan]:
    """`plan_slots` of every service of the config, by name (the program's, and `fleetctl check`'s offline, with no
    markers: those live in SSM)."""
    return {
        service.name: plan_slots(
            stack,
            service,
            release_ids[service.name],
            canary_release_ids.get(service.name) if service.canary else None,
            previous.get(service.name),
            now,
            rolled_back.get(service.name, {}),
            live_desired.get(service.name),
        )
        for service in config.services
    }


def refusals(plans: Mapping[str, SlotPlan]) -> list[str]:
    """Every plan's problems, as the program's validation error lists them (`fleet:<key>: <message>`)."""
    return [problem(key, message) for plan in plans.values() for key, message in plan.problems]


def _place_canary(
    service: ServiceConfig,
    canary_release_id: str | None,
    canary: _Held | None,
    new_live: Occupant,
    occupants: list[Occupant],
    retired: list[Retired],
    problems: list[tuple[str, str]],
    taken: set[str],
) -> None:
    """The canary's slot: the one it runs in, the old canary's for a new canary release (replaced there,
    health-gated, as before slots), else the first free one. A canary the config no longer runs is aborted."""
    finished = canary is not None and new_live.slot == canary.slot
    if service.canary is None or canary_release_id is None:
        if canary is not None and not finished:
            retired.append(Retired(canary.slot, CANARY_TRACK, canary.record.release_id, "the canary was aborted"))
        return
    instances = service.canary.instances
    if canary is not None and not finished:
        same = canary.record.release_id == canary_release_id
        if not same:
            retired.append(Retired(canary.slot, CANARY_TRACK, canary.record.release_id, "a new canary replaces it"))
        occupants.append(
            Occupant(
                canary.slot,
                CANARY_TRACK,
                canary_release_id,
                instances,
                canary.record if same else None,
                CANARY_TRACK if same else None,
            )
        )
        return
    slot = next((slot for slot in SLOTS if slot not in taken), None)
    if slot is None:
        problems.append(
            (
                f"services.{service.name}.canary",
                "every release slot is taken (the live release, the warm one and the canary finishing): start the "
                "new canary in the next update",
            )
        )
        return
    taken.add(slot)
    occupants.append(Occupant(slot, CANARY_TRACK, canary_release_id, instances, None, None))


def _open(record: DeployedRelease, minutes: int, now: datetime) -> bool:
    if not isinstance(record, WarmRelease):
        return False
    at = retires_at(record, minutes)
    return at is not None and now < at


def _no_free_slot(service: ServiceConfig, warm: DeployedRelease | None, minutes: int) -> tuple[str, str]:
    at = retires_at(warm, minutes) if isinstance(warm, WarmRelease) else None
    wait = (
        f", or wait until the warm release retires at {iso(at)} (then run an update that is not a release)"
        if at
        else ""
    )
    return (
        f"services.{service.name}.image.version",
        "a new release needs a free slot, and the live release, the warm one and the canary hold all three: "
        f"finish the canary (make its image the service's and remove it) or abort it (remove it) first{wait}",
    )


def _rolled_back_problems(
    stack: str,
    service: ServiceConfig,
    release_id: str,
    canary_release_id: str | None,
    rolled_back: Mapping[str, RolledBack],
) -> list[tuple[str, str]]:
    """A release its alarms rolled back is refused, live or canary, until its config changes: so no later update
    re-applies it, and the stack file and the traffic never disagree silently."""
    problems = []
    wanted = [(f"services.{service.name}.image.version", release_id, service.image.version)]
    if service.canary is not None and canary_release_id is not None:
        wanted.append(
            (f"services.{service.name}.canary.image.version", canary_release_id, service.canary.image.version)
        )
    for key, wanted_id, version in wanted:
        marker = rolled_back.get(wanted_id)
        if marker is not None:
            alarms = f" by its alarms ({', '.join(marker.alarms)})" if marker.alarms else ""
            problems.append(
                (
                    key,
                    f"release {wanted_id} (version {version}) was rolled back{alarms} at {marker.at or UNKNOWN_TIME} "
                    f"({marker.by}); pin the release that serves with "
                    f"`fleetctl rollback {stack} --service {service.name}`, or release a change",
                )
            )
    return problems
