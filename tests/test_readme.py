"""The README's two commands stay true: CI runs exactly the test command a newcomer is told to run."""

from __future__ import annotations

import re

from tests.checkout import ROOT


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_gives_an_install_and_run_command_then_a_test_command():
    install_and_run, test = readme_commands()[:2]

    assert install_and_run.endswith("pulumi up --stack staging")
    assert test.endswith(".venv/bin/pytest")


def test_ci_runs_the_readmes_test_command_verbatim():
    test_command = readme_commands()[1]

    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_documents_every_service_key():
    from fleet.config import SERVICE_KEYS

    readme = (ROOT / "README.md").read_text()

    assert [key for key in SERVICE_KEYS if f"`{key}" not in readme] == []
