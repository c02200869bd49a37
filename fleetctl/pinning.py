"""Pinning deployed releases into a stack file: what `promote` and `rollback` both write.

A pin is the exact image a stack already ran (version, digest-pinned ref, host image), taken from deployed
outputs, never rebuilt. The stack file is edited in place and the resulting config validated with
`parse_config` before anything is written, so a command either writes a valid stack file or writes nothing.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from fleet.config import AMI_ID, INSTANCE_TYPE, VERSION, fleet_keys, parse_config
from fleet.config_types import ECR_DIGEST_REF, CanaryConfig, ConfigError, FleetConfig, ServiceConfig
from fleet.names import SERVICES_KEY
from fleet.outputs import OutputsError, ReleaseEntry, ServiceOutputs, parse_services
from fleet.platforms import platform_for
from fleetctl.errors import CommandError
from fleetctl.stack_outputs import read_outputs_of
from fleetctl.stackfile import StackFile, StackFileError

SERVICES_PATH = ("config", SERVICES_KEY)

# Release entry field -> what it must be.
RELEASE_FIELDS: dict[str, tuple[re.Pattern[str], str]] = {
    "version": (VERSION, "a release version such as 1.4.2"),
    "image_ref": (
        ECR_DIGEST_REF,
        "an ECR image pinned by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>",
    ),
    "host_image": (AMI_ID, "an AMI id such as ami-0abc1234def567890"),
    "instance_type": (INSTANCE_TYPE, "the EC2 instance type the release ran on, such as t3.small"),
}


@dataclass(frozen=True)
class Pin:
    """What a stack file pins of a release a stack has run."""

    version: str
    image_ref: str
    host_image: str
    instance_type: str
    """What the release ran on, so what its image was built for: never written, only checked against the target."""

    @classmethod
    def from_release(cls, release: ReleaseEntry | None, where: str) -> Pin:
        """The pin of a release entry of the stack outputs; `where` names the entry in error messages."""
        if release is None:
            raise CommandError(f"{where} is not a release object; got None")
        missing = [release.key_of(name) for name in RELEASE_FIELDS if getattr(release, name) is None]
        if missing:
            raise CommandError(f"{where} lacks {', '.join(missing)}: cannot pin a release without it")
        for name, (pattern, allowed) in RELEASE_FIELDS.items():
            value = getattr(release, name)
            if not pattern.match(value):
                raise CommandError(f"{where}.{release.key_of(name)} must be {allowed}; got {value!r}")
        return cls(
            version=str(release.version),
            image_ref=str(release.image_ref),
            host_image=str(release.host_image),
            instance_type=str(release.instance_type),
        )


ReleaseChoice = Callable[[str, ServiceOutputs], tuple[ReleaseEntry | None, str]]
"""Which release of a deployed service to pin, and where it sits in the outputs (for messages)."""
RegistryChoice = Callable[[Mapping[str, Any]], str | None]
"""Given the source's outputs, the registry (`<account>.dkr.ecr.<region>.amazonaws.com`) to pin the images in
instead of the one the source ran them from; None: the source's."""


@dataclass(frozen=True)
class AsCanary:
    """Pin each release as its service's canary (`fleet:services.<name>.canary`), the live release staying."""

    weight: int | None = None
    """The canary's share of requests; None: the default for a new canary, unchanged for one already there."""


def pin_releases(
    target: PinTarget,
    source: str,
    outputs_file: Path | None,
    service: str | None,
    heading: str,
    release_of: ReleaseChoice,
    *,
    dry_run: bool,
    canary: AsCanary | None = None,
    registry: RegistryChoice | None = None,
) -> list[str]:
    """Pin each selected service of `target` (or its canary) to the release `release_of` picks from `source`'s
    deployed outputs, then validate and write the file: what `promote` (another stack's live releases, or with
    `--canary` as canaries) and `rollback` (an earlier release of the same stack) all do. With `registry`, each
    image is pinned by the same repository and digest in the registry it picks (ECR's replicated copy). The names
    of the services pinned."""
    outputs = read_outputs_of(source, outputs_file)
    deployed = deployed_services(outputs, source)
    pinned_registry = registry(outputs) if registry else None
    target.report.append(f"{target.path.name} ← {heading}")
    names = target.select(deployed, service, source)
    for name in names:
        release, where = release_of(name, deployed[name])
        pin = Pin.from_release(release, where)
        if pinned_registry is not None:
            pin = replace(pin, image_ref=f"{pinned_registry}/{pin.image_ref.split('/', 1)[1]}")
        if canary is None:
            target.pin(name, pin)
        else:
            target.pin_canary(name, pin, canary.weight)
    target.save(dry_run=dry_run)
    return names


def add_stack_file_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of every command that edits a stack file."""
    parser.add_argument("--dry-run", action="store_true", help="print what would change without writing the file")


def deployed_services(outputs: Mapping[str, Any], stack: str) -> dict[str, ServiceOutputs]:
    """The `services` output of a stack: per service its live release and release history."""
    try:
        services = parse_services(outputs)
    except OutputsError as error:
        raise CommandError(f"{stack} outputs {error}") from error
    if not services:
        raise CommandError(f"stack {stack} has no `services` output: has this program deployed it?")
    return services


def short_ref(ref: str) -> str:
    """`<repository>@sha256:<12 hex>`: enough to tell images apart in a terminal or a PR comment."""
    match = ECR_DIGEST_REF.match(ref)
    if match is None:
        return ref
    return f"{match['repository']}@{match['digest'][: len('sha256:') + 12]}"


class PinTarget:
    """The stack file of the stack being pinned, edited in memory until `save`."""

    def __init__(self, project_dir: Path, stack: str) -> None:
        self.project_dir = project_dir
        self.stack = stack
        self.path = project_dir / f"Pulumi.{stack}.yaml"
        try:
            text = self.path.read_text()
        except OSError as error:
            raise CommandError(f"cannot read the stack file {self.path}: {error.strerror}") from error
        try:
            self.file = StackFile(text)
        except StackFileError as error:
            raise CommandError(f"{self.path} {error}") from error
        services = self.file.get(SERVICES_PATH)
        if not isinstance(services, Mapping):
            raise CommandError(f"{self.path} has no {SERVICES_KEY} mapping: not a fleet stack file")
        self.services: list[str] = list(services)
        self.changed = False
        self.report: list[str] = []
        """What `pin` changed and kept, printed only once the edited file is known to be valid."""
        self.config: FleetConfig | None = None
        """The edited file's config, once `save` has validated it."""

    def select(self, deployed: Mapping[str, Any], service: str | None, source: str) -> list[str]:
        """`service` when given, else every service both deployed on `source` and configured here."""
        if service is not None:
            if service not in deployed:
                raise CommandError(f"stack {source} has no service {service}; it has: {', '.join(deployed)}")
            self.require(service)
            return [service]
        names = [name for name in self.services if name in deployed]
        if not names:
            raise CommandError(
                f"no service is both deployed on {source} ({', '.join(deployed)}) and in {self.path.name} "
                f"({', '.join(self.services)})"
            )
        return names

    def refuse_builds(self, service: str | None) -> None:
        """Refuse a target that builds the images to pin: it releases its own builds, never another's images."""
        for name in [service] if service is not None else self.services:
            build = self.file.get((*SERVICES_PATH, name, "image", "build"))
            if build is not None:
                raise CommandError(
                    f"{self.path.name} builds {name} from {build}: a stack that builds its images is released "
                    "by changing its files and image.version, never pinned to a built image"
                )

    def pin(self, service: str, pin: Pin) -> None:
        """Pin `service` to `pin`; report old → new per field (printed by `save` once the file is valid)."""
        self.require(service)
        path = (*SERVICES_PATH, service)
        self._check_platform(service, pin, self.file.get((*path, "instanceType")))
        if not isinstance(self.file.get((*path, "image")), Mapping):
            raise CommandError(f"{SERVICES_KEY}.{service}.image in {self.path.name} is not a mapping")
        self._write(service, path, pin, pin.host_image)

    def pin_canary(self, service: str, pin: Pin, weight: int | None) -> None:
        """Pin `pin` as `service`'s canary, the live release staying as it is; a canary already there is re-pinned,
        and a service whose live release is `pin` is left alone (a canary of it would compare it with itself).

        The canary holds only what differs from the service: its hostImage only when it is not the service's.
        """
        self.require(service)
        path = (*SERVICES_PATH, service)
        live = (self.file.get((*path, "image", "ref")), self.file.get((*path, "hostImage")))
        if live == (pin.image_ref, pin.host_image):
            self.report.append(f"  {service}: {self.stack} already runs {pin.version} ({short_ref(pin.image_ref)})")
            return
        canary = (*path, "canary")
        if self.file.get(canary) is None:
            self._check_platform(service, pin, self.file.get((*path, "instanceType")))
            block: dict[str, Any] = {"image": {"version": DoubleQuotedScalarString(pin.version), "ref": pin.image_ref}}
            if pin.host_image != self.file.get((*path, "hostImage")):
                block["hostImage"] = pin.host_image
            block["weight"] = CanaryConfig.weight if weight is None else weight
            self.edit(partial(self.file.insert_after, (*path, "image"), "canary", block))
            self.report.append(
                f"  {service}: canary {pin.version} ({short_ref(pin.image_ref)}) added, {block['weight']}% of requests"
            )
            self.changed = True
            return
        if not isinstance(self.file.get((*canary, "image")), Mapping):
            raise CommandError(f"{SERVICES_KEY}.{service}.canary.image in {self.path.name} is not a mapping")
        instance_type = self.file.get((*canary, "instanceType")) or self.file.get((*path, "instanceType"))
        self._check_platform(service, pin, instance_type)
        own_host_image = self.file.get((*canary, "hostImage")) is not None
        host_image = pin.host_image if own_host_image or pin.host_image != self.file.get((*path, "hostImage")) else None
        self._write(f"{service} canary", canary, pin, host_image)
        if weight is not None:
            self._write_field(f"{service} canary", "weight", (*canary, "weight"), weight, str(weight))

    def _write(self, label: str, path: tuple[str, ...], pin: Pin, host_image: str | None) -> None:
        """Write the image (and the host image unless None) of `pin` at `path`: a service or its canary."""
        image = (*path, "image")
        self._write_field(label, "version", (*image, "version"), pin.version, pin.version)
        self._write_field(label, "image", (*image, "ref"), pin.image_ref, short_ref(pin.image_ref))
        if host_image is not None:
            self._write_field(label, "host image", (*path, "hostImage"), host_image, host_image)

    def _write_field(self, label: str, field: str, path: tuple[str, ...], value: str | int, shown: str) -> None:
        current = self.file.get(path)
        if current == value:
            self.report.append(f"  {label}: {field} unchanged ({shown})")
            return
        old = short_ref(str(current)) if field == "image" else current
        self.file.set(path, value)
        self.report.append(f"  {label}: {field} {old} → {shown}")
        self.changed = True

    def edit(self, edit: Callable[[], None]) -> None:
        """Run a structural edit of the stack file; one it cannot make without reformatting is refused."""
        try:
            edit()
        except StackFileError as error:
            raise CommandError(f"{self.path} {error}") from error

    def save(self, *, dry_run: bool) -> None:
        """Validate the edited file as the program will read it; then print the report and write the file
        unless unchanged or a dry run. A file that would be invalid is reported alone: nothing is written."""
        text = self.file.dump()
        try:
            document = YAML(typ="safe").load(text)
            self.config = parse_config(fleet_keys(document["config"]), self.stack, project_root=self.project_dir)
        except (YAMLError, ConfigError) as error:
            problems = error.problems if isinstance(error, ConfigError) else [str(error)]
            raise CommandError(
                f"{self.path} would not be a valid stack config, not written: {'; '.join(problems)}"
            ) from error
        print("\n".join(self.report))
        if not self.changed:
            print(f"{self.path.name}: already pins these releases; nothing to write")
        elif dry_run:
            print(f"{self.path.name}: not written (--dry-run)")
        else:
            self.path.write_text(text)
            print(f"{self.path.name}: written")

    def _check_platform(self, service: str, pin: Pin, target_type: Any) -> None:
        """Refuse an image built for another CPU architecture than the target's hosts: they could not run it."""
        if target_type is None:
            target_type = ServiceConfig.instance_type
        if not isinstance(target_type, str):
            return  # reported, with every other problem, when the edited file is validated
        needed, built = platform_for(target_type), platform_for(pin.instance_type)
        if needed != built:
            raise CommandError(
                f"service {service}: its image {pin.version} ran on {pin.instance_type}, so it is built for {built}, "
                f"but {self.path.name} runs {service} on {target_type} ({needed}) and those hosts cannot run it; "
                f"set {SERVICES_KEY}.{service}.instanceType to a {built} instance type in {self.path.name}, or "
                f"release {service} on a {needed} instance type where it is built"
            )

    def require(self, service: str) -> None:
        if service not in self.services:
            raise CommandError(
                f"{self.path.name} has no service {service} under {SERVICES_KEY}; it has: {', '.join(self.services)}"
            )
