"""The pages under docs/ stay true: the generated ones are current, and what they document is what the code does."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from fleet import reference
from fleetctl.simulation import qualified, reset_runtime, run_program, run_update
from tests.checkout import ROOT, stack_file


def expected_pages() -> dict[str, str]:
    from docs import generate

    return {str(path.relative_to(ROOT)): text for path, text in generate.expected_pages().items()}


def test_every_generated_page_and_sample_is_what_docs_generate_writes_now():
    stale = [page for page, text in expected_pages().items() if (ROOT / page).read_text() != text]

    assert stale == [], "stale: run .venv/bin/python docs/generate.py"


def test_the_index_links_every_page_under_docs():
    index = (ROOT / "docs" / "index.md").read_text()

    assert [page.name for page in sorted((ROOT / "docs").glob("*.md")) if f"]({page.name})" not in index] == [
        "index.md"
    ]


def test_every_configuration_key_kind_rule_and_output_has_a_description():
    assert [str(missing) for missing in reference.missing_descriptions()] == []


def test_the_configuration_reference_lists_every_key_of_every_table_under_its_mapping():
    from fleet.config import SERVICE

    sections = {section.path: section for section in reference.sections()}

    assert [row.key for row in sections["fleet:services.<name>"].rows] == list(SERVICE.names)
    assert set(sections) >= {
        "fleet",
        "fleet:services.<name>.capacity",
        "fleet:services.<name>.canary.image",
        "fleet:network",
        "fleet:tls",
    }


def test_a_key_without_a_docstring_is_reported_missing_naming_where_to_write_it():
    from dataclasses import dataclass

    from fleet.schema import Key, Schema, Whole

    @dataclass(frozen=True)
    class Undocumented:
        count: int = 1

    found: list[reference.Section] = []
    missing: list[reference.Missing] = []
    reference._walk("fleet:sample", Schema(Undocumented, (Key("count", Whole(1, 9)),)), "", {}, found, missing)

    assert [str(item) for item in missing] == ["fleet:sample.count: what it does: a docstring on Undocumented.count"]


def test_the_example_stack_file_of_the_reference_is_valid():
    import yaml

    from fleet.config import fleet_keys, parse_config

    config = parse_config(fleet_keys(yaml.safe_load(reference.EXAMPLE)["config"]), "staging")

    assert [service.name for service in config.services] == ["web"]
    assert config.tls is not None


def test_the_error_sample_of_the_reference_names_both_problems():
    sample = reference.error_sample()

    assert "fleet:services.web.instanceTyp: unknown key" in sample
    assert "fleet:services.web.capacity: min (3) must not exceed desired (2)" in sample


def test_a_check_a_key_declares_that_the_reference_does_not_render_is_reported_missing():
    from dataclasses import dataclass

    from fleet.schema import Key, Schema, Whole

    @dataclass(frozen=True)
    class Timed:
        timeout: int = 1
        """Seconds."""

    key = Key("timeout", Whole(1, 9))
    key.below = "interval"  # type: ignore[attr-defined]
    missing: list[reference.Missing] = []
    reference._walk("fleet:sample", Schema(Timed, (key,)), "", {}, [], missing)

    assert [str(item) for item in missing] == [
        "fleet:sample.timeout: Key.below is not rendered: teach fleet/reference.py to say it"
    ]


def test_a_kind_without_an_allowed_text_is_described_by_its_docstring_summary():
    from fleet.schema import Kind

    class Shaped(Kind):
        """A value of some shape.

        How it is parsed, for the code's readers."""

    assert reference.allowed(Shaped()) == "A value of some shape."


def test_a_table_cell_keeps_placeholders_and_wildcards_visible_outside_code():
    assert reference.one_line("arn:aws:sns:<region>, FLEET_*, `<repo>@sha256`\n| x") == (
        "arn:aws:sns:\\<region\\>, FLEET_\\*, `<repo>@sha256` \\| x"
    )


def test_defaults_in_the_reference_are_the_dataclass_defaults():
    from fleet.config_types import ServiceConfig

    rows = {row.key: row for row in reference.sections()[1].rows}
    service = ServiceConfig(name="x", image=None, host_image="ami-0")  # type: ignore[arg-type]

    assert rows["instanceType"].default == f"`{service.instance_type}`"
    assert rows["drainSeconds"].default == f"`{service.drain_seconds}`"
    assert rows["capacity"].default == "`{min: 2, desired: 2, max: 6}`"
    assert rows["hostImage"].default == "required"


def _documented_outputs() -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", (ROOT / "docs" / "outputs.md").read_text(), flags=re.MULTILINE))


def _paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of an output value: objects by key, the objects of a list under `[]`, services as `<name>`."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{'<name>' if prefix == 'services' else key}" if prefix else key
            if prefix != "dns.hostnames":  # the service by hostname: keys of the user's, not of the schema
                found |= (set() if prefix == "services" else {path}) | _paths(item, path)
    elif isinstance(value, list):
        for item in value:
            found |= _paths(item, f"{prefix}[]")
    return found


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """Every output key path staging (with a registry consumer, a DNS zone and a managed certificate; then a release
    that leaves the first one warm) and prod (with a canary) export under the mocks."""
    prod, staging = stack_file("prod"), stack_file("staging")
    staging["fleet:registry"] = {"consumers": [{"account": "210987654321", "region": "us-east-1"}]}
    staging["fleet:dns"] = {"zoneId": "Z08393152MPN1", "zoneName": "example.com"}
    staging["fleet:tls"] = {}
    staging["fleet:services"]["web"]["hostnames"] = ["www.example.com"]
    web = prod["fleet:services"]["web"]
    canary_ref = web["image"]["ref"].split("@")[0] + "@sha256:" + "c" * 64
    web["canary"] = {"image": {"version": "9.9.9", "ref": canary_ref}}
    entries = [
        {"releaseId": "0123456789ab", "version": version, "imageRef": ref}
        for version, ref in (("1.0.0", web["image"]["ref"]), ("9.9.9", canary_ref))
    ]
    source = {"services": {"web": {"release": entries[0], "history": entries}}}
    released = copy.deepcopy(staging)
    released["fleet:services"]["web"]["image"]["version"] = "1.0.1"
    try:
        first = run_program("staging", staging, project_root=ROOT)
        reset_runtime()
        runs = [
            first,
            run_update("staging", released, first, project_root=ROOT),
            run_program("prod", prod, stack_outputs={qualified("staging"): source}, project_root=ROOT),
        ]
    finally:
        reset_runtime()
    return {path for run in runs for path in _paths(run.outputs)}


def test_the_outputs_page_documents_exactly_what_the_program_exports(exported):
    promotion = {path for path in exported if path.startswith("promotion.")}

    assert {"stack", "loadBalancerDns", "services.<name>.history[].releaseId"} <= exported
    assert _documented_outputs() == exported - promotion


def test_the_outputs_page_names_each_key_of_the_promotion_output(exported):
    row = next(
        line for line in (ROOT / "docs" / "outputs.md").read_text().splitlines() if line.startswith("| `promotion`")
    )
    named = re.search(r"`\{([^}]+)\}`", row)

    assert named is not None
    assert {f"promotion.{key.strip()}" for key in named[1].split(",")} == {
        path for path in exported if path.startswith("promotion.")
    }


def test_the_outputs_page_says_history_holds_the_live_release():
    row = next(
        line for line in (ROOT / "docs" / "outputs.md").read_text().splitlines() if "`services.<name>.history`" in line
    )

    assert "the live one included" in row


def test_a_page_another_change_adds_under_docs_is_listed_once_it_exists(tmp_path, monkeypatch):
    from docs import generate

    (tmp_path / "operations.md").write_text("# Operations\n")
    (tmp_path / "topology.md").write_text("# Production topology\n")
    (tmp_path / "zebra.md").write_text("# Zebra crossings\n")
    monkeypatch.setattr(generate, "DOCS", tmp_path)

    assert generate.readme_pages().splitlines()[2:] == [
        f"| [docs/operations.md](docs/operations.md) | {generate.QUESTIONS['operations.md']} |",
        f"| [docs/topology.md](docs/topology.md) | {generate.QUESTIONS['topology.md']} |",
        "| [docs/zebra.md](docs/zebra.md) | Zebra crossings |",
        "| [docs/index.md](docs/index.md) | every page |",
    ]


def test_the_code_layout_in_internals_names_every_module():
    layout = (ROOT / "docs" / "internals.md").read_text().split("## Code layout", 1)[1]
    modules = [
        path.relative_to(ROOT)
        for package in ("fleet", "components", "program", "fleetctl", "policy")
        for path in sorted((ROOT / package).glob("*.py"))
        if path.stem != "__init__"
    ]

    assert [str(path) for path in modules if f"`{path.stem}" not in layout] == []


def test_every_output_the_program_exports_is_one_the_outputs_page_lists():
    import ast

    from fleet import outputs

    program = ast.parse((ROOT / "__main__.py").read_text())
    exported = {
        node.args[0].id
        for node in ast.walk(program)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "export"
        and isinstance(node.args[0], ast.Name)
    }

    assert {"STACK", "SERVICES"} <= exported
    assert sorted(exported - set(reference.TOP_LEVEL_OUTPUTS)) == []
    assert all(isinstance(getattr(outputs, name), str) for name in reference.TOP_LEVEL_OUTPUTS)
