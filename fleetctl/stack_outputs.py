"""Reading a stack's deployed outputs and state: the source of truth for promotion, rollback and the audit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fleet.names import same_stack
from fleet.outputs import STACK, output_key
from fleetctl.errors import CommandError


def read_stack_outputs(stack: str, outputs_file: Path | None = None) -> dict[str, Any]:
    """The outputs of `stack`, from `outputs_file` when given, else from `pulumi stack output --json`."""
    return _read_json_object(
        stack, outputs_file, ["stack", "output", "--json"], "of stack outputs", "--from-outputs FILE"
    )


def read_stack_export(stack: str, export_file: Path | None = None) -> dict[str, Any]:
    """The checkpoint of `stack` (its state), from `export_file` when given, else from `pulumi stack export`.

    Unlike the outputs, the checkpoint lists every resource the engine tracks, including a replaced ASG it has
    marked for deletion and a new one it recorded with initialization errors. Exported without `--show-secrets`:
    the audit needs no secret, and the read-only audit role then needs no decryption key for them.
    """
    return _read_json_object(stack, export_file, ["stack", "export"], "of a stack export", "--from-export FILE")


def read_outputs_of(stack: str, outputs_file: Path | None = None) -> dict[str, Any]:
    """`read_stack_outputs`, refused unless they name `stack`: another stack's would pin or plan the wrong one.

    The program exports its stack's name as the `stack` output.
    """
    outputs = read_stack_outputs(stack, outputs_file)
    source = outputs_file or f"`pulumi stack output --json --stack {stack}`"
    if STACK not in outputs:
        raise CommandError(f"{source} has no `{STACK}` output: cannot tell which stack these outputs are from")
    if not same_stack(str(outputs[STACK]), stack):
        raise CommandError(f"{source} holds the outputs of stack {outputs[STACK]}, not of {stack}")
    return outputs


def required_field(record: Any, attribute: str, where: str) -> Any:
    """A field of an outputs record the command cannot do without (its type is checked by the parse)."""
    value = getattr(record, attribute)
    if value is None or value == "":
        raise CommandError(f"{where}.{output_key(type(record), attribute)} is missing or empty")
    return value


def add_outputs_arguments(parser: Any) -> None:
    """The `--from-outputs FILE` option every command that reads deployed outputs takes."""
    parser.add_argument(
        "--from-outputs",
        type=Path,
        metavar="FILE",
        help="read the stack outputs from this JSON file (as `pulumi stack output --json` prints) "
        "instead of calling the Pulumi CLI",
    )


def add_export_arguments(parser: Any) -> None:
    """The `--from-export FILE` option of the commands that read a stack's state."""
    parser.add_argument(
        "--from-export",
        type=Path,
        metavar="FILE",
        help="read the stack's state from this JSON file (as `pulumi stack export --stack STACK` prints) "
        "instead of calling the Pulumi CLI",
    )


def _read_json_object(stack: str, file: Path | None, command: list[str], what: str, option: str) -> dict[str, Any]:
    """The JSON object in `file` when given, else printed by `pulumi <command> --stack <stack>`."""
    if file is not None:
        try:
            text = file.read_text()
        except OSError as error:
            raise CommandError(f"cannot read file {file}: {error.strerror}") from error
        source = str(file)
    else:
        text = _run_pulumi([*command, "--stack", stack], option)
        source = f"`pulumi {' '.join(command)} --stack {stack}`"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{source} is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise CommandError(f"{source} is not a JSON object {what}")
    return value


def _run_pulumi(arguments: list[str], option: str) -> str:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise CommandError(f"the Pulumi CLI is not on PATH: install it, or pass {option}")
    result = subprocess.run([pulumi, *arguments], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit code {result.returncode}"
        raise CommandError(f"`pulumi {' '.join(arguments)}` failed: {detail}")
    return result.stdout
