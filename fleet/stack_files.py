"""Reading stack files (`Pulumi.<stack>.yaml`): one YAML loader for the program and fleetctl.

A stack file that is not valid YAML is reported naming the file, the line and column, and the lines around the
error with a caret under it, as the YAML parser shows them: the parser alone would name `<byte string>`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from fleet.config_types import ConfigError

STACK_FILE_GLOB = "Pulumi.*.yaml"


def stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def load_yaml(text: str | bytes, name: str) -> Any:
    """The YAML document `text` of the file `name`; a ConfigError with one problem when it is not YAML."""
    try:
        return YAML(typ="safe").load(text)
    except YAMLError as error:
        raise ConfigError([yaml_problem(error, name)]) from error


def yaml_problem(error: YAMLError, name: str) -> str:
    """`<name> is not valid YAML:` and the parser's own message, its marks naming the file (several lines)."""
    if isinstance(error, MarkedYAMLError):
        for mark in (error.context_mark, error.problem_mark):
            if mark is not None:
                mark.name = name
    return f"{name} is not valid YAML:\n{str(error).strip()}"


def stack_file_config(text: str | bytes, name: str) -> dict[str, Any] | None:
    """The `config:` mapping of a stack file's text (every namespace); None when it has none.

    Each caller gets its own copy of one parse per text: `fleetctl diff` and `check` validate every stack, and each
    validation reads every stack file of the project (promotion sources, shared names), a YAML parse each."""
    return copy.deepcopy(_parsed_config(text, name))


@functools.lru_cache(maxsize=256)
def _parsed_config(text: str | bytes, name: str) -> dict[str, Any] | None:
    document = load_yaml(text, name)
    config = document.get("config") if isinstance(document, dict) else None
    return config if isinstance(config, dict) else None


def stack_files(files: Iterable[tuple[str, str | bytes]]) -> dict[str, dict[str, Any]]:
    """The `config:` mapping of each stack file (name, text), by file name ({} for one without); every file that is
    not YAML is reported at once."""
    configs, problems = {}, []
    for name, text in files:
        try:
            configs[name] = stack_file_config(text, name) or {}
        except ConfigError as error:
            problems.extend(error.problems)
    if problems:
        raise ConfigError(problems)
    return configs


def project_stack_files(project_root: Path) -> dict[str, dict[str, Any]]:
    """`stack_files` of every stack file in the project directory."""
    paths = sorted(project_root.glob(STACK_FILE_GLOB))
    return stack_files((path.name, path.read_bytes()) for path in paths)


def others(files: Mapping[str, Mapping[str, Any]], stack: str) -> dict[str, Mapping[str, Any]]:
    """The stack files of the project other than `stack`'s own."""
    return {name: config for name, config in files.items() if name != stack_file_name(stack)}
