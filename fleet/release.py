"""Release identity: what runs on a host, reduced to a short id.

A release is a new launch template and a new autoscaling group. The program feeds `release_id` to
`replacement_trigger`, and `fleetctl diff` compares identities between git revisions: both call `identify`, so
the reason a pull request gives for a replacement is the reason Pulumi replaces. Every input is known at preview
time (config and files in the repo), never a build digest, which is unknown until the build runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from fleet.config_types import ServiceConfig, Setting

BOOT_SCRIPT = "components/boot.sh"
"""The script every host runs at boot, relative to the project: changing it changes every service's release."""

IGNORED_CONTEXT_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache"})


@dataclass(frozen=True)
class BuiltImage:
    """An image built from a context in the repository, known by its files before the build runs."""

    context: str
    files: str
    """The fingerprint of the context's files."""

    @property
    def canonical(self) -> str:
        return f"build:{self.context}#{self.files}"


@dataclass(frozen=True)
class PinnedImage:
    """A promoted image, known by its digest-pinned reference."""

    ref: str

    @property
    def canonical(self) -> str:
        return f"ref:{self.ref}"


@dataclass(frozen=True)
class Change:
    """A field of the release identity that differs between two releases, with its values (as the identity holds
    them, not as a reader is shown them: `fleetctl diff` formats them)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ReleaseIdentity:
    """The inputs that, when any changes, make a new release."""

    version: str
    image: BuiltImage | PinnedImage
    host_image: str
    instance_type: str
    port: int
    boot_script: str
    """sha256 of the boot script."""
    settings: tuple[tuple[str, str], ...] | None = None
    """(name, fingerprint) of each setting; None without settings, so that older release ids stay as they were."""

    @property
    def release_id(self) -> str:
        # The image takes part as `build:<context>#<files>` or `ref:<ref>`: the form every deployed id was made of.
        parts = {spec.name: getattr(self, spec.name) for spec in fields(self)} | {"image": self.image.canonical}
        canonical = json.dumps(
            {name: value for name, value in parts.items() if value is not None}, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def changed_settings(self, previous: ReleaseIdentity) -> list[str]:
        """Names of the settings added, removed or changed since `previous`, sorted; never their values."""
        old, new = dict(previous.settings or ()), dict(self.settings or ())
        return sorted(name for name in {*old, *new} if old.get(name) != new.get(name))

    def changes_since(self, previous: ReleaseIdentity) -> tuple[Change, ...]:
        """What differs from `previous`, field by field in the identity's order."""
        return tuple(
            Change(spec.name, getattr(previous, spec.name), getattr(self, spec.name))
            for spec in fields(self)
            if getattr(self, spec.name) != getattr(previous, spec.name)
        )


def fingerprint(files: Mapping[str, bytes]) -> str:
    """A digest of a file tree (relative path -> content), independent of where the tree was read from."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()[:16]


def setting_fingerprint(setting: Setting) -> str:
    """What of a setting takes part in the release identity, revealing nothing of a secret.

    A secret's fingerprint is derived from its ciphertext in the stack file, never from its value: `fleetctl diff`
    computes it without the secrets provider, and the program, which reads the same stack file, agrees. Pulumi
    encrypts with a fresh nonce, so setting a secret again (even to the same value) is a new release, as is
    re-encrypting the stack's secrets (`pulumi stack change-secrets-provider`). A plain value takes part as itself.
    """
    source = f"secure:{setting.ciphertext}" if setting.secret else f"plain:{setting.value}"
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def ignored(relative_path: str) -> bool:
    """Caches a build context may hold on a developer's machine: not part of the image, nor of its identity."""
    parts = Path(relative_path).parts
    return any(part in IGNORED_CONTEXT_PARTS for part in parts) or relative_path.endswith(".pyc")


def read_tree(directory: Path) -> dict[str, bytes]:
    """The files of a build context on disk, keyed by their path relative to it."""
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file() and not ignored(path.relative_to(directory).as_posix())
    }


def identify(service: ServiceConfig, boot_script: str, build_context: Mapping[str, bytes] | None) -> ReleaseIdentity:
    """The release identity of `service`. `build_context` holds its context's files when the image is built."""
    if service.image.build is not None:
        if build_context is None:
            raise ValueError(f"service {service.name} builds {service.image.build}: its files are needed")
        image: BuiltImage | PinnedImage = BuiltImage(service.image.build, fingerprint(build_context))
    else:
        image = PinnedImage(str(service.image.ref))
    return ReleaseIdentity(
        version=service.image.version,
        image=image,
        host_image=service.host_image,
        instance_type=service.instance_type,
        port=service.port,
        boot_script=hashlib.sha256(boot_script.encode()).hexdigest()[:16],
        settings=tuple((setting.name, setting_fingerprint(setting)) for setting in service.settings) or None,
    )


def identify_on_disk(services: Iterable[ServiceConfig], project_root: Path) -> dict[str, ReleaseIdentity]:
    """The release identity of each service as the working tree defines it: what the program deploys."""
    boot_script = (project_root / BOOT_SCRIPT).read_text()
    contexts: dict[str, dict[str, bytes]] = {}
    identities = {}
    for service in services:
        build = service.image.build
        if build is not None and build not in contexts:
            contexts[build] = read_tree(project_root / build)
        identities[service.name] = identify(service, boot_script, contexts.get(build) if build else None)
    return identities
