"""A model of what the Pulumi engine does across `pulumi up` runs, fed by what the real program declares.

The mock monitor records declarations; it does not replace, fail, keep pending deletes or refresh. Fleet's safety
on a failed release rests on those engine rules, so this model applies them to the program's real registrations
(inputs and resource options as the engine receives them). Each rule is read from pulumi/pulumi at its 2026-08
snapshot (pkg/resource/deploy):

1. Replace (step_generator.go, `diff`/`generateSteps`): when `replacement_trigger` differs from the one stored
   (setting it the first time does not replace), when a resource in `replace_with` is replaced in this update, when
   `replace_on_changes` covers a changed input, or covers the key `#initerror` of a resource with init errors
   (`applyReplaceOnChanges`), or when a ForceNew input (`namePrefix`) changes.
2. A resource with init errors and no changes gets an empty update ("continue awaiting initialization"); the
   provider waits for capacity only when sizes change, so it succeeds, and the init errors are gone.
3. A create whose capacity wait times out is a partial failure (step.go `CreateStep.Apply`): the new resource is
   kept with its id and init errors, the resource it replaces is marked `Delete = true` all the same, and the
   update fails.
4. Resources pending deletion are left out of the olds the program is diffed against (deployment.go).
5. Pending deletes, and resources the program no longer declares, are deleted at the end of an update, and only
   when every step succeeded (`GenerateDeletes`), in reverse dependency order: in waves, each deleting the condemned
   resources no other condemned resource depends on (`ScheduleDeletes`: its antichains, reversed). Dependencies are
   what the registration lists (`depends_on` and the resources its inputs come from).
6. `pulumi refresh` sets a resource's init errors to what the provider's Read reports (step.go `RefreshStep`):
   none, for the bridged AWS provider.
7. The stack's outputs change only when an update succeeds.
8. Creates, updates and replacements run in the order the program registers resources: the SDK registers a
   resource only once the resources it depends on have registered (sdk/python pulumi/runtime/resource.py
   `prepare_resource` awaits `depends_on` and every input), and the engine answers a registration only once its step
   is done (pkg/resource/deploy/source_eval.go `RegisterResource` waits for the step's completion).

9. Aliases (step_generator.go `getOldResource`): a resource whose URN has no old state takes over the old state
   of the first of its aliases that has one, which is then updated in place (or replaced) rather than deleted.
   URNs are the engine's (deployment.go `generateURN`): a child's type is qualified by its parent's whole
   qualified type, and the root stack's is left out (the SDK's mock monitor keeps it, and only the parent's last).
10. AWS's side of a listener and its rules (Elastic Load Balancing API, CreateListener and CreateRule/
   SetRulePriorities): a second listener on a port of the load balancer fails (`DuplicateListener`), and so does a
   second rule of one priority on a listener (`PriorityInUse`); pending deletes are still in AWS. The model also
   answers which service a request reaches (`serves`): the listener on its port, its rules by priority (first
   match), else its default action; a redirect is followed; a target group no healthy group is in serves nobody.

Scenarios say which new groups get healthy; everything else succeeds. `untracked=True` models older bridges,
which report a capacity timeout as a plain error and keep nothing in state (pulumi-aws #5178): the group is left
in AWS (`leaked`), and the group it was to replace is not marked for deletion.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pulumi

from fleet.resource_types import (
    AUTOSCALING_GROUP,
    LAUNCH_TEMPLATE,
    LISTENER,
    LISTENER_RULE,
    ROOT_STACK,
    SCALING_POLICY,
)
from fleet.routing import matches
from fleetctl.simulation import FleetMocks, ProgramRun, RecordingMonitor, mock_arn, qualified, run_program
from tests.checkout import ROOT

FORCE_NEW = {
    AUTOSCALING_GROUP: {"namePrefix", "name"},
    LAUNCH_TEMPLATE: {"namePrefix", "name"},
    SCALING_POLICY: {"autoscalingGroupName", "name"},
    LISTENER_RULE: {"listenerArn"},
    LISTENER: {"loadBalancerArn"},
}
"""Inputs whose change the provider answers with a replacement: ForceNew in terraform-provider-aws's schemas
(internal/service/autoscaling/group.go, policy.go; internal/service/ec2/ec2_launch_template.go;
internal/service/elbv2/listener_rule.go: its actions, conditions and priority update in place, `priority` is
`ForceNew: false` at 032c4f07; listener.go: only `load_balancer_arn`)."""


class CapacityWaitTimeoutError(Exception):
    """What the provider reports when a new group's instances never get healthy (with init errors)."""


class AwsRefusedError(Exception):
    """What AWS answers a listener on a taken port, or a rule at a taken priority (rule 10)."""


@dataclass
class Entry:
    """One resource in the stack's state (and in AWS: pending deletes are still there, and still serving)."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    trigger: Any
    healthy: bool = True
    init_errors: bool = False
    pending_delete: bool = False
    dependencies: frozenset[str] = frozenset()
    """URNs of the resources this one depends on (rule 5)."""
    arn: str = ""
    """A listener's ARN: AWS's, kept by an update in place (what its rules' `listenerArn` refer to)."""

    @property
    def desired(self) -> int:
        return int(self.inputs.get("desiredCapacity", 0))


@dataclass
class Update:
    """What one `pulumi up` did."""

    succeeded: bool
    steps: dict[str, str] = field(default_factory=dict)
    """urn -> create, replace, update, same."""
    deleted: list[Entry] = field(default_factory=list)
    """In the order the engine deletes them (rule 5)."""
    delete_waves: list[list[Entry]] = field(default_factory=list)
    """The deletes as the engine schedules them: each wave runs only once the one before it is done."""
    run: ProgramRun | None = None
    routes: list[tuple[str, dict[tuple[int, str], str | None]]] = field(default_factory=list)
    """After each step and each wave of deletes: (what was done, the service each probed request reached)."""


class _EngineMocks(FleetMocks):
    """The harness's mocks, with the physical ids and names the engine model hands out."""

    overrides: dict[tuple[str, str], tuple[str, str | None]]
    arns: dict[tuple[str, str], str]

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        physical_id, name = self.overrides.get((args.typ, args.name), (resource_id, None))
        if name is not None:
            state["name"] = name
        if (args.typ, args.name) in self.arns:
            state["arn"] = self.arns[(args.typ, args.name)]
        self.ids[(args.typ, args.name)] = physical_id
        return physical_id, state


class _EngineMonitor(RecordingMonitor):
    def __init__(self, mocks: _EngineMocks, model: EngineModel, update: Update, healthy: bool) -> None:
        super().__init__(mocks)
        self.model, self.update, self.healthy = model, update, healthy

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        """The engine's step for this resource first (it may fail the update), then the mocks' answer."""
        if request.custom:
            urn = self.make_urn(request.parent, request.type, request.name)
            inputs = pulumi.runtime.rpc.deserialize_properties(request.object)
            dependencies = frozenset(request.dependencies)
            aliases = tuple(alias.urn for alias in request.aliases if alias.urn)
            self.model.step(
                self, urn, request.type, request.name, inputs, self.registration(request), dependencies, aliases
            )
        return super().RegisterResource(request)

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN (rule 9): the parent's whole qualified type, none for a child of the root stack."""
        parent_type = parent.split("::")[2] if parent else ROOT_STACK
        qualified_type = type_ if parent_type == ROOT_STACK else f"{parent_type}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{qualified_type}::{name}"


class EngineModel:
    """The state of one stack across updates, as the engine keeps it."""

    def __init__(self, stack: str) -> None:
        self.stack = stack
        self.state: list[Entry] = []
        self.outputs: dict[str, Any] = {}
        self.leaked: list[Entry] = []
        """Groups in AWS that no state tracks: what `fleetctl audit` reports as orphans."""
        self._serial = itertools.count(1)

    # -- what an operator runs -------------------------------------------------------------------------------
    def up(
        self,
        config: dict[str, Any],
        *,
        healthy: bool = True,
        untracked: bool = False,
        probes: tuple[tuple[int, str], ...] = (),
        **kwargs: Any,
    ) -> Update:
        """`pulumi up` with the stack file `config`; the groups it creates get healthy only if `healthy`. Each of
        `probes` (port, Host header) is answered after every step (`Update.routes`)."""
        self._untracked, self._probes = untracked, probes
        update = Update(succeeded=False)
        mocks = _EngineMocks(live_desired=self._live_desired())
        mocks.overrides, mocks.arns = {}, {}
        monitor = _EngineMonitor(mocks, self, update, healthy)
        self._olds = {entry.urn: entry for entry in self.state if not entry.pending_delete}  # rule 4
        self._replaced: set[str] = set()
        stack_outputs = {qualified(self.stack): self.outputs, **kwargs.pop("stack_outputs", {})}
        try:
            update.run = run_program(
                self.stack, config, stack_outputs=stack_outputs, mocks=mocks, monitor=monitor, project_root=ROOT
            )
        except Exception:  # any failure of the update: nothing is deleted (rule 5)
            return update
        update.succeeded = True
        declared = set(update.steps)
        update.delete_waves = schedule_deletes([e for e in self.state if e.pending_delete or e.urn not in declared])
        update.deleted = [entry for wave in update.delete_waves for entry in wave]  # rule 5
        for wave in update.delete_waves:
            self.state = [e for e in self.state if all(e is not deleted for deleted in wave)]
            update.routes.append(("delete " + ", ".join(e.urn.rsplit("::", 1)[-1] for e in wave), self._answers()))
        self.outputs = update.run.outputs  # rule 7
        return update

    def refresh(self) -> None:
        for entry in self.state:  # rule 6
            entry.init_errors = False

    # -- what serves -----------------------------------------------------------------------------------------
    def groups(self) -> list[Entry]:
        """The groups in state, pending deletes included: all still in AWS."""
        return [entry for entry in self.state if entry.type == AUTOSCALING_GROUP]

    def healthy_hosts(self) -> int:
        """Hosts passing health checks behind the load balancer: every healthy group still in AWS serves."""
        return sum(entry.desired for entry in [*self.groups(), *self.leaked] if entry.healthy)

    def serves(self, port: int, host: str) -> str | None:
        """The service whose healthy hosts a request on `port` with Host `host` reaches; None for a fixed response,
        no listener, or a target group without healthy hosts (rule 10)."""
        listener = next((e for e in self.state if e.type == LISTENER and e.inputs.get("port") == port), None)
        if listener is None:
            return None
        rules = sorted(
            (e for e in self.state if e.type == LISTENER_RULE and e.inputs.get("listenerArn") == listener.arn),
            key=lambda rule: int(rule.inputs["priority"]),
        )
        action = next(
            (rule.inputs["actions"][0] for rule in rules if all(_met(c, host) for c in rule.inputs["conditions"])),
            listener.inputs["defaultActions"][0],
        )
        if action["type"] == "redirect":
            return self.serves(int(action["redirect"]["port"]), host)
        if action["type"] != "forward":
            return None
        arn = action.get("targetGroupArn") or action["forward"]["targetGroups"][0]["arn"]
        served = any(
            arn in group.inputs.get("targetGroupArns", []) for group in [*self.groups(), *self.leaked] if group.healthy
        )
        return str(arn).rsplit("/", 1)[-1].removesuffix("-tg") if served else None

    def _answers(self) -> dict[tuple[int, str], str | None]:
        return {probe: self.serves(*probe) for probe in self._probes}

    # -- the engine's step decisions -------------------------------------------------------------------------
    def step(
        self,
        monitor: _EngineMonitor,
        urn: str,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        options: Any,
        dependencies: frozenset[str],
        aliases: tuple[str, ...] = (),
    ) -> None:
        old = self._olds.get(urn)
        if old is None:  # rule 9
            alias = next((alias for alias in aliases if alias in self._olds), None)
            if alias is not None:
                old = self._olds.pop(alias)
                old.urn = urn
                self._olds[urn] = old
        self._refuse_what_aws_refuses(urn, type_, inputs, old)
        trigger = options.replacement_trigger
        if old is None:
            kind = "create"
        elif self._must_replace(old, type_, inputs, options):
            kind = "replace"
        elif inputs != old.inputs or old.init_errors:  # rule 2: an empty update of a resource with init errors
            kind = "update"
        else:
            kind = "same"
        monitor.update.steps[urn] = kind
        if kind in ("update", "same"):
            assert old is not None
            old.inputs, old.trigger, old.init_errors, old.dependencies = inputs, trigger, False, dependencies
            self._assign(monitor, type_, name, old)
            monitor.update.routes.append((f"{kind} {name}", self._answers()))
            return
        new = Entry(
            urn=urn,
            type=type_,
            id=self._physical_id(type_, inputs),
            inputs=inputs,
            trigger=trigger,
            dependencies=dependencies,
            arn=mock_arn(type_, f"{name}-{next(self._serial)}"),
        )
        new.healthy = type_ != AUTOSCALING_GROUP or monitor.healthy
        self._assign(monitor, type_, name, new)
        if not new.healthy and self._untracked:
            self.leaked.append(new)
            raise CapacityWaitTimeoutError(f"{urn}: timeout while waiting for capacity (nothing kept in state)")
        self.state.append(new)
        monitor.update.routes.append((f"{kind} {name}", self._answers()))
        if old is not None:
            old.pending_delete = True  # rule 3: even when the create partially fails
            self._replaced.add(urn)
        if not new.healthy:
            new.init_errors = True
            raise CapacityWaitTimeoutError(f"{urn}: timeout while waiting for capacity")

    def _refuse_what_aws_refuses(self, urn: str, type_: str, inputs: dict[str, Any], old: Entry | None) -> None:
        """Rule 10: the port of a listener and the priority of a rule on its listener are the load balancer's once."""
        others = [e for e in self.state if e.type == type_ and e is not old]
        if type_ == LISTENER and any(
            (e.inputs.get("loadBalancerArn"), e.inputs.get("port"))
            == (inputs.get("loadBalancerArn"), inputs.get("port"))
            for e in others
        ):
            raise AwsRefusedError(f"{urn}: DuplicateListener, port {inputs.get('port')} has a listener")
        if type_ == LISTENER_RULE and any(
            (e.inputs.get("listenerArn"), e.inputs.get("priority"))
            == (inputs.get("listenerArn"), inputs.get("priority"))
            for e in others
        ):
            raise AwsRefusedError(f"{urn}: PriorityInUse, priority {inputs.get('priority')} on its listener")

    def _must_replace(self, old: Entry, type_: str, inputs: dict[str, Any], options: Any) -> bool:
        changed = {key for key in inputs.keys() | old.inputs.keys() if inputs.get(key) != old.inputs.get(key)}
        covers = set(options.replace_on_changes)
        return (
            (None not in (options.replacement_trigger, old.trigger) and options.replacement_trigger != old.trigger)
            or any(dependency in self._replaced for dependency in options.replace_with)
            or bool(changed and ("*" in covers or changed & covers))
            or (old.init_errors and bool(covers & {"*", "#initerror"}))
            or bool(changed & FORCE_NEW.get(type_, set()))
        )

    def _physical_id(self, type_: str, inputs: dict[str, Any]) -> str:
        serial = next(self._serial)
        if type_ == AUTOSCALING_GROUP:
            return f"{inputs['namePrefix']}{serial:026d}"
        if type_ == LAUNCH_TEMPLATE:
            return f"lt-{serial:017x}"
        return f"{type_.rsplit(':', 1)[-1].lower()}-{serial}"

    @staticmethod
    def _assign(monitor: _EngineMonitor, type_: str, name: str, entry: Entry) -> None:
        """What the program sees of the resource: its id, for a group its name (the id), for a listener its ARN."""
        mocks: _EngineMocks = monitor.mocks  # type: ignore[assignment]
        mocks.overrides[(type_, name)] = (entry.id, entry.id if type_ == AUTOSCALING_GROUP else None)
        if type_ == LISTENER:
            mocks.arns[(type_, name)] = entry.arn

    def _live_desired(self) -> dict[str, int]:
        return {entry.id: entry.desired for entry in self.groups()}


def _met(condition: dict[str, Any], host: str) -> bool:
    """Whether a request with Host `host` and no other header meets a rule condition."""
    if "hostHeader" in condition:
        return any(matches(pattern, host) for pattern in condition["hostHeader"]["values"])
    return "pathPattern" in condition  # the catch-all `*`; a request with no X-Fleet-Track header meets no other


def schedule_deletes(condemned: list[Entry]) -> list[list[Entry]]:
    """Rule 5, as `ScheduleDeletes` does it: peel off the condemned resources that depend on no other condemned one,
    wave by wave, then reverse, so a resource is deleted only after everything that depends on it."""
    waves: list[list[Entry]] = []
    remaining = list(condemned)
    while remaining:
        urns = {entry.urn for entry in remaining}
        wave = [entry for entry in remaining if not (entry.dependencies - {entry.urn}) & urns]
        assert wave, "the dependency graph of the condemned resources has a cycle"
        remaining = [entry for entry in remaining if all(entry is not done for done in wave)]
        waves.append(wave)
    return waves[::-1]
