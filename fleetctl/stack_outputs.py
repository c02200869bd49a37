"""Reading a stack's deployed outputs: the source of truth for promotion, rollback and the audit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fleet.stacks import same_stack
from fleetctl.cli import CommandError


def read_stack_outputs(stack: str, outputs_file: Path | None = None) -> dict[str, Any]:
    """The outputs of `stack`, from `outputs_file` when given, else from `pulumi stack output --json`."""
    if outputs_file is not None:
        try:
            text = outputs_file.read_text()
        except OSError as error:
            raise CommandError(f"cannot read outputs file {outputs_file}: {error.strerror}") from error
        source = str(outputs_file)
    else:
        text = _pulumi_stack_output(stack)
        source = f"`pulumi stack output --json --stack {stack}`"
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{source} is not JSON: {error}") from error
    if not isinstance(outputs, dict):
        raise CommandError(f"{source} is not a JSON object of stack outputs")
    return outputs


def read_outputs_of(stack: str, outputs_file: Path | None = None) -> dict[str, Any]:
    """`read_stack_outputs`, refused unless they name `stack`: another stack's would pin or plan the wrong one.

    The program exports its stack's name as the `stack` output.
    """
    outputs = read_stack_outputs(stack, outputs_file)
    source = outputs_file or f"`pulumi stack output --json --stack {stack}`"
    if "stack" not in outputs:
        raise CommandError(f"{source} has no `stack` output: cannot tell which stack these outputs are from")
    if not same_stack(str(outputs["stack"]), stack):
        raise CommandError(f"{source} holds the outputs of stack {outputs['stack']}, not of {stack}")
    return outputs


def add_outputs_arguments(parser: Any) -> None:
    """The `--from-outputs FILE` option every command that reads deployed outputs takes."""
    parser.add_argument(
        "--from-outputs",
        type=Path,
        metavar="FILE",
        help="read the stack outputs from this JSON file (as `pulumi stack output --json` prints) "
        "instead of calling the Pulumi CLI",
    )


def _pulumi_stack_output(stack: str) -> str:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise CommandError("the Pulumi CLI is not on PATH: install it, or pass --from-outputs FILE")
    result = subprocess.run(
        [pulumi, "stack", "output", "--json", "--stack", stack],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit code {result.returncode}"
        raise CommandError(f"`pulumi stack output --json --stack {stack}` failed: {detail}")
    return result.stdout
