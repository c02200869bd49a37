"""The `python -m fleetctl` entry point: one sub-command per module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines `add_parser(subparsers)`, which registers its sub-command and sets `handler`
# (a function of the parsed arguments returning the exit code).
COMMAND_MODULES = ("promote", "rollback", "diff", "audit", "host_image")


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit code 2, no traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleetctl", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"fleetctl.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as error:
        print(f"fleetctl {args.command}: {error}", file=sys.stderr)
        return 2
