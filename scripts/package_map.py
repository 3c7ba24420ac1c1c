"""Draw docs/packages.md: the packages of fonds/ and workflows/, their layers and the imports
between them, measured from the code (imports inside functions included).

The layers come from pyproject.toml's import-linter contracts, which `make lint` enforces; this
page is their picture. `python scripts/package_map.py` rewrites it, `--check` says whether the
committed page is current (scripts/test_package_map.py runs it). Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "packages.md"
HEADER = "<!-- Généré par « python scripts/package_map.py » : ne pas modifier à la main. -->"


def layers(pyproject: Path = ROOT / "pyproject.toml") -> list[list[str]]:
    """The layers contract of pyproject.toml, top first, each a list of module names."""
    contracts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["type"] == "layers"]
    return [[name.strip() for name in layer.split(":")] for layer in contract["layers"]]


def unit_of(module: str, units: list[str]) -> str | None:
    """The drawn unit (a layer member, or ``workflows``) a dotted module name belongs to."""
    for unit in sorted(units, key=len, reverse=True):
        if module == unit or module.startswith(unit + "."):
            return unit
    return None


def module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def imports_of(path: Path) -> set[str]:
    """Dotted names a module imports anywhere in its body (relative imports resolved)."""
    name, is_package = module_name(path)
    package = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def measured_edges(units: list[str]) -> dict[str, set[str]]:
    """``{unit: units it imports}`` over every module of fonds/ and workflows/."""
    edges: dict[str, set[str]] = defaultdict(set)
    for top in ("fonds", "workflows"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = unit_of(module_name(path)[0], units)
            if source is None:
                continue
            for target in {unit_of(name, units) for name in imports_of(path)} - {None, source}:
                edges[source].add(target)
    return edges


def node_id(unit: str) -> str:
    return unit.replace(".", "_")


def label(unit: str) -> str:
    return unit.removeprefix("fonds.")


def render() -> str:
    stack = layers()
    units = ["workflows"] + [unit for layer in stack for unit in layer]
    edges = measured_edges(units)
    lines = [
        HEADER,
        "",
        "# Packages and their allowed imports",
        "",
        "Each box is a layer of `pyproject.toml`'s import-linter contract (`make lint`, "
        "`tests/test_architecture.py`): an arrow means « may import ». A package imports the "
        "packages of its own layer and of the layers below it, never above; `fonds` never imports "
        "`workflows`, which drives the dossier through `fonds.dossiers.services.perform`. The table "
        "gives the imports measured in the code today (imports inside functions included).",
        "",
        "```mermaid",
        "flowchart TB",
        "  workflows[workflows]",
    ]
    for number, layer in enumerate(stack):
        lines.append(f'  subgraph L{number}["couche {number + 1}"]')
        lines.append("    direction LR")
        lines.extend(f"    {node_id(unit)}[{label(unit)}]" for unit in layer)
        lines.append("  end")
    lines.append("  workflows --> L0")
    lines.extend(f"  L{number} --> L{number + 1}" for number in range(len(stack) - 1))
    lines += ["```", "", "| layer | packages | imports (measured) |", "|---|---|---|"]
    lines.append(
        "| process | `workflows` | " + ", ".join(f"`{label(t)}`" for t in sorted(edges["workflows"])) + " |"
    )
    for number, layer in enumerate(stack):
        for unit in layer:
            targets = ", ".join(f"`{label(t)}`" for t in sorted(edges.get(unit, ()))) or "—"
            lines.append(f"| {number + 1} | `{label(unit)}` | {targets} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/packages.md is stale")
    args = parser.parse_args(argv)
    page = render()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != page:
            print("docs/packages.md n'est pas à jour : python scripts/package_map.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"écrit {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
