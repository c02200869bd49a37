"""The project's files at a git revision or in the working tree, read the same way for `fleetctl diff`."""

from __future__ import annotations

import shutil
import subprocess
from fnmatch import fnmatch
from pathlib import Path
from typing import Protocol

from fleet.release import ignored, read_tree
from fleetctl.errors import CommandError

STACK_FILE_PATTERN = "Pulumi.*.yaml"


class ProjectTree(Protocol):
    label: str
    project_root: Path | None
    """The directory `parse_config` checks build contexts in: None for a git revision (not checked out)."""

    def stack_files(self) -> list[str]:
        """Names of the stack files at the project root."""
        ...

    def read(self, path: str) -> bytes | None:
        """A file's content (path relative to the project), None when it does not exist."""
        ...

    def files_under(self, directory: str) -> dict[str, bytes]:
        """The files of a build context keyed by path relative to it, without `ignored` caches."""
        ...


class WorkingTree:
    """The files on disk: what `pulumi up` would read from this checkout."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.project_root: Path | None = project_dir
        self.label = "working tree"

    def stack_files(self) -> list[str]:
        return sorted(path.name for path in self.project_dir.glob(STACK_FILE_PATTERN) if path.is_file())

    def read(self, path: str) -> bytes | None:
        file = self.project_dir / path
        return file.read_bytes() if file.is_file() else None

    def files_under(self, directory: str) -> dict[str, bytes]:
        context = self.project_dir / directory
        return read_tree(context) if context.is_dir() else {}


class GitTree:
    """The files committed at a revision, read with `git ls-tree` and `git cat-file` (no checkout)."""

    def __init__(self, project_dir: Path, revision: str) -> None:
        self.project_dir = project_dir
        self.project_root: Path | None = None
        self.label = revision
        self.commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()

    def stack_files(self) -> list[str]:
        names = _git(self.project_dir, "ls-tree", "--name-only", "-z", self.commit).decode().split("\0")
        return sorted(name for name in names if fnmatch(name, STACK_FILE_PATTERN))

    def read(self, path: str) -> bytes | None:
        blobs = self._blobs(_git(self.project_dir, "ls-tree", "-z", self.commit, "--", path))
        return blobs.get(path)

    def files_under(self, directory: str) -> dict[str, bytes]:
        prefix = directory.rstrip("/") + "/"
        blobs = self._blobs(_git(self.project_dir, "ls-tree", "-r", "-z", self.commit, "--", prefix))
        return {path[len(prefix) :]: content for path, content in blobs.items() if not ignored(path[len(prefix) :])}

    def _blobs(self, listing: bytes) -> dict[str, bytes]:
        """The contents of the blobs of an `ls-tree -z` listing, read in one `git cat-file --batch` call."""
        entries = []
        for line in listing.decode().split("\0"):
            if not line:
                continue
            meta, path = line.split("\t", 1)
            _mode, kind, sha = meta.split()
            if kind == "blob":
                entries.append((path, sha))
        if not entries:
            return {}
        output = _git(self.project_dir, "cat-file", "--batch", stdin="".join(f"{sha}\n" for _, sha in entries))
        contents: dict[str, bytes] = {}
        position = 0
        for path, _sha in entries:
            header_end = output.index(b"\n", position)
            size = int(output[position:header_end].split()[2])
            contents[path] = output[header_end + 1 : header_end + 1 + size]
            position = header_end + 1 + size + 1
        return contents


def _git(project_dir: Path, *args: str, stdin: str | None = None) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise CommandError("git is not on PATH: fleetctl diff compares git revisions")
    result = subprocess.run(
        [git, *args], cwd=project_dir, input=stdin.encode() if stdin else None, capture_output=True, check=False
    )
    if result.returncode != 0:
        detail = result.stderr.decode().strip() or f"exit code {result.returncode}"
        if args[:1] == ("rev-parse",):
            detail = f"{args[-1].removesuffix('^{commit}')} is not a commit in {project_dir.resolve()}"
        raise CommandError(f"`git {' '.join(args)}` failed: {detail}")
    return result.stdout
