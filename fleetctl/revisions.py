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
    """The files committed at a revision, read with `git ls-tree` and `git cat-file` (no checkout).

    A commit never changes, so its listing is read once and each file at most once: `diff` reads every stack file
    once per stack it validates and each build context once per release identity, and each read cost `git`
    processes. The stack files, which every validation reads, come in one `cat-file` call with the listing."""

    def __init__(self, project_dir: Path, revision: str) -> None:
        self.project_dir = project_dir
        self.project_root: Path | None = None
        self.label = revision
        self.commit = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode().strip()
        self._blob_ids: dict[str, str] | None = None
        self._contents: dict[str, bytes] = {}

    def stack_files(self) -> list[str]:
        names = sorted(name for name in self._listing() if "/" not in name and fnmatch(name, STACK_FILE_PATTERN))
        self._load(names)
        return names

    def read(self, path: str) -> bytes | None:
        if path not in self._listing():
            return None
        self._load([path])
        return self._contents[path]

    def files_under(self, directory: str) -> dict[str, bytes]:
        prefix = directory.rstrip("/") + "/"
        paths = [path for path in self._listing() if path.startswith(prefix) and not ignored(path[len(prefix) :])]
        self._load(paths)
        return {path[len(prefix) :]: self._contents[path] for path in paths}

    def _listing(self) -> dict[str, str]:
        """Every blob of the commit: its path and object id, from one `git ls-tree -r -z`."""
        if self._blob_ids is None:
            self._blob_ids = {}
            for line in _git(self.project_dir, "ls-tree", "-r", "-z", self.commit).decode().split("\0"):
                if not line:
                    continue
                meta, path = line.split("\t", 1)
                _mode, kind, object_id = meta.split()
                if kind == "blob":
                    self._blob_ids[path] = object_id
        return self._blob_ids

    def _load(self, paths: list[str]) -> None:
        """Read the contents of those of `paths` not read yet, in one `git cat-file --batch` call."""
        missing = [path for path in paths if path not in self._contents]
        if not missing:
            return
        listing = self._listing()
        output = _git(self.project_dir, "cat-file", "--batch", stdin="".join(f"{listing[path]}\n" for path in missing))
        position = 0
        for path in missing:
            header_end = output.index(b"\n", position)
            size = int(output[position:header_end].split()[2])
            self._contents[path] = output[header_end + 1 : header_end + 1 + size]
            position = header_end + 1 + size + 1


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
