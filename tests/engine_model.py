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
7. The stack's outputs: a successful update writes what the program registered; a failed one writes the outputs
   the program registered merged over the old ones (step_executor.go `executeRegisterResourceOutputs`:
   `outs = oldOuts.Copy(); maps.Copy(outs, e.Outputs())`, pulumi/pulumi#15754, since v3.112.0), and nothing new if
   the program registered none. The Python SDK registers the stack's outputs in one call once every exported value
   resolved (sdk/python pulumi/runtime/resource.py `register_resource_outputs`), and fleet's `services` output
   resolves only once every group of every service passed its gate (its name is an output of its creation): a
   failed gate registers nothing, a failure anywhere else may register the new releases as live, which they are.
8. Creates, updates and replacements run in the order the program registers resources: the SDK registers a
   resource only once the resources it depends on have registered (sdk/python pulumi/runtime/resource.py
   `prepare_resource` awaits `depends_on` and every input), and the engine answers a registration only once its step
   is done (pkg/resource/deploy/source_eval.go `RegisterResource` waits for the step's completion).

9. `--target` (step_generator.go `isTargetedForUpdate`, `GenerateDeletes`): a resource not targeted is left as it
   is in the state (a "same" step with its old inputs, whatever the program declares; a new one is not created),
   and only targeted resources are deleted, pending deletes included.
10. Delete-before-replace (step_generator.go, the `deleteBeforeReplace` branch of `generateStepsFromDiff` and
   `calculateDependentReplacements`): the old resource is deleted at once, and so is every resource in the state
   that depends on it (transitively) and would be replaced by the change: one whose inputs from it, made unknown,
   make it a replacement (a ForceNew input, or `replace_on_changes` covering it). Such a dependent that is pending
   deletion is deleted then and there (`NewDeleteStep`), not at the end of a successful update. The provider asks
   for it when a resource with a fixed name must be replaced (the new one cannot share the name).
11. A new group's capacity wait (terraform-provider-aws internal/service/autoscaling/group.go
   `waitGroupCapacitySatisfied`): with `ignore_failed_scaling_activities` false, a failed scaling activity since
   the create began (a launch refused: no capacity for the type in a zone, a bad image) ends the wait with an
   error at once, a partial failure like a timeout (rule 3); with it true the group retries and only its health
   decides.

12. A delete runs with the custom timeouts stored with the resource by the last run that registered it (step.go
   `DeleteStep.Apply`: `s.old.CustomTimeouts.Delete`), the provider's default (10 minutes for a group) without.
   Deleting a group first waits for its hosts to drain for the target group's deregistration delay as it is now,
   then to shut down (terraform-provider-aws `drainGroup`). A drain longer than the timeout fails the delete, and
   the update, after the new group passed its gate; AWS goes on draining, so the next update's delete succeeds.
13. Aliases (step_generator.go `getOldResource`): a resource whose URN has no old state takes over the old state
   of the first of its aliases that has one, which is then updated in place (or replaced) rather than deleted.
   URNs are the engine's (deployment.go `generateURN`): a child's type is qualified by its parent's whole
   qualified type, and the root stack's is left out (the SDK's mock monitor keeps it, and only the parent's last).
14. AWS's side of a listener and its rules (Elastic Load Balancing API, CreateListener and CreateRule/
   SetRulePriorities): a second listener on a port of the load balancer fails (`DuplicateListener`), and so does a
   second rule of one priority on a listener (`PriorityInUse`); pending deletes are still in AWS. The model also
   answers which service a request reaches (`serves`): the listener on its port, its rules by priority (first
   match), else its default action; a redirect is followed; a forward reaches every target group of weight > 0 in
   it (internal/service/elbv2/listener_rule.go: a target group's `weight` is 0-999, default 1), and serves the
   request's service only if each of them has a healthy host (a target group no healthy group is in serves nobody).
   A target group of a slot of service `<name>` (fleet.names.slot_target_group_name), or its canary's before slots
   (`<name>-canary-tg`), belongs to that service.
   `hosts` counts a service's healthy hosts *serving* (in the target groups the probes reach with weight > 0) apart
   from its *warm* ones (healthy, in one of its target groups no probe reaches: weight 0, or only fleet's
   `X-Fleet-Track` header rules); `dead_ends` names every client route (a rule with no header condition, a default
   action no catch-all rule shadows) that forwards to a target group with no healthy host.
15. An update of a group waits for capacity only when `desired_capacity`, `min_size` or `desired_capacity_type`
   changes (terraform-provider-aws 00a919d1 internal/service/autoscaling/group.go `resourceGroupUpdate`:
   `shouldWaitForCapacity`), against the values the provider recorded, and only with a `wait_for_capacity_timeout`
   above zero (same function: `if timeout, _ := time.ParseDuration(v.(string)); timeout > 0`; the timeout read from
   the new config, so "0" skips the wait and changing the timeout alone is no size change). The wait wants
   exactly max(min, desired) healthy in the group and, when `wait_for_elb_capacity` > 0, exactly that many of its
   instances healthy in its target groups (so a `wait_for_elb_capacity` other than max(min, desired) is never met);
   the instances a scale-up adds get healthy only if the scenario says so, and a failed launch ends the wait as on a
   create (rule 11). An unmet wait is a partial failure: AWS has the new sizes, the bridge returns them with an
   init error (pulumi-terraform-bridge 59de6c66 pkg/tfbridge/provider.go `Update`, `initializationError`), and the
   engine saves the init errors, the new outputs and the *old* inputs (pulumi/pulumi step.go `UpdateStep.Apply`;
   pkg/engine/update.go `OnResourceStepPost`, pulumi/pulumi#2011). The provider diffs against its outputs
   (the bridge's `Diff` takes the old outputs as its state), so the retry of the same config sees no change: an
   empty update that waits on nothing (rule 2), unless `replace_on_changes` covers `#initerror` (rule 1).
   `EngineModel.set_healthy` makes a group in AWS unhealthy (a warm release that got sick) or healthy again.
16. A change made outside Pulumi (`EngineModel.change_outside`: `fleetctl watch`'s ModifyRule or
   UpdateAutoScalingGroup) is in AWS, not in the state. An update sends only the keys the provider's diff of the
   program's inputs against the state shows (group.go `resourceGroupUpdate`, internal/service/elbv2/listener_rule.go
   `resourceListenerRuleUpdate`: each sends what `d.HasChange` reports; ModifyRule gets the actions only when
   `action` changed), so a key the program still declares as the state has it stays as AWS has it; a refresh
   reads AWS's values into the state (and clears init errors, rule 6).
17. A pulumi-docker `Image` pushes its tag on every create and update (pulumi/pulumi-docker provider.go `Update`
   calls `dockerBuild`, which pushes; see fleet/build_tag.py), and a repository with immutable tags refuses a tag it
   already holds (ECR PutImage `ImageTagAlreadyExistsException`, botocore's ecr model): the step fails.
18. `ignore_changes` (step_generator.go `processIgnoreChanges`, called before the diff when the resource has an
   old state): each ignored input takes its value from the old state's inputs, and that is what the state keeps; a
   new resource takes the program's.

Scenarios say which new groups get healthy; everything else succeeds. `untracked=True` models older bridges,
which report a capacity timeout as a plain error and keep nothing in state (pulumi-aws #5178): the group is left
in AWS (`leaked`), and the group it was to replace is not marked for deletion.
"""

from __future__ import annotations

import copy
import itertools
from collections import OrderedDict
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from typing import Any

import pulumi

from fleet.config_rules import CANARY_SUFFIX
from fleet.names import SLOTS, slot_target_group_name
from fleet.resource_types import (
    ACM_CERTIFICATE,
    AUTOSCALING_GROUP,
    CERTIFICATE_VALIDATION,
    DNS_RECORD,
    DOCKER_IMAGE,
    ECR_REPOSITORY,
    LAUNCH_TEMPLATE,
    LISTENER,
    LISTENER_CERTIFICATE,
    LISTENER_RULE,
    ROOT_STACK,
    SCALING_POLICY,
    TARGET_GROUP,
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
    ACM_CERTIFICATE: {"domainName", "subjectAlternativeNames", "validationMethod"},
    CERTIFICATE_VALIDATION: {"certificateArn", "validationRecordFqdns"},
    DNS_RECORD: {"name", "zoneId"},
    LISTENER_CERTIFICATE: {"listenerArn", "certificateArn"},
}
"""Inputs whose change the provider answers with a replacement: ForceNew in terraform-provider-aws's schemas
(internal/service/autoscaling/group.go, policy.go; internal/service/ec2/ec2_launch_template.go;
internal/service/elbv2/listener_rule.go: its actions, conditions and priority update in place, `priority` is
`ForceNew: false` at 032c4f07; listener.go: only `load_balancer_arn`, so a listener's certificate updates in place;
internal/service/acm/certificate.go at fc271f69, certificate_validation.go at af55dfb9 (a validation's create
sets its id only once ACM has issued the certificate: one that never validates fails with nothing in the state,
`failing`); internal/service/route53/record.go at 6f9f4734: a record's type and alias update in place;
internal/service/elbv2/listener_certificate.go at 4e22d67d)."""


GROUP_SIZES = ("desiredCapacity", "minSize", "desiredCapacityType")
"""A group's inputs whose change makes the provider wait for capacity on an update (rule 15)."""

DEFAULT_DELETE_TIMEOUT_MINUTES = 10
"""terraform-provider-aws's default delete timeout of a group (internal/service/autoscaling/group.go)."""
SHUTDOWN_MINUTES = 2
"""How long a drained host takes to terminate, in the model (rule 12)."""


remembering = False
"""Whether `EngineModel.up` remembers updates in this process (tests/program/conftest.py turns it on for a test that
does not change the program's code with `monkeypatch`): given the same state, outputs, config and options, the
program declares the same resources (it reads nothing else, see `run_remembered` in tests/conftest.py) and the model
takes the same steps, so a copy of the result stands for running it again."""
REMEMBERED_UPDATES = 256
"""How many updates one test process keeps (the most recently used)."""
_remembered: OrderedDict[str, tuple[Any, ...]] = OrderedDict()


class CapacityWaitTimeoutError(Exception):
    """What the provider reports when a new group's instances never get healthy (with init errors)."""


class ProviderError(Exception):
    """What the provider reports when it fails a step outright (an API error): nothing changes in the state."""


class ScalingActivityFailedError(CapacityWaitTimeoutError):
    """What the provider reports when a failed scaling activity ends a new group's capacity wait (rule 11)."""


class AwsRefusedError(Exception):
    """What AWS answers a listener on a taken port, or a rule at a taken priority (rule 14)."""


@dataclass
class Entry:
    """One resource in the stack's state (and in AWS: pending deletes are still there, and still serving)."""

    urn: str
    type: str
    id: str
    inputs: dict[str, Any]
    trigger: Any
    healthy: bool = True
    """Whether its hosts pass their health checks (all but the `booting` ones)."""
    booting: int = 0
    """Hosts a failed scale-up added that never got healthy (rule 15)."""
    outputs: dict[str, Any] | None = None
    """What the provider recorded, when a failed update left it apart from the inputs (rule 15)."""
    drift: dict[str, Any] = field(default_factory=dict)
    """Values something outside Pulumi set in AWS (`EngineModel.change_outside`), unknown to the state (rule 16)."""
    init_errors: bool = False
    pending_delete: bool = False
    dependencies: frozenset[str] = frozenset()
    """URNs of the resources this one depends on (rule 5)."""
    property_dependencies: dict[str, frozenset[str]] = field(default_factory=dict)
    """Input -> URNs of the resources its value comes from (rule 10)."""
    replace_on_changes: tuple[str, ...] = ()
    delete_timeout_minutes: int = DEFAULT_DELETE_TIMEOUT_MINUTES
    """The custom delete timeout the last run that registered it stored (rule 12)."""
    drained: bool = False
    """A group whose delete timed out: AWS finished draining it since (rule 12)."""
    arn: str = ""
    """A listener's or target group's ARN: AWS's, kept by an update in place and by an alias's takeover (rule 13;
    what rules' `listenerArn` and forwards refer to)."""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def applied(self) -> dict[str, Any]:
        """The values the provider recorded and diffs against (rule 15)."""
        return self.inputs if self.outputs is None else self.outputs

    @property
    def actual(self) -> dict[str, Any]:
        """The values AWS has (rule 16)."""
        return {**self.applied, **self.drift}

    @property
    def desired(self) -> int:
        return int(self.actual.get("desiredCapacity", 0))

    @property
    def healthy_count(self) -> int:
        """Its hosts that pass their health checks."""
        return self.desired - self.booting if self.healthy else 0


@dataclass
class Update:
    """What one `pulumi up` did."""

    succeeded: bool
    steps: dict[str, str] = field(default_factory=dict)
    """urn -> create, replace, update, same."""
    deleted: list[Entry] = field(default_factory=list)
    """In the order the engine deletes them: those deleted at once (rule 10), then at the end (rule 5)."""
    delete_waves: list[list[Entry]] = field(default_factory=list)
    """The deletes as the engine schedules them: each wave runs only once the one before it is done."""
    deleted_at_once: list[Entry] = field(default_factory=list)
    """Deleted during the update, before the program's later resources (rule 10)."""
    run: ProgramRun | None = None
    routes: list[tuple[str, dict[tuple[int, str], str | None]]] = field(default_factory=list)
    """After each step and each wave of deletes: (what was done, the service each probed request reached)."""
    exported: dict[str, Any] = field(default_factory=dict)
    """The stack outputs the program registered, empty if it registered none (rule 7)."""
    failure: str | None = None
    """What failed the update: the program's error or the step's."""
    moments: list[Moment] = field(default_factory=list)
    """After each step and each wave of deletes, as `routes`: each service's hosts and the client routes to nowhere
    (rule 14)."""


@dataclass(frozen=True)
class Hosts:
    """A service's healthy hosts at one moment (rule 14)."""

    serving: int
    """In the target groups its clients' requests reach (weight > 0)."""
    warm: int
    """In its other target groups (weight 0, or reached by fleet's header rules alone): out of traffic."""


@dataclass(frozen=True)
class Moment:
    """The load balancer's view after one step or one wave of deletes."""

    done: str
    hosts: dict[str, Hosts]
    """By service."""
    dead_ends: tuple[str, ...]
    """The client routes that forward to a target group with no healthy host (`EngineModel.dead_ends`)."""


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
            property_dependencies = {
                key: frozenset(value.urns) for key, value in request.propertyDependencies.items() if value.urns
            }
            self.model.step(
                self,
                urn,
                request.type,
                request.name,
                inputs,
                self.registration(request),
                dependencies,
                property_dependencies,
                _minutes(request.customTimeouts.delete),
                tuple(alias.urn for alias in request.aliases if alias.urn),
            )
        return super().RegisterResource(request)

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN (rule 13): the parent's whole qualified type, none for a child of the root stack."""
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
        self.pushed: set[str] = set()
        """The images (`<repository URL>:<tag>`) pushed to ECR so far (rule 17)."""
        self.parameters: dict[str, str] = {}
        """SSM parameters in AWS that no stack declares and the program reads: `fleetctl watch`'s rollback markers
        (`/fleet-rollbacks/<stack>/<service>/<release id>`)."""
        self._services: tuple[str, ...] = ()
        """The services of the last update's config (rule 14)."""
        self._probes: tuple[tuple[int, str], ...] = ()
        """The last update's probes (rule 14)."""

    # -- what an operator runs -------------------------------------------------------------------------------
    def up(self, config: dict[str, Any], **options: Any) -> Update:
        """`pulumi up` (see `_up`), remembered in this process while `remembering`."""
        services = config.get("fleet:services")
        self._services = tuple(services) if isinstance(services, dict) else ()
        self._probes = tuple(options.get("probes", ()))
        key = _key(
            (
                self.stack,
                self.state,
                self.leaked,
                self.outputs,
                self.parameters,
                self.pushed,
                self._serial,
                config,
                sorted(options.items()),
            )
        )
        if not remembering or " at 0x" in key:  # an object without a faithful repr: not a key to trust
            return self._up(config, **options)
        if key not in _remembered:
            before = (list(self.state), list(self.leaked))
            update = self._up(config, **options)
            remembered = (before, self.state, self.leaked, self.outputs, self.pushed, self._serial, update)
            _remembered[key] = _copy(remembered)
            if len(_remembered) > REMEMBERED_UPDATES:
                _remembered.popitem(last=False)
            return update
        _remembered.move_to_end(key)
        return self._recall(_remembered[key])

    def _recall(self, remembered: tuple[Any, ...]) -> Update:
        """A copy of a remembered update applied to this model: the entries it had before are the same objects
        after (changed as the update changed them), as they are after a real run, so a test may compare them by
        identity."""
        (before_state, before_leaked), state, leaked, outputs, pushed, serial, update = _copy(remembered)
        mine: dict[int, Entry] = {}
        for copied, entry in zip([*before_state, *before_leaked], [*self.state, *self.leaked], strict=True):
            vars(entry).update(vars(copied))
            mine[id(copied)] = entry

        def own(entries: list[Entry]) -> list[Entry]:
            return [mine.get(id(entry), entry) for entry in entries]

        self.state, self.leaked, self.outputs, self.pushed, self._serial = (
            own(state),
            own(leaked),
            outputs,
            pushed,
            serial,
        )
        update.deleted, update.deleted_at_once = own(update.deleted), own(update.deleted_at_once)
        update.delete_waves = [own(wave) for wave in update.delete_waves]
        return update

    def _up(
        self,
        config: dict[str, Any],
        *,
        healthy: bool = True,
        untracked: bool = False,
        failing: frozenset[str] = frozenset(),
        failed_launch: bool = False,
        targets: frozenset[str] | None = None,
        delete_first: frozenset[str] = frozenset(),
        probes: tuple[tuple[int, str], ...] = (),
        now: datetime | None = None,
        **kwargs: Any,
    ) -> Update:
        """`pulumi up` with the stack file `config`; the groups it creates get healthy only if `healthy`.

        `failing`: logical names whose step the provider fails outright. `failed_launch`: a launch of each new group
        fails once (rule 11). `targets`: logical names of `pulumi up --target` (rule 9). `delete_first`: logical
        names the provider replaces delete-before-replace in this update, as it does a fixed-name resource whose
        ForceNew input changed (rule 10). `probes`: (port, Host header) requests answered after every step
        (`Update.routes`, `Update.moments`, rule 14; `up` keeps them). `now`: the program's clock
        (`run_program(now=...)`), part of what the update is remembered by.
        """
        assert tuple(probes) == self._probes, "`up` keeps the probes"
        self._untracked, self._failing, self._failed_launch = untracked, failing, failed_launch
        self._targets, self._delete_first = targets, delete_first
        update = Update(succeeded=False)
        mocks = _EngineMocks(
            live_desired=self._live_desired(), live_min=self._live_min(), rollback_markers=dict(self.parameters)
        )
        mocks.overrides, mocks.arns = {}, {}
        monitor = _EngineMonitor(mocks, self, update, healthy)
        self._olds = {entry.urn: entry for entry in self.state if not entry.pending_delete}  # rule 4
        self._replaced: set[str] = set()
        self._registered: set[str] = set()
        stack_outputs = {qualified(self.stack): self.outputs, **kwargs.pop("stack_outputs", {})}
        try:
            update.run = run_program(
                self.stack,
                config,
                stack_outputs=stack_outputs,
                mocks=mocks,
                monitor=monitor,
                project_root=ROOT,
                **({} if now is None else {"now": now}),
            )
        except Exception as failure:  # any failure of the update: nothing is deleted at the end (rule 5)
            update.failure = str(failure)
            update.exported = dict(mocks.exported)
            self.outputs = {**self.outputs, **update.exported}  # rule 7
            return update
        update.succeeded = True
        update.exported = dict(mocks.exported)
        declared = set(update.steps)
        condemned = [e for e in self.state if (e.pending_delete or e.urn not in declared) and self._targeted(e.name)]
        update.delete_waves = schedule_deletes(condemned)  # rules 5 and 9
        deleted: list[Entry] = []
        for wave in update.delete_waves:
            timed_out = [entry for entry in wave if self._delete_times_out(entry)]  # rule 12
            deleted += [entry for entry in wave if entry not in timed_out]
            gone = [entry for entry in wave if entry not in timed_out]
            self.state = [e for e in self.state if all(e is not deleted for deleted in gone)]
            self._record(update, "delete " + ", ".join(e.name for e in gone))
            if timed_out:
                update.succeeded = False
                for entry in timed_out:
                    entry.drained = True
                break
        update.deleted = [*update.deleted_at_once, *deleted]
        self.state = [e for e in self.state if e not in update.deleted]
        self.outputs = update.exported  # rule 7
        return update

    def _delete_times_out(self, entry: Entry) -> bool:
        """Rule 12: whether deleting `entry` outlasts its stored timeout (groups drain; nothing else waits)."""
        if entry.type != AUTOSCALING_GROUP or entry.drained:
            return False
        delays = [int(e.actual.get("deregistrationDelay", 300)) for e in self.state if e.type == TARGET_GROUP]
        return -(-max(delays, default=0) // 60) + SHUTDOWN_MINUTES > entry.delete_timeout_minutes

    def _targeted(self, name: str) -> bool:
        return self._targets is None or name in self._targets

    def refresh(self) -> None:
        for entry in self.state:  # rules 6 and 16
            entry.inputs, entry.outputs, entry.drift, entry.init_errors = entry.actual, None, {}, False

    def change_outside(self, name: str, **values: Any) -> Entry:
        """Something outside Pulumi sets `values` (engine names: `actions`, `minSize`...) on the resource `name`
        (its logical name; not a pending delete) in AWS, as `fleetctl watch` does (rule 16)."""
        (entry,) = [e for e in self.state if e.name == name and not e.pending_delete]
        entry.drift.update(values)
        return entry

    # -- what serves -----------------------------------------------------------------------------------------
    def groups(self) -> list[Entry]:
        """The groups in state, pending deletes included: all still in AWS."""
        return [entry for entry in self.state if entry.type == AUTOSCALING_GROUP]

    def healthy_hosts(self) -> int:
        """Hosts passing health checks behind the load balancer: every healthy group still in AWS serves."""
        return sum(entry.healthy_count for entry in [*self.groups(), *self.leaked])

    def set_healthy(self, name: str, healthy: bool) -> Entry:
        """The hosts of the group `name` (its logical name; not a pending delete) fail their health checks, or all
        pass again: what happens to a warm release between updates (rule 15)."""
        (entry,) = [group for group in self.groups() if group.name == name and not group.pending_delete]
        entry.healthy = healthy
        if healthy:
            entry.booting = 0
        return entry

    def serves(self, port: int, host: str) -> str | None:
        """The service whose healthy hosts a request on `port` with Host `host` reaches; None for a fixed response,
        no listener, or a forward to a target group without healthy hosts (rule 14)."""
        reached = self.route(port, host)
        if not reached or any(self._healthy_in(arn) == 0 for arn in reached):
            return None
        services = {self._service_of(arn) for arn in reached}
        return services.pop() if len(services) == 1 else None

    def route(self, port: int, host: str) -> list[str]:
        """The target groups (ARNs) a request on `port` with Host `host` and no other header reaches: those of
        weight > 0 in the forward it meets; none for a fixed response or no listener (rule 14)."""
        listener = next((e for e in self.state if e.type == LISTENER and e.actual.get("port") == port), None)
        if listener is None:
            return []
        action = next(
            (rule.actual["actions"][0] for rule in self._rules(listener) if _met_by_all(rule, host)),
            listener.actual["defaultActions"][0],
        )
        if action["type"] == "redirect":
            return self.route(int(action["redirect"]["port"]), host)
        return _forwarded(action)

    def hosts(self, service: str) -> Hosts:
        """The service's healthy hosts serving the last update's probes, apart from its warm ones (rule 14)."""
        reached = {arn for probe in self._probes for arn in self.route(*probe)}
        mine = [
            (group, set(group.actual.get("targetGroupArns", [])))
            for group in [*self.groups(), *self.leaked]
            if any(self._service_of(arn) == service for arn in group.actual.get("targetGroupArns", []))
        ]
        return Hosts(
            serving=sum(group.healthy_count for group, arns in mine if arns & reached),
            warm=sum(group.healthy_count for group, arns in mine if not arns & reached),
        )

    def dead_ends(self) -> tuple[str, ...]:
        """Client routes that forward to a target group with no healthy host: a rule with no header condition, or
        a listener's default action when no catch-all rule (`path_pattern *` alone) shadows it (rule 14). fleet's
        `X-Fleet-Track` header rules carry no client traffic: they attach target groups, empty ones included."""
        dead = []
        for listener in (e for e in self.state if e.type == LISTENER):
            rules = [rule for rule in self._rules(listener) if not _has_header_condition(rule)]
            routes = [(rule.name, rule.actual["actions"][0]) for rule in rules]
            if not any(_catch_all(rule) for rule in rules):
                routes.append((listener.name, listener.actual["defaultActions"][0]))
            dead += [
                f"{where} -> {arn.rsplit('/', 1)[-1]}"
                for where, action in routes
                for arn in _forwarded(action)
                if self._healthy_in(arn) == 0
            ]
        return tuple(dead)

    def _rules(self, listener: Entry) -> list[Entry]:
        """The rules on `listener`, in the order AWS evaluates them (by priority)."""
        return sorted(
            (e for e in self.state if e.type == LISTENER_RULE and e.actual.get("listenerArn") == listener.arn),
            key=lambda rule: int(rule.actual["priority"]),
        )

    def _healthy_in(self, arn: str) -> int:
        """Healthy hosts registered in the target group `arn` (every group in AWS, pending deletes included)."""
        groups = [*self.groups(), *self.leaked]
        return sum(group.healthy_count for group in groups if arn in group.actual.get("targetGroupArns", []))

    def _service_of(self, arn: str) -> str:
        """The service a target group belongs to, by its name (rule 14; fleet/config_rules.py keeps the names apart)."""
        name = str(arn).rsplit("/", 1)[-1]
        owner = next((service for service in self._services if name in _target_group_names(service)), None)
        return owner if owner is not None else name.removesuffix("-tg")

    def _record(self, update: Update, done: str) -> None:
        """Where the probes go, each service's hosts and the dead ends, once `done` (rule 14)."""
        update.routes.append((done, {probe: self.serves(*probe) for probe in self._probes}))
        hosts = {service: self.hosts(service) for service in self._services}
        update.moments.append(Moment(done=done, hosts=hosts, dead_ends=self.dead_ends()))

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
        property_dependencies: dict[str, frozenset[str]],
        delete_timeout_minutes: int | None = None,
        aliases: tuple[str, ...] = (),
    ) -> None:
        self._registered.add(urn)
        timeout = delete_timeout_minutes or DEFAULT_DELETE_TIMEOUT_MINUTES
        old = self._olds.get(urn)
        if old is None:  # rule 13
            alias = next((alias for alias in aliases if alias in self._olds), None)
            if alias is not None:
                old = self._olds.pop(alias)
                old.urn = urn
                self._olds[urn] = old
        if old is not None:  # rule 18
            inputs = _ignoring(inputs, old.inputs, options.ignore_changes)
        trigger = options.replacement_trigger
        if not self._targeted(name):  # rule 9: left as it is, or not created
            monitor.update.steps[urn] = "same" if old is not None else "skipped create"
            if old is not None:
                self._assign(monitor, type_, name, old)
            return
        if name in self._failing:
            monitor.update.steps[urn] = "failed"
            raise ProviderError(f"{urn}: the provider failed the step")
        self._refuse_what_aws_refuses(urn, type_, inputs, old)
        if old is None:
            kind = "create"
        elif name in self._delete_first or self._must_replace(old, type_, inputs, options):
            kind = "replace"
        elif inputs != old.applied or old.init_errors:  # rule 2: an empty update of a resource with init errors
            kind = "update"
        else:
            kind = "same"
        if type_ == DOCKER_IMAGE and kind != "same":
            self._push(monitor.update, urn, str(inputs["imageName"]))
        monitor.update.steps[urn] = kind
        if kind in ("update", "same"):
            assert old is not None
            unmet = self._resize(monitor, old, inputs) if type_ == AUTOSCALING_GROUP else None
            for key in _changed(inputs, old.applied):  # rule 16: the provider sends what its diff shows
                old.drift.pop(key, None)
            if unmet is None:
                old.inputs, old.outputs, old.init_errors = inputs, None, False
            else:  # rule 15: the new values in AWS and the outputs, the old inputs, init errors
                old.outputs, old.init_errors = inputs, True
            old.trigger, old.dependencies = trigger, dependencies
            old.property_dependencies, old.replace_on_changes = property_dependencies, tuple(options.replace_on_changes)
            old.delete_timeout_minutes = timeout
            self._assign(monitor, type_, name, old)
            self._record(monitor.update, f"{kind} {name}")
            if unmet is not None:
                raise unmet(f"{urn}: timeout while waiting for capacity on update")
            return
        new = Entry(
            urn=urn,
            type=type_,
            id=self._physical_id(type_, inputs),
            inputs=inputs,
            trigger=trigger,
            dependencies=dependencies,
            property_dependencies=property_dependencies,
            replace_on_changes=tuple(options.replace_on_changes),
            delete_timeout_minutes=timeout,
            arn=self._arn(type_, name),
        )
        new.healthy = type_ != AUTOSCALING_GROUP or monitor.healthy
        self._assign(monitor, type_, name, new)
        if old is not None and (name in self._delete_first or options.delete_before_replace):
            self._delete_before_replace(monitor.update, old)  # rule 10
            old = None
        if not new.healthy and self._untracked:
            self.leaked.append(new)
            raise CapacityWaitTimeoutError(f"{urn}: timeout while waiting for capacity (nothing kept in state)")
        self.state.append(new)
        self._record(monitor.update, f"{kind} {name}")
        if old is not None:
            old.pending_delete = True  # rule 3: even when the create partially fails
            self._replaced.add(urn)
        if type_ == AUTOSCALING_GROUP and self._failed_launch and not inputs.get("ignoreFailedScalingActivities"):
            new.init_errors = True  # rule 11
            raise ScalingActivityFailedError(f"{urn}: a scaling activity failed while waiting for capacity")
        if not new.healthy:
            new.init_errors = True
            raise CapacityWaitTimeoutError(f"{urn}: timeout while waiting for capacity")

    def _delete_before_replace(self, update: Update, root: Entry) -> None:
        """Rule 10: delete `root` now, and every resource in the state its replacement would replace, pending
        deletes included (resources the program already registered in this update are left out, as the engine
        leaves them out: they cannot depend on what registers after them)."""
        doomed = {root.urn}
        for entry in self.state:  # the state is in registration order: dependencies first
            if entry is root or (entry.urn in self._registered and entry.urn != root.urn):
                continue
            fed = {key for key, urns in entry.property_dependencies.items() if urns & doomed}
            if fed and (
                bool(fed & FORCE_NEW.get(entry.type, set())) or bool({"*", *fed} & set(entry.replace_on_changes))
            ):
                doomed.add(entry.urn)
        gone = [entry for entry in self.state if entry.urn in doomed]
        update.deleted_at_once.extend(gone)
        self.state = [entry for entry in self.state if entry.urn not in doomed]
        for entry in gone:
            self._olds.pop(entry.urn, None)
            self._replaced.add(entry.urn)

    def _refuse_what_aws_refuses(self, urn: str, type_: str, inputs: dict[str, Any], old: Entry | None) -> None:
        """Rule 14: the port of a listener and the priority of a rule on its listener are the load balancer's once."""
        others = [e for e in self.state if e.type == type_ and e is not old]
        place = {LISTENER: ("loadBalancerArn", "port"), LISTENER_RULE: ("listenerArn", "priority")}.get(type_)
        if place and any(
            tuple(e.actual.get(key) for key in place) == tuple(inputs.get(key) for key in place) for e in others
        ):
            refusal = "DuplicateListener" if type_ == LISTENER else "PriorityInUse"
            raise AwsRefusedError(f"{urn}: {refusal}, {place[1]} {inputs.get(place[1])} is taken")

    def _push(self, update: Update, urn: str, image: str) -> None:
        """Rule 17: a build pushes its tag; a repository with immutable tags refuses one it already holds."""
        repository = image.split("/", 1)[-1].rsplit(":", 1)[0]
        immutable = any(
            e.type == ECR_REPOSITORY and e.inputs.get("name") == repository
            for e in self.state
            if e.inputs.get("imageTagMutability") == "IMMUTABLE"
        )
        if immutable and image in self.pushed:
            update.steps[urn] = "failed"
            raise ProviderError(f"{urn}: ImageTagAlreadyExistsException: {image} is already in its repository")
        self.pushed.add(image)

    def _resize(self, monitor: _EngineMonitor, group: Entry, inputs: dict[str, Any]) -> type[Exception] | None:
        """Rule 15: AWS takes a group's new sizes, and the provider waits for them when one changed. The error an
        unmet wait ends the update with; None when it was met or there was none."""
        if all(inputs.get(key) == group.applied.get(key) for key in GROUP_SIZES):
            return None
        before, after = group.desired, int(inputs.get("desiredCapacity", 0))
        added = max(0, after - before)
        launch_failed = bool(added) and self._failed_launch and not inputs.get("ignoreFailedScalingActivities")
        group.booting = min(group.booting, after) + (added if not monitor.healthy or launch_failed else 0)
        if not str(inputs.get("waitForCapacityTimeout", "10m")).rstrip("smh").strip("0"):
            return None  # a zero timeout: no wait
        if launch_failed:
            return ScalingActivityFailedError
        healthy = after - group.booting if group.healthy else 0
        wanted, in_target_groups = max(int(inputs.get("minSize", 0)), after), int(inputs.get("waitForElbCapacity", 0))
        if healthy != wanted or (in_target_groups > 0 and healthy != in_target_groups):
            return CapacityWaitTimeoutError
        return None

    def _must_replace(self, old: Entry, type_: str, inputs: dict[str, Any], options: Any) -> bool:
        changed = _changed(inputs, old.applied)
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
        """What the program sees of the resource: its id, for a group its name (the id), for a listener or a target
        group its ARN."""
        mocks: _EngineMocks = monitor.mocks  # type: ignore[assignment]
        mocks.overrides[(type_, name)] = (entry.id, entry.id if type_ == AUTOSCALING_GROUP else None)
        if type_ in (LISTENER, TARGET_GROUP):
            mocks.arns[(type_, name)] = entry.arn

    def _arn(self, type_: str, name: str) -> str:
        """A new resource's ARN: a target group's is the mocks' (named after it, so `_service_of` can tell whose it
        is), anything else's unique to this resource."""
        serial = next(self._serial)
        return mock_arn(type_, name if type_ == TARGET_GROUP else f"{name}-{serial}")

    def _live_desired(self) -> dict[str, int]:
        return {entry.id: entry.desired for entry in self.groups()}

    def _live_min(self) -> dict[str, int]:
        """Each group's min size as AWS has it (rule 16: changes outside Pulumi included)."""
        return {entry.id: int(entry.actual.get("minSize", 0)) for entry in self.groups()}


def _key(value: Any) -> str:
    """`repr`, but with the members of a set in order (a set's own order depends on how it was built)."""
    if is_dataclass(value) and not isinstance(value, type):
        return f"{type(value).__name__}({', '.join(_key(getattr(value, f.name)) for f in fields(value))})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(name)}: {_key(item)}" for name, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}({', '.join(_key(item) for item in value)})"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(_key(item) for item in value)) + "}"
    return repr(value)


def _copy(remembered: tuple[Any, ...]) -> tuple[Any, ...]:
    """A deep copy of a remembered update, its program run's declarations included: their inputs are copied, their
    resource options (live SDK objects, which cannot be copied) shared, as the `program` fixture's copies do."""
    update: Update = remembered[-1]
    memo: dict[int, Any] = {}
    if update.run is not None:
        run = update.run
        memo[id(run)] = ProgramRun(
            resources=[replace(resource, inputs=copy.deepcopy(resource.inputs)) for resource in run.resources],
            outputs=copy.deepcopy(run.outputs),
            invokes=copy.deepcopy(run.invokes),
        )
    return copy.deepcopy(remembered, memo)


def _ignoring(inputs: dict[str, Any], old: dict[str, Any], ignored: tuple[str, ...]) -> dict[str, Any]:
    """Rule 18: `inputs` with each ignored property path (`key` or `key.nested`) set back to its `old` value (or
    removed when it had none)."""
    kept = copy.deepcopy(inputs)
    for path in ignored:
        *parents, last = path.split(".")
        source: Any = old
        target: Any = kept
        for key in parents:
            source = source.get(key, {}) if isinstance(source, dict) else {}
            target = target.setdefault(key, {}) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if isinstance(source, dict) and last in source:
            target[last] = copy.deepcopy(source[last])
        else:
            target.pop(last, None)
    return kept


def _changed(inputs: dict[str, Any], recorded: dict[str, Any]) -> set[str]:
    """The keys the provider's diff of `inputs` against what it `recorded` shows."""
    return {key for key in inputs.keys() | recorded.keys() if inputs.get(key) != recorded.get(key)}


def _minutes(timeout: str) -> int | None:
    """A custom timeout as the program gives it (`70m`), in minutes; None when it gives none."""
    return int(timeout.removesuffix("m")) if timeout else None


def _met(condition: dict[str, Any], host: str) -> bool:
    """Whether a request with Host `host` and no other header meets a rule condition."""
    if "hostHeader" in condition:
        return any(matches(pattern, host) for pattern in condition["hostHeader"]["values"])
    return "pathPattern" in condition  # the catch-all `*`; a request with no X-Fleet-Track header meets no other


def _target_group_names(service: str) -> set[str]:
    """The logical names of a service's target groups: its slots' (fleet.names), and its canary's before slots."""
    return {slot_target_group_name(service, slot) for slot in SLOTS} | {f"{service}{CANARY_SUFFIX}-tg"}


def _met_by_all(rule: Entry, host: str) -> bool:
    """Whether a request with Host `host` and no other header meets every condition of `rule`."""
    return all(_met(condition, host) for condition in rule.actual["conditions"])


def _has_header_condition(rule: Entry) -> bool:
    """fleet's `X-Fleet-Track` rules: only a request with that header meets them."""
    return any("httpHeader" in condition for condition in rule.actual["conditions"])


def _catch_all(rule: Entry) -> bool:
    """A rule every request meets (fleet's only path condition is `*`)."""
    return all("pathPattern" in condition for condition in rule.actual["conditions"])


def _forwarded(action: dict[str, Any]) -> list[str]:
    """The target groups (ARNs) a forward action sends requests to: each of weight > 0 (a weight's default is 1,
    internal/service/elbv2/listener_rule.go); none for a fixed response or a redirect."""
    if action["type"] != "forward":
        return []
    if action.get("targetGroupArn"):
        return [str(action["targetGroupArn"])]
    groups = action["forward"]["targetGroups"]
    return [str(group["arn"]) for group in groups if int(group.get("weight", 1)) > 0]


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
