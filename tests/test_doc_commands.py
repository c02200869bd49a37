"""Every command the README and docs/ tell a reader to run is one its tool accepts, and every link resolves.

A command is a line of a `sh`, `console` or unlabelled fenced block, or an inline `.venv/bin/fleetctl ...` span.
Each is checked against what defines it: fleetctl's own parser (optional `[...]` parts with and without), the
Pulumi CLI's commands and flags (`tests/pulumi_cli.py`), botocore's API models for `aws`, `git`'s own usage text.
The set-up commands are run by tests/test_readme.py, the lock commands are checked by tests/test_dependency_locks.py,
and what `docs/generate.py` writes by tests/test_docs.py.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from fleetctl.cli import build_parser
from tests.checkout import ROOT
from tests.pulumi_cli import COMMANDS as PULUMI_COMMANDS
from tests.test_dependency_locks import LOCKS, regenerate_command
from tests.test_readme import setup_commands

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
COMMAND_BLOCKS = {"sh", "console", ""}
SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")


@dataclass(frozen=True)
class Command:
    where: str
    """`page:line`."""
    line: str
    """The whole line, as written (continuations joined)."""
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: {' '.join(self.argv)}"


def _lines(page: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of every command line of a page: fenced command blocks, then inline fleetctl spans."""
    text = page.read_text()
    for block in FENCE.finditer(text):
        if block[1] not in COMMAND_BLOCKS:
            continue
        first = text.count("\n", 0, block.start(2)) + 1
        joined = block[2].replace("\\\n", "  ")
        numbers = [first + index for index, line in enumerate(block[2].splitlines()) if not line.endswith("\\")]
        yield from zip(numbers, joined.splitlines(), strict=True)
    for number, line in enumerate(FENCE.sub("", text).splitlines(), start=1):
        for span in re.findall(r"`(\.venv/bin/fleetctl [^`]+)`", line):
            yield number, span


def doc_commands() -> list[Command]:
    commands = []
    for page in PAGES:
        for number, line in _lines(page):
            where = f"{page.relative_to(ROOT)}:{number}"
            texts = [*SUBSTITUTION.findall(line), SUBSTITUTION.sub("SUBSTITUTED", line)]
            for text in texts:
                words = shlex.split(text, comments=True)
                while words:
                    end = words.index("&&") if "&&" in words else len(words)
                    commands.append(Command(where, line, tuple(words[:end])))
                    words = words[end + 1 :]
    return commands


def _without_options(argv: tuple[str, ...]) -> list[str]:
    """The command with every optional `[...]` part left out."""
    kept, depth = [], 0
    for word in argv:
        opened = depth + word.count("[")
        if opened == 0:
            kept.append(word)
        depth = opened - word.count("]")
    return kept


def _with_options(argv: tuple[str, ...]) -> list[str]:
    """The command with every optional part given (the first of `a|b`)."""
    return [word.replace("[", "").replace("]", "").split("|")[0] for word in argv]


def check_fleetctl(command: Command) -> None:
    for argv in (_without_options(command.argv), _with_options(command.argv)):
        errors = io.StringIO()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
                build_parser().parse_args(argv[1:])
            code = 0
        except SystemExit as exit_:  # argparse exits: 0 after --help, 2 on an argument it refuses
            code = exit_.code
        assert code == 0, f"fleetctl refuses {' '.join(argv)}: {errors.getvalue().strip()}"


def check_pulumi(command: Command) -> None:
    words = [word for word in command.argv[1:] if not word.startswith("-")]
    known = [path for path in PULUMI_COMMANDS if tuple(words[: len(path)]) == path]
    assert known, f"pulumi {' '.join(words[:2])} is not in tests/pulumi_cli.py"
    flags = {word.split("=")[0] for word in command.argv if word.startswith("--")}
    assert flags <= PULUMI_COMMANDS[max(known, key=len)], (
        f"unknown flags {flags - PULUMI_COMMANDS[max(known, key=len)]}"
    )


AWS_GLOBAL_OPTIONS = {"--query", "--output", "--region", "--profile", "--no-cli-pager"}


@cache
def _aws_operations(service: str) -> dict[str, set[str]]:
    """The CLI name of each operation of a service, with the CLI names of its input parameters."""
    model = botocore.session.get_session().get_service_model(service)
    operations = {}
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        members = set(shape.members) if shape else set()
        operations[xform_name(name, "-")] = {f"--{xform_name(member, '-')}" for member in members}
    return operations


def check_aws(command: Command) -> None:
    service, operation = command.argv[1], command.argv[2]
    parameters = _aws_operations(service).get(operation)
    assert parameters is not None, f"aws {service} has no operation {operation}"
    options = {word for word in command.argv if word.startswith("--")}
    assert options <= parameters | AWS_GLOBAL_OPTIONS, f"unknown options {options - parameters - AWS_GLOBAL_OPTIONS}"
    files = [word.removeprefix("file://") for word in command.argv if word.startswith("file://")]
    assert [path for path in files if not (ROOT / path).is_file()] == []


def check_git(command: Command) -> None:
    subcommand = command.argv[1]
    shown = subprocess.run(["git", subcommand, "-h"], cwd=ROOT, capture_output=True, text=True, check=False)
    usage = shown.stdout + shown.stderr
    options = [word for word in command.argv[2:] if word.startswith("-")]
    flags = [option for option in options if option.startswith("--")]
    flags += [f"-{letter}" for option in options if not option.startswith("--") for letter in option[1:]]
    unknown = [flag for flag in flags if not re.search(rf"(?:^|[\s,\[]){re.escape(flag)}(?:[\s,=\[\]]|$)", usage, re.M)]
    assert f"git {subcommand}" in usage
    assert unknown == [], f"git {subcommand} has no {unknown}"


def check_generator(command: Command) -> None:
    from docs import generate

    assert command.argv[1] == "docs/generate.py"
    generate.build_parser().parse_args(list(command.argv[2:]))


def check_setup(command: Command) -> None:
    assert command.line in setup_commands(), "only the README's set-up commands install; tests/test_readme.py runs them"


def check_lock(command: Command) -> None:
    assert command.line.removeprefix(".venv/bin/") in {regenerate_command(ROOT / lock) for lock in LOCKS.values()}


CHECKS: dict[str, Callable[[Command], None]] = {
    ".venv/bin/fleetctl": check_fleetctl,
    "pulumi": check_pulumi,
    "aws": check_aws,
    "git": check_git,
    "python3": check_setup,
    ".venv/bin/pip": check_setup,
    ".venv/bin/pytest": check_setup,
    ".venv/bin/uv": check_lock,
    ".venv/bin/python": check_generator,
}


@pytest.mark.parametrize("command", doc_commands(), ids=str)
def test_each_documented_command_is_accepted_by_its_tool(command):
    assert command.argv[0] in CHECKS, f"no check for {command.argv[0]}: add one to tests/test_doc_commands.py"

    CHECKS[command.argv[0]](command)


def test_the_docs_commands_include_each_kind_that_is_checked():
    assert {command.argv[0] for command in doc_commands()} == set(CHECKS)


@pytest.mark.parametrize(
    "argv",
    [
        ".venv/bin/fleetctl promote staging prod --no-such-option",
        ".venv/bin/fleetctl canary status",
        "pulumi stack init staging --no-such-flag",
        "aws iam create-role --role-name x --no-such-parameter y",
        "aws iam create-role --role-name x --assume-role-policy-document file://iam/no-such-file.json",
        "git commit -Z",
    ],
)
def test_a_command_its_tool_would_refuse_is_refused(argv):
    command = Command("sample", argv, tuple(shlex.split(argv)))

    with pytest.raises(AssertionError):
        CHECKS[command.argv[0]](command)


def slugs(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", FENCE.sub("", page.read_text()), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug if slug not in found else f"{slug}-1")
    return found


def links() -> list[tuple[str, str]]:
    """(page, target) of every relative link of the README and docs/."""
    found = []
    for page in PAGES:
        text = FENCE.sub("", page.read_text())
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if not re.match(r"[a-z]+:", target):
                found.append((str(page.relative_to(ROOT)), target))
    return found


@pytest.mark.parametrize(("page", "target"), links(), ids=[f"{page}->{target}" for page, target in links()])
def test_each_link_names_a_file_and_heading_that_exist(page, target):
    path, _, anchor = target.partition("#")
    file = (ROOT / page).parent / path if path else ROOT / page

    assert file.is_file()
    assert not anchor or anchor in slugs(file)


def test_the_readme_and_docs_run_fleetctl_as_the_installed_command_only():
    written = {str(page.relative_to(ROOT)): page.read_text() for page in PAGES}

    assert [page for page, text in written.items() if re.search(r"python3? -m fleetctl", text)] == []
