"""fleet's packages import one way: `fleet` at the bottom, then `components` and `program`, then `fleetctl` and
`policy`, then the program's `__main__.py` and `bench`; and no module imports itself through others.

Imports are read from the source with `ast`, so one inside a function or under `if TYPE_CHECKING:` counts too: a
circle mypy sees is a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.checkout import ROOT

LAYERS = {"fleet": 0, "components": 1, "program": 1, "fleetctl": 2, "policy": 2, "__main__": 3, "bench": 3}
"""A module may import its own package and packages of a lower layer, never one of its own layer or above."""


def modules(root: Path) -> dict[str, Path]:
    """The project's modules by dotted name: every `.py` file of the layered packages, and `__main__.py`."""
    found = {"__main__": root / "__main__.py"} if (root / "__main__.py").exists() else {}
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: Mapping[str, Path]) -> Iterator[str]:
    """The project modules `name` (at `path`) imports: `from x import y` is module `x.y` when that is one, else `x`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `.` is this module's package, each further dot one package up
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        yield from (target for target in targets if target in known)


def import_graph(root: Path) -> dict[str, set[str]]:
    known = modules(root)
    return {name: set(imported(name, path, known)) - {name} for name, path in known.items()}


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Each import circle once, as the path from its smallest module back to it (a depth-first search)."""
    found: dict[frozenset[str], list[str]] = {}

    def visit(path: list[str]) -> None:
        for target in sorted(graph[path[-1]]):
            if target == path[0]:
                found.setdefault(frozenset(path), [*path, target])
            elif target not in path and target > path[0]:
                visit([*path, target])

    for start in sorted(graph):
        visit([start])
    return list(found.values())


def layer_breaches(graph: Mapping[str, set[str]]) -> list[str]:
    def layer(module: str) -> int:
        return LAYERS[module.split(".")[0]]

    return [
        f"{module} ({module.split('.')[0]}, layer {layer(module)}) imports {target} (layer {layer(target)})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if target.split(".")[0] != module.split(".")[0] and layer(target) >= layer(module)
    ]


def test_no_module_of_the_project_imports_itself_through_others() -> None:
    assert circles(import_graph(ROOT)) == []


def test_packages_import_only_their_own_modules_and_lower_layers() -> None:
    assert layer_breaches(import_graph(ROOT)) == []


def test_an_import_for_type_checking_only_closes_a_circle(tmp_path: Path) -> None:
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "service.py").write_text("from components.canary import Canary\n")
    (tmp_path / "components" / "canary.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .service import ServiceArgs\n"
    )
    assert circles(import_graph(tmp_path)) == [["components.canary", "components.service", "components.canary"]]


def test_a_lower_layer_importing_a_higher_one_breaches_the_layering(tmp_path: Path) -> None:
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "config.py").write_text("def f():\n    from fleetctl import cli\n")
    (tmp_path / "fleetctl").mkdir()
    (tmp_path / "fleetctl" / "cli.py").write_text("")
    assert layer_breaches(import_graph(tmp_path)) == ["fleet.config (fleet, layer 0) imports fleetctl.cli (layer 2)"]
