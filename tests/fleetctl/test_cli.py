"""`fleetctl` is a command: installed as a console script, with a version, a help for users, `--project-dir`."""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from fleetctl import __version__
from fleetctl.cli import COMMAND_MODULES, build_parser, main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed_fleetctl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install --no-deps -e .` of this project into a new virtualenv: the path of its `fleetctl`.

    Installed from a copy of what the package holds, so that the build's `fleet.egg-info` stays out of the checkout.
    """
    source = tmp_path_factory.mktemp("source")
    shutil.copy(REPO / "pyproject.toml", source)
    for package in ("fleet", "fleetctl"):
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path_factory.mktemp("venv")
    # Without a pip of its own (ensurepip takes seconds): the pip of the environment running the tests installs into
    # it (`--python`), as the venv's own would.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    # The dependencies (and setuptools, wheel) are those of the environment running the tests: no download.
    (
        venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "parent.pth"
    ).write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet"),
            *("--no-deps", "--no-index", "--no-build-isolation", "-e", source),
        ],
        check=True,
        capture_output=True,
    )
    return venv / "bin" / "fleetctl"


def run_installed(command: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run([command, *args], cwd=cwd, env=environment, capture_output=True, text=True, check=False)


def test_pip_install_puts_a_fleetctl_command_in_the_virtualenv(installed_fleetctl, tmp_path):
    result = run_installed(installed_fleetctl, "--version", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"fleetctl {__version__}\n"


def test_installed_fleetctl_plans_a_stack_from_another_directory(installed_fleetctl, tmp_path):
    result = run_installed(installed_fleetctl, "--project-dir", REPO, "plan", "staging", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "  capacity:       min 2, desired 2, max 6" in result.stdout


def test_python_m_fleetctl_runs_the_same_command(tmp_path):
    environment = {**os.environ, "PYTHONPATH": str(REPO)}

    result = subprocess.run(
        [sys.executable, "-m", "fleetctl", "--version"], cwd=tmp_path, env=environment, capture_output=True, text=True
    )

    assert result.stdout == f"fleetctl {__version__}\n"


def test_the_version_is_the_projects(installed_fleetctl):
    metadata = subprocess.run(
        [installed_fleetctl.parent / "python", "-c", "import importlib.metadata as m; print(m.version('fleet'))"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert metadata.stdout.strip() == __version__


def test_help_names_every_command_with_what_it_is_for_and_examples():
    help_text = build_parser().format_help()

    for module in COMMAND_MODULES:
        command = module.replace("_", "-")
        assert re.search(rf"^    {command} +\S", help_text, flags=re.MULTILINE), f"{command} has no help line"
    assert "fleetctl check staging" in help_text
    assert "fleetctl plan staging" in help_text
    assert "--project-dir DIR" in help_text


def test_help_speaks_of_stacks_not_of_modules():
    help_text = build_parser().format_help()

    assert not re.search(r"module|handler|sub-command|add_parser", help_text)


@pytest.mark.parametrize("before_the_command", [True, False])
def test_project_dir_is_honoured_before_or_after_the_command(project, capsys, before_the_command):
    option = ["--project-dir", str(project.root)]

    code = main([*option, "check", "staging"] if before_the_command else ["check", "staging", *option])

    assert code == 0
    assert capsys.readouterr().out.startswith("Pulumi.staging.yaml: OK")


@pytest.mark.parametrize("command", ["check staging", "canary status prod", "canary finish prod"])
def test_project_dir_after_a_command_or_its_action_is_the_one_used(tmp_path, command):
    args = build_parser().parse_args(["--project-dir", "elsewhere", *command.split(), "--project-dir", str(tmp_path)])

    assert args.project_dir == tmp_path


def test_a_directory_that_is_no_pulumi_project_is_refused_naming_the_option(tmp_path, capsys):
    code = main(["--project-dir", str(tmp_path), "check", "staging"])

    assert code == 2
    assert capsys.readouterr().err == (
        f"fleetctl check: {tmp_path.resolve()} holds no Pulumi.yaml: run fleetctl in the project directory or pass "
        "--project-dir DIR\n"
    )


def test_the_readmes_try_it_locally_commands_run_on_the_repository(capsys):
    section = (REPO / "README.md").read_text().split("## Try it locally", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\.venv/bin/fleetctl ((?:check|plan) staging)\b", section, flags=re.MULTILINE)

    codes = [main(["--project-dir", str(REPO), *command.split()]) for command in commands]

    assert commands == ["check staging", "plan staging"]
    assert codes == [0, 0]


def epilog_examples(help_text: str) -> list[str]:
    """The example lines of the help: `  fleetctl ...`, the command then what it does."""
    return [line for line in help_text.splitlines() if line.startswith("  fleetctl ")]


def test_the_help_examples_describe_each_command_in_one_aligned_column():
    examples = epilog_examples(build_parser().format_help())

    columns = {re.match(r"  fleetctl .*?\S  +(?=\S)", line).end() for line in examples}  # type: ignore[union-attr]
    assert len(examples) > 5
    assert len(columns) == 1


def test_the_help_suggests_host_images_for_the_stack_that_builds_not_a_promoted_one():
    examples = epilog_examples(build_parser().format_help())

    assert any(line.startswith("  fleetctl host-image staging ") for line in examples)
    assert not any(line.startswith("  fleetctl host-image prod") for line in examples)
