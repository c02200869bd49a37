"""The `fleetctl` command (and `python -m fleetctl`): one sub-command per module."""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fleetctl import __version__
from fleetctl.errors import AWS_ERRORS, CommandError, aws_problem

# Each module of fleetctl.commands defines `add_parser(subparsers)`, which registers its sub-command and sets `handler`
# (a function of the parsed arguments returning the exit code). In the order the help lists them.
COMMAND_MODULES = (
    "check",
    "plan",
    "diff",
    "promote",
    "rollback",
    "canary",
    "status",
    "watch",
    "retain",
    "host_image",
    "audit",
)

DESCRIPTION = """\
fleetctl works with a fleet project: web services on AWS as immutable servers, where every change to what runs
on a host is a new release (new launch template and autoscaling group, cut over once healthy).

It checks and tries out a stack on your machine (no AWS account, no Pulumi CLI), describes a change for its
pull request, pins released images into a stack file (promotion, rollback) and audits what runs in AWS."""

EXAMPLES = (
    (
        "try a stack locally, with nothing but the repository:",
        (
            ("fleetctl check staging", "validate Pulumi.staging.yaml as `pulumi up` would read it"),
            ("fleetctl plan staging", "what each service would run: release, image, capacity, health gate"),
        ),
    ),
    (
        "ship a release:",
        (
            ("fleetctl diff origin/main", "which services a change releases, and why (Markdown for the PR)"),
            ("fleetctl host-image staging", "pin the current recommended host image (a release, reviewed as a PR)"),
            ("fleetctl promote staging prod", "pin the images and host images staging runs into Pulumi.prod.yaml"),
            ("fleetctl rollback prod --to 1.4.1", "pin a release prod ran before"),
            (
                "fleetctl promote staging prod --canary",
                "pin staging's images as prod's canary (a share of the requests)",
            ),
            (
                "fleetctl canary status prod",
                "compare the canary with the live release: healthy, worse, not enough data",
            ),
            ("fleetctl canary finish prod", "make the canary's release the live one (or: canary abort prod)"),
            (
                "fleetctl status prod",
                "what serves each service: live, warm and canary, and what a rollback would do now",
            ),
            (
                "fleetctl watch prod --rollback",
                "watch the alarms through the warm window; on an alarm, switch back to the warm release",
            ),
            ("fleetctl retain prod", "keep the images prod runs or can roll back to from expiring"),
            ("fleetctl audit --stack prod", "report hosts and groups that differ from what was deployed"),
        ),
    ),
)
"""The help's examples: (heading, (command, what it does)...), printed in aligned columns."""


def _epilog() -> str:
    width = max(len(command) for _, examples in EXAMPLES for command, _ in examples) + 2
    sections = [
        "\n".join([heading, *(f"  {command.ljust(width)}{what}" for command, what in examples)])
        for heading, examples in EXAMPLES
    ]
    return "\n\n".join(
        [
            *sections,
            "Exit codes: 0 done, 1 findings (an invalid stack, drift, a worse canary), 2 an error, said in one line "
            "on stderr (canary status: 2 is also not enough data).",
            "Every command works from any directory with --project-dir DIR (before or after the command).\n"
            "`fleetctl COMMAND --help` lists a command's options.",
        ]
    )


def whole_number(low: int, high: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, else an error saying so (`what`: "minutes")."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number of {what} from {low} to {high}, got {text!r}")
        return value

    return parse


@functools.cache
def build_parser() -> argparse.ArgumentParser:
    """fleetctl's parser, built once per process: it is the same every time (~3 ms to build, ~450 times a run of
    the test suite, which calls `main` in-process), and parsing leaves it as it was."""
    parser = argparse.ArgumentParser(
        prog="fleetctl",
        description=DESCRIPTION,
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fleetctl {__version__}")
    _add_project_dir(parser, default=Path())
    subparsers = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", title="commands", parser_class=CommandParser
    )
    for name in COMMAND_MODULES:
        importlib.import_module(f"fleetctl.commands.{name}").add_parser(subparsers)
    return parser


class CommandParser(argparse.ArgumentParser):
    """The parser of a command, and of each of its actions (`canary status`): what follows a command or action is
    parsed by its parser alone, so each takes --project-dir too. An action's parser is of its command's parser's
    class (the `parser_class` default of `add_subparsers`), so actions get it without being listed here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # SUPPRESS keeps a value given before the command when none is given after.
        _add_project_dir(self, default=argparse.SUPPRESS)


def _add_project_dir(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=default,
        metavar="DIR",
        help="the fleet project: the directory holding Pulumi.yaml and the stack files (default: current directory)",
    )


def project_dir(args: argparse.Namespace) -> Path:
    """The project the command works on; refused when it is not a Pulumi project."""
    directory: Path = args.project_dir
    if not (directory / "Pulumi.yaml").is_file():
        raise CommandError(
            f"{directory.resolve()} holds no Pulumi.yaml: run fleetctl in the project directory or pass "
            "--project-dir DIR"
        )
    return directory


CLOSED_PIPE_EXIT = 128 + 13
"""The exit code of a command whose reader closed its output early (`| head`): 128 + SIGPIPE, as a shell reports
for a program the signal ended."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command: 0 done, 1 findings (invalid stack, drift, canary worse...), 2 an error printed as one line."""
    args = build_parser().parse_args(argv)
    try:
        try:
            code = int(args.handler(args))
        finally:
            sys.stdout.flush()  # inside the try: a closed pipe fails here, not at the interpreter's exit
        return code
    except CommandError as error:
        return _error(args, str(error))
    except AWS_ERRORS as error:
        return _error(args, aws_problem(error))
    except BrokenPipeError:
        # Whatever is still buffered can never be written: point stdout at /dev/null so that the interpreter's
        # own flush at exit does not fail again and print a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return CLOSED_PIPE_EXIT


def _error(args: argparse.Namespace, message: str) -> int:
    print(f"fleetctl {args.command}: {message}", file=sys.stderr)
    return 2
