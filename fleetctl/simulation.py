"""Runs the real fleet program (`__main__.py`) under the Pulumi SDK's mock monitor and records what it declares.

Nothing here talks to AWS or a Pulumi engine: the mock monitor answers resource registrations and invokes with
the values below, and a stack transformation records each resource's options (which the mocks never see). The
tests specify the program with it, and `fleetctl plan` shows a stack's declarations with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import hashlib
import json
import runpy
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.sync_await import _ensure_event_loop

from fleet import clock
from fleet import resource_types as types

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ORGANIZATION = "acme"
DEFAULT_VPC = "vpc-0default0000000000"
VPC_CIDR = "172.31.0.0/16"
DEFAULT_SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"]
DIGEST = "sha256:" + "ab" * 32
"""The digest the mocked docker build reports for every image it pushes."""
ELB_ZONE_ID = "Z32O12XQLNTSW2"
"""The canonical hosted zone of load balancers in REGION (eu-west-1), as `DescribeLoadBalancers` gives it."""


@dataclass(frozen=True)
class Registration:
    """The resource options as the engine receives them, resolved: what the monitor read off RegisterResource."""

    replacement_trigger: Any
    replace_on_changes: tuple[str, ...]
    replace_with: tuple[str, ...]
    """URNs."""
    delete_before_replace: bool
    ignore_changes: tuple[str, ...]


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also keeping each registration's resource options (the mocks see only inputs), and
    the CPU time it spends answering registrations and invokes: work a real run leaves to the engine's process."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[tuple[str, str], Registration] = {}
        self.dependencies: dict[tuple[str, str], tuple[str, ...]] = {}
        """URNs each registration depends on: its `depends_on` and the resources its inputs come from."""
        self.engine_seconds = 0.0
        self._engine_seconds_lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        with self._engine_work():
            self.registrations[(request.type, request.name)] = self.registration(request)
            self.dependencies[(request.type, request.name)] = tuple(request.dependencies)
            return super().RegisterResource(request)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        with self._engine_work():
            return super().Invoke(request)

    @contextlib.contextmanager
    def _engine_work(self) -> Iterator[None]:
        """The SDK calls the monitor from executor threads, where a real run waits on the engine's gRPC answer: the
        calling thread's CPU time is the stand-in engine's."""
        start = time.thread_time()
        try:
            yield
        finally:
            spent = time.thread_time() - start
            with self._engine_seconds_lock:
                self.engine_seconds += spent

    @staticmethod
    def registration(request: Any) -> Registration:
        trigger = None
        if request.HasField("replacement_trigger"):
            trigger = pulumi.runtime.rpc.deserialize_property(json_format.MessageToDict(request.replacement_trigger))
        return Registration(
            replacement_trigger=trigger,
            replace_on_changes=tuple(request.replaceOnChanges),
            replace_with=tuple(request.replace_with),
            delete_before_replace=request.deleteBeforeReplace,
            ignore_changes=tuple(request.ignoreChanges),
        )


@dataclass
class Declared:
    """One resource the program declared: its resolved inputs and the options it was declared with."""

    type: str
    name: str
    inputs: dict[str, Any]
    options: pulumi.ResourceOptions
    parent: str | None
    resource_id: str | None
    registration: Registration | None = None
    """The options as the engine would receive them, Outputs resolved; None if the program failed before."""
    dependencies: tuple[str, ...] = ()
    """URNs of what it depends on, as the engine receives them (`RecordingMonitor.dependencies`)."""

    @property
    def replacement_trigger(self) -> Any:
        return self.registration.replacement_trigger if self.registration else None

    @property
    def replace_with(self) -> list[str]:
        return [resource._name for resource in self.options.replace_with or []]


@dataclass
class ProgramRun:
    """What one run of the program declared, invoked and exported."""

    resources: list[Declared]
    outputs: dict[str, Any]
    invokes: list[tuple[str, dict[str, Any]]]

    def of_type(self, type_: str) -> list[Declared]:
        return [resource for resource in self.resources if resource.type == type_]

    def one(self, type_: str, name: str | None = None) -> Declared:
        matches = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(matches) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in matches]}"
        return matches[0]

    def by_name(self) -> dict[str, Declared]:
        return {f"{r.type}::{r.name}": r for r in self.resources}


@dataclass
class FleetMocks(pulumi.runtime.Mocks):
    """Answers like AWS would for the values the program reads; records resolved inputs and invokes."""

    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Outputs of other stacks (and of this stack's last update), by fully qualified stack name."""
    live_desired: dict[str, int] = field(default_factory=dict)
    """Desired capacity of live autoscaling groups, by group name."""
    live_min: dict[str, int] = field(default_factory=dict)
    """Min size of those groups, by group name; `getGroup` answers none for a group not in it (unknown)."""
    default_vpc: str = DEFAULT_VPC
    """The id of the account's default VPC."""
    inputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    account: str = ACCOUNT
    """The account the program runs in (`getCallerIdentity`); resources are still named in ACCOUNT."""
    absent_images: set[str] = field(default_factory=set)
    """Digests `getImage` finds in no registry; every other image is found (the mocks hold no images)."""
    rollback_markers: dict[str, str] = field(default_factory=dict)
    """SSM parameters under `/fleet-rollbacks/` (name -> value): the releases `fleetctl watch` rolled back; none by
    default."""
    exported: dict[str, Any] = field(default_factory=dict)
    """The stack's outputs, once every exported value resolved: what the SDK registers with the engine in one
    `RegisterResourceOutputs` (sdk/python pulumi/runtime/resource.py `register_resource_outputs` awaits them all),
    so still empty after a run in which an exported value failed."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.inputs[(args.typ, args.name)] = args.inputs
        state = dict(args.inputs)
        resource_id = f"{args.name}-id"
        match args.typ:
            case types.STACK_REFERENCE:
                state["outputs"] = copy.deepcopy(self.stack_outputs.get(args.inputs["name"], {}))
            case types.LAUNCH_TEMPLATE:
                # The template is replaced on any change of its inputs (`replace_on_changes=["*"]`), and a new
                # template has a new id: the id follows the inputs.
                identity = json.dumps([args.name, args.inputs], sort_keys=True, default=str)
                resource_id = "lt-" + hashlib.sha256(identity.encode()).hexdigest()[:17]
                state["latestVersion"] = 1
            case types.AUTOSCALING_GROUP:
                state["name"] = args.inputs.get("name") or f"{args.inputs['namePrefix']}20261121000000000000000001"
                resource_id = state["name"]  # an autoscaling group's id is its name
            case types.ECR_REPOSITORY:
                state["repositoryUrl"] = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{args.inputs['name']}"
                state["registryId"] = ACCOUNT
                state["arn"] = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{args.inputs['name']}"
            case types.DOCKER_IMAGE:
                repository = args.inputs["imageName"].rsplit(":", 1)[0]
                state["repoDigest"] = f"{repository}@{DIGEST}"
            case types.LOAD_BALANCER:
                state["dnsName"] = f"{args.name}-1234.{REGION}.elb.amazonaws.com"
                state["arnSuffix"] = f"app/{args.name}/50dc6c495c0c9188"
                state["zoneId"] = ELB_ZONE_ID
            case types.ACM_CERTIFICATE:
                # A replacement (new names) is a new certificate with a new ARN: the ARN follows the inputs.
                names = dict.fromkeys([args.inputs["domainName"], *args.inputs.get("subjectAlternativeNames", [])])
                resource_id = state["arn"] = certificate_arn(json.dumps([args.name, args.inputs], sort_keys=True))
                state["domainValidationOptions"] = [validation_option(name) for name in names]
            case types.CERTIFICATE_VALIDATION:
                resource_id = args.inputs["certificateArn"]
            case types.DNS_RECORD:
                state["fqdn"] = args.inputs["name"].removesuffix(".")
            case types.TARGET_GROUP:
                state["arnSuffix"] = f"targetgroup/{args.name}/73e2d6bc24d8a067"
            case types.LOG_GROUP:
                state["arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{args.inputs['name']}"
            case types.SSM_PARAMETER:
                state["version"] = 1
        self.ids[(args.typ, args.name)] = resource_id
        state.setdefault("arn", mock_arn(args.typ, args.name))
        return resource_id, state

    # The SDK's monitor also takes a bare result where the base class returns (result, failures): mocks.py
    # `MockMonitor.Invoke` checks `isinstance(tup, dict)`.
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.invokes.append((args.token, dict(args.args)))
        match args.token:
            case types.GET_CALLER_IDENTITY:
                return {"accountId": self.account, "arn": f"arn:aws:iam::{self.account}:user/ci", "userId": "ci"}
            case types.GET_IMAGE:
                if args.args["imageDigest"] in self.absent_images:
                    # A failed invoke, as the provider's data source fails on an empty DescribeImages result.
                    return {}, [("imageDigest", "No matching image found")]  # type: ignore[return-value]
                return {"id": args.args["imageDigest"], "imageDigest": args.args["imageDigest"], "imageTags": []}
            case types.GET_VPC:
                vpc_id = args.args.get("id", self.default_vpc)
                return {"id": vpc_id, "cidrBlock": VPC_CIDR, "default": "id" not in args.args}
            case types.GET_SUBNETS:
                return {"ids": list(reversed(DEFAULT_SUBNETS))}
            case types.GET_AUTHORIZATION_TOKEN:
                return {"userName": "AWS", "password": "token", "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr"}
            case types.READ_STACK_OUTPUTS:
                outputs = copy.deepcopy(self.stack_outputs.get(args.args["name"], {}))
                return {"name": args.args["name"], "outputs": outputs, "secretOutputNames": []}
            case types.GET_AMI_IDS:
                return {"names": [name for name in args.args["names"] if name in self.live_desired], "arns": []}
            case types.GET_PARAMETERS_BY_PATH:
                path = args.args["path"]
                found = sorted(name for name in self.rollback_markers if name.startswith(path))
                return {
                    "id": path,
                    "path": path,
                    "names": found,
                    "values": [self.rollback_markers[name] for name in found],
                    "types": ["String"] * len(found),
                    "arns": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}" for name in found],
                }
            case types.GET_GROUP:
                name = args.args["name"]
                sizes = {"minSize": self.live_min[name]} if name in self.live_min else {}
                return {"name": name, "desiredCapacity": self.live_desired[name], **sizes}
        raise AssertionError(f"the program invoked {args.token}, which these mocks do not answer")


def certificate_arn(identity: str) -> str:
    """An ACM certificate ARN of AWS's shape, the same for the same `identity`."""
    digest = hashlib.sha256(identity.encode()).hexdigest()
    certificate_id = "-".join(digest[start:end] for start, end in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    return f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{certificate_id}"


def validation_option(name: str) -> dict[str, str]:
    """ACM's DNS validation record for `name`: a CNAME under the name, the same for a wildcard and its apex, and
    for every certificate of the name (ACM makes it per domain and account)."""
    domain = name.removeprefix("*.")
    token = hashlib.sha256(domain.encode()).hexdigest()[:32]
    return {
        "domainName": name,
        "resourceRecordName": f"_{token}.{domain}.",
        "resourceRecordType": "CNAME",
        "resourceRecordValue": f"_{token[::-1]}.acm-validations.aws.",
    }


def mock_arn(type_: str, name: str) -> str:
    """The ARN the mocks give a resource that has no ARN of AWS's shape here."""
    return f"arn:aws:mock:{REGION}:{ACCOUNT}:{type_.rsplit(':', 1)[-1]}/{name}"


def qualified(stack: str) -> str:
    """A stack's full name in the mocked organization and project: `staging` -> `acme/fleet/staging`."""
    parts = stack.split("/")
    return "/".join([ORGANIZATION, "fleet"][: max(0, 3 - len(parts))] + parts)


def run_program(
    stack: str,
    config: dict[str, Any],
    *,
    stack_outputs: dict[str, dict[str, Any]] | None = None,
    live_desired: dict[str, int] | None = None,
    live_min: dict[str, int] | None = None,
    mocks: FleetMocks | None = None,
    monitor: RecordingMonitor | None = None,
    project_root: Path,
    secret_keys: list[str] | None = None,
    now: datetime | None = None,
) -> ProgramRun:
    """Run `project_root/__main__.py` for `stack` with the stack-file `config:` mapping given; raise what it raises.

    Pass `mocks` to look at what was registered even when the program fails, and `monitor` to answer the
    registrations another way (tests/engine_model.py); `secret_keys` are the config keys Pulumi would report as
    secret; `now` is the time the program's clock (`fleet.clock`) answers during the run, the real time without.
    """
    # The program turns the garbage collector off for its run (`__main__.py`): a process that runs it again turns
    # it back on first, so the last run's garbage goes.
    gc.enable()
    mocks = mocks or FleetMocks()
    mocks.stack_outputs.update(stack_outputs or {})
    mocks.live_desired.update(live_desired or {})
    mocks.live_min.update(live_min or {})
    if str(project_root) not in sys.path:
        sys.path.insert(0, str(project_root))  # the program imports its `components` package from its directory
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_all_config({key: _engine_value(value) for key, value in config.items()}, secret_keys or [])
    monitor = monitor or RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project="fleet", stack=stack, preview=False, organization=ORGANIZATION, monitor=monitor
    )
    _ensure_event_loop().set_exception_handler(_drop_copies_of_reported_failures)
    declared: list[tuple[str, str, pulumi.ResourceOptions, str | None]] = []

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        parent = args.opts.parent._name if args.opts.parent else None
        declared.append((args.type_, args.name, args.opts, parent))

    pulumi.runtime.register_stack_transformation(record)
    exported = mocks.exported

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(project_root / "__main__.py"), run_name="__main__")
        stack_resource = pulumi.runtime.settings.get_root_resource()
        outputs = pulumi.Output.from_input(dict(stack_resource.outputs))  # type: ignore[union-attr]
        return outputs.apply(exported.update)

    clock.set_now(now)
    try:
        program()
    except BaseException as failure:
        _reported_failures.add(_failure_key(failure))
        raise
    finally:
        clock.set_now(None)
    return ProgramRun(resources=declared_resources(declared, mocks, monitor), outputs=exported, invokes=mocks.invokes)


def declared_resources(
    declared: list[tuple[str, str, pulumi.ResourceOptions, str | None]], mocks: FleetMocks, monitor: RecordingMonitor
) -> list[Declared]:
    """The resources a stack transformation saw (type, name, options, parent), with what the mocks and the monitor
    recorded of each."""
    return [
        Declared(
            type_,
            name,
            mocks.inputs.get((type_, name), {}),
            options,
            parent,
            mocks.ids.get((type_, name)),
            monitor.registrations.get((type_, name)),
            monitor.dependencies.get((type_, name), ()),
        )
        for type_, name, options, parent in declared
    ]


_reported_failures: set[tuple[type[BaseException], str]] = set()
"""The failures runs of this process raised to their callers, by type and message."""


def _failure_key(failure: BaseException) -> tuple[type[BaseException], str]:
    return type(failure), str(failure)


def _drop_copies_of_reported_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed run leaves the SDK's futures of every resource that awaited the failing value holding that failure;
    when they are collected, asyncio logs each with a traceback ("Future exception was never retrieved"), long after
    the run raised it to its caller. Those copies are dropped; any other unretrieved failure is logged as usual."""
    failure = context.get("exception")
    if failure is not None and _failure_key(failure) in _reported_failures:
        return
    loop.default_exception_handler(context)


def run_update(
    stack: str,
    config: dict[str, Any],
    last: ProgramRun,
    *,
    live_desired: dict[str, int] | None = None,
    run: Callable[..., ProgramRun] = run_program,
    **kwargs: Any,
) -> ProgramRun:
    """Run the program as the next update of `stack` after the successful update `last`.

    The stack's own outputs are `last`'s; each live group runs the desired capacity and min size `last` declared for
    it, unless `live_desired` (group name -> desired) says autoscaling moved it since, or `live_min` its min. `run`
    runs the program (`run_program`, or what stands for it with the same arguments).
    """
    groups = last.of_type(types.AUTOSCALING_GROUP)
    declared = {str(group.resource_id): group.inputs["desiredCapacity"] for group in groups}
    declared_min = {str(group.resource_id): group.inputs["minSize"] for group in groups}
    outputs = {qualified(stack): last.outputs, **kwargs.pop("stack_outputs", {})}
    return run(
        stack,
        config,
        stack_outputs=outputs,
        live_desired={**declared, **(live_desired or {})},
        live_min={**declared_min, **kwargs.pop("live_min", {})},
        **kwargs,
    )


def _engine_value(value: Any) -> str:
    """Config as the engine passes it: strings, structured values as JSON text."""
    return value if isinstance(value, str) else json.dumps(value)


def read_stack_config(project_root: Path, stack: str) -> dict[str, Any]:
    """The `config:` mapping of `Pulumi.<stack>.yaml` in `project_root`."""
    return yaml.safe_load((project_root / f"Pulumi.{stack}.yaml").read_text())["config"]


def reset_runtime() -> None:
    """Forget the config and root stack of the last run, so the next one starts from an empty runtime, and turn the
    garbage collector the program turned off back on for what this process does next."""
    pulumi.runtime.set_all_config({}, [])
    pulumi.runtime.settings.ROOT.set(None)
    gc.enable()
