"""Editing a Pulumi stack file in place: change a few values, keep every other byte.

Stack files are reviewed in pull requests and hold comments and `secure:` ciphertexts, so a tool that rewrites
them must leave everything it was not asked to change exactly as it was. ruamel.yaml's round-trip mode keeps
comments, key order and quoting; `load` refuses a file it cannot reproduce byte for byte, so that `dump` never
reformats lines nobody meant to touch.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError


class StackFileError(ValueError):
    """The text is not a stack file this module can edit without reformatting it."""


class StackFile:
    """A stack file's YAML document, editable by key path and dumped with its original formatting."""

    def __init__(self, text: str) -> None:
        self._yaml = _round_trip_yaml(text)
        try:
            self.document = self._yaml.load(text)
        except YAMLError as error:
            raise StackFileError(f"is not valid YAML: {_one_line(error)}") from error
        if not isinstance(self.document, CommentedMap) or not isinstance(self.document.get("config"), CommentedMap):
            raise StackFileError("has no `config:` mapping")
        reproduced = self.dump()
        if reproduced != text:
            raise StackFileError(_reformatting_message(text, reproduced))

    @property
    def config(self) -> CommentedMap:
        config: CommentedMap = self.document["config"]
        return config

    def get(self, path: Sequence[str]) -> Any:
        """The value at `path` (keys from the document root), or None when any key on the way is missing."""
        node: Any = self.document
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def set(self, path: Sequence[str], value: str | int) -> None:
        """Set the scalar at `path`, keeping its quoting style; a missing last key is appended to its mapping."""
        parent = self._mapping(path[:-1])
        key = path[-1]
        old = parent.get(key)
        parent[key] = type(old)(value) if isinstance(old, str) and type(old) is not str else value

    def dump(self) -> str:
        stream = io.StringIO()
        self._yaml.dump(self.document, stream)
        return stream.getvalue()

    def delete(self, path: Sequence[str]) -> None:
        """Remove the key at `path` with every line of its value, and the comment lines just above it.

        Edited as text: ruamel.yaml keeps a comment line before a key with the value above it, so deleting a
        mapping in the document would also delete the comments of the key that follows it.
        """
        text = self.dump()
        lines = text.splitlines(keepends=True)
        first, last, column = self._block(text, path)
        while first > 0 and _indent(lines[first - 1]) == column and lines[first - 1].lstrip().startswith("#"):
            first -= 1
        self._reload("".join(lines[:first] + lines[last + 1 :]))

    def insert_after(self, path: Sequence[str], key: str, value: Mapping[str, Any]) -> None:
        """Add `key: value` as a block mapping right after the lines of the key at `path`, at that key's indent.

        Edited as text for the same reason as `delete`: the comment lines above the next key stay above it.
        """
        text = self.dump()
        lines = text.splitlines(keepends=True)
        _, last, column = self._block(text, path)
        stream = io.StringIO()
        self._yaml.dump({key: value}, stream)
        block = [f"{' ' * column}{line}" if line.strip() else line for line in stream.getvalue().splitlines(True)]
        self._reload("".join(lines[: last + 1] + block + lines[last + 1 :]))

    def _block(self, text: str, path: Sequence[str]) -> tuple[int, int, int]:
        """The first and last line (0-based) of the key at `path` and its value in `text`, and the key's column."""
        parent = self._yaml.load(text)
        for depth, key in enumerate(path[:-1]):
            parent = parent.get(key) if isinstance(parent, CommentedMap) else None
            if not isinstance(parent, CommentedMap):
                raise StackFileError(f"{'.'.join(path[: depth + 1])} is not a mapping")
        if not isinstance(parent, CommentedMap) or path[-1] not in parent:
            raise StackFileError(f"has no {'.'.join(path)}")
        if parent.fa.flow_style():
            raise StackFileError(f"writes {'.'.join(path[:-1])} on one line ({{...}}); write it as a block and retry")
        first, column = parent.lc.key(path[-1])
        lines = text.splitlines()
        last = first
        for number in range(first + 1, len(lines)):
            if lines[number].strip():
                if _indent(lines[number]) <= column:
                    break
                last = number
        return first, last, column

    def _reload(self, text: str) -> None:
        self.document = self._yaml.load(text)
        reproduced = self.dump()
        if reproduced != text:
            raise StackFileError(_reformatting_message(text, reproduced))

    def _mapping(self, path: Sequence[str]) -> CommentedMap:
        node: Any = self.document
        for depth, key in enumerate(path):
            node = node.get(key) if isinstance(node, dict) else None
            if not isinstance(node, CommentedMap):
                raise StackFileError(f"{'.'.join(path[: depth + 1])} is not a mapping")
        return node


def _round_trip_yaml(text: str) -> YAML:
    """A round-trip dumper using the file's own indentation, so unchanged lines dump as they were read."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line (an image reference) that was on one line
    yaml.explicit_start = text.startswith("---")
    mapping_indent = _smallest_indent(re.findall(r"^( +)[^\s#-]", text, flags=re.MULTILINE)) or 2
    dash = re.search(r"^( *)- ", text, flags=re.MULTILINE)
    offset = 0
    if dash:
        # A block sequence item's dash is either level with its parent key or indented under it.
        before = text[: dash.start()].rstrip("\n").rsplit("\n", 1)[-1]
        offset = len(dash.group(1)) - (len(before) - len(before.lstrip(" ")))
    yaml.indent(mapping=mapping_indent, sequence=mapping_indent + offset, offset=offset)
    return yaml


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _smallest_indent(indents: list[str]) -> int | None:
    return min((len(indent) for indent in indents), default=None)


def _reformatting_message(text: str, reproduced: str) -> str:
    for number, (line, again) in enumerate(zip(text.splitlines(), reproduced.splitlines(), strict=False), start=1):
        if line != again:
            return (
                f"cannot be edited without reformatting line {number} ({line.strip()!r} would become "
                f"{again.strip()!r}); use the layout `pulumi config set` writes (2-space indents) and retry"
            )
    return "cannot be edited without reformatting its end (trailing blank lines or document markers)"


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
