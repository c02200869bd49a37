"""The ECR tag a build pushes: `<version>-<build fingerprint>`, so no rebuild can push a tag that already exists.

ECR tags are IMMUTABLE: pushing an existing tag fails. pulumi-docker rebuilds and pushes whenever its checked
inputs differ from the last deployed ones (pulumi/pulumi-docker provider/provider.go `Diff` compares all of them,
only the registry's username and password excepted; `Update` calls `dockerBuild`, which pushes). Those inputs are
the image name, the build options, and a `contextDigest` its `Check` recomputes from the files on every run
(`hashContext`: each file's relative name, full mode and contents). `ignore_changes` cannot hold that digest still:
the engine resets ignored inputs *before* `Check` (pulumi/pulumi pkg/resource/deploy/step_generator.go,
`processIgnoreChanges` then `prov.Check`). So the tag itself changes whenever anything the provider diffs can
change: the files (contents, names and modes), the platform, the version (the `APP_VERSION` build argument), and
the pulumi-docker version (which decides how `Check` fills in and hashes the inputs). A rebuild then always pushes a
new tag; the same inputs give the same tag from any checkout path, so a re-run rebuilds nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from functools import cache
from pathlib import Path

from fleet.release import fingerprint, ignored, read_tree

MAX_TAG_LENGTH = 128
"""Docker's limit on a tag."""
FINGERPRINT_LENGTH = 12


@cache
def docker_provider_version() -> str:
    """The pulumi-docker SDK installed (from the lock file); it requests the provider plugin of the same version."""
    return importlib.metadata.version("pulumi_docker")


def file_modes(directory: Path) -> dict[str, int]:
    """The mode of each file of a build context (the provider hashes it: a checkout's umask is part of a build)."""
    return {
        path.relative_to(directory).as_posix(): path.stat().st_mode
        for path in directory.rglob("*")
        if path.is_file() and not ignored(path.relative_to(directory).as_posix())
    }


def build_tag(
    version: str, context: Path, platform: str, provider_version: str | None = None, track: str | None = None
) -> str:
    """`<version>-<12 hex>`: the hex digest covers the version, the context's files and modes, the platform and
    the pulumi-docker version. The version part is cut so the tag fits Docker's 128 characters; the digest still
    covers the whole version.

    A canary's build (`track="canary"`) gets a tag of its own: finishing the canary makes the service build the
    same inputs, and that push must not meet the canary's tag. The live build's tag is as it always was.
    """
    build = {
        "version": version,
        "files": fingerprint(read_tree(context)),
        "modes": file_modes(context),
        "platform": platform,
        "provider": provider_version or docker_provider_version(),
        **({"track": track} if track else {}),
    }
    digest = hashlib.sha256(json.dumps(build, sort_keys=True).encode()).hexdigest()[:FINGERPRINT_LENGTH]
    return f"{version[: MAX_TAG_LENGTH - FINGERPRINT_LENGTH - 1]}-{digest}"
