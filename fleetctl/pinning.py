"""Pinning deployed releases into a stack file: what `promote` and `rollback` both write.

A pin is the exact image a stack already ran (version, digest-pinned ref, host image), taken from deployed
outputs, never rebuilt. The stack file is edited in place and the resulting config validated with
`parse_config` before anything is written, so a command either writes a valid stack file or writes nothing.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fleet.config import (
    AMI_ID,
    ECR_DIGEST_REF,
    INSTANCE_TYPE,
    VERSION,
    ConfigError,
    ServiceConfig,
    fleet_keys,
    parse_config,
)
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


def pin_releases(
    target: PinTarget,
    source: str,
    outputs_file: Path | None,
    service: str | None,
    heading: str,
    release_of: ReleaseChoice,
    *,
    dry_run: bool,
) -> None:
    """Pin each selected service of `target` to the release `release_of` picks from `source`'s deployed outputs,
    then validate and write the file: what `promote` (another stack's live releases) and `rollback` (an earlier
    release of the same stack) both do."""
    deployed = deployed_services(read_outputs_of(source, outputs_file), source)
    target.report.append(f"{target.path.name} ← {heading}")
    for name in target.select(deployed, service, source):
        release, where = release_of(name, deployed[name])
        target.pin(name, Pin.from_release(release, where))
    target.save(dry_run=dry_run)


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

    def select(self, deployed: Mapping[str, Any], service: str | None, source: str) -> list[str]:
        """`service` when given, else every service both deployed on `source` and configured here."""
        if service is not None:
            if service not in deployed:
                raise CommandError(f"stack {source} has no service {service}; it has: {', '.join(deployed)}")
            self._require(service)
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
        self._require(service)
        path = (*SERVICES_PATH, service)
        self._check_platform(service, pin)
        image = (*path, "image")
        if not isinstance(self.file.get(image), Mapping):
            raise CommandError(f"{SERVICES_KEY}.{service}.image in {self.path.name} is not a mapping")
        fields = (
            ("version", (*image, "version"), pin.version, pin.version),
            ("image", (*image, "ref"), pin.image_ref, short_ref(pin.image_ref)),
            ("host image", (*path, "hostImage"), pin.host_image, pin.host_image),
        )
        for label, key_path, value, shown in fields:
            current = self.file.get(key_path)
            if current == value:
                self.report.append(f"  {service}: {label} unchanged ({shown})")
                continue
            old = short_ref(str(current)) if label == "image" else current
            self.file.set(key_path, value)
            self.report.append(f"  {service}: {label} {old} → {shown}")
            self.changed = True

    def save(self, *, dry_run: bool) -> None:
        """Validate the edited file as the program will read it; then print the report and write the file
        unless unchanged or a dry run. A file that would be invalid is reported alone: nothing is written."""
        text = self.file.dump()
        try:
            document = YAML(typ="safe").load(text)
            parse_config(fleet_keys(document["config"]), self.stack, project_root=self.project_dir)
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

    def _check_platform(self, service: str, pin: Pin) -> None:
        """Refuse an image built for another CPU architecture than the target's hosts: they could not run it."""
        target_type = self.file.get((*SERVICES_PATH, service, "instanceType"))
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

    def _require(self, service: str) -> None:
        if service not in self.services:
            raise CommandError(
                f"{self.path.name} has no service {service} under {SERVICES_KEY}; it has: {', '.join(self.services)}"
            )
