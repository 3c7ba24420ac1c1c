"""docs/packages.md is the picture of today's code (scripts/package_map.py)."""

from __future__ import annotations

import package_map


def test_packages_page_is_current():
    assert package_map.main(["--check"]) == 0, "python scripts/package_map.py"


def test_every_layer_member_is_drawn_with_its_measured_imports():
    page = package_map.render()
    for layer in package_map.layers():
        for unit in layer:
            assert f"| `{package_map.label(unit)}` |" in page
    assert "| 2 | `web` |" in page and "`dossiers`" in page.split("| 2 | `web` |")[1].splitlines()[0]


def test_an_import_inside_a_function_counts(tmp_path, monkeypatch):
    module = tmp_path / "fonds" / "clock.py"
    module.parent.mkdir()
    module.write_text("def later():\n    from fonds.web import views\n", encoding="utf-8")
    monkeypatch.setattr(package_map, "ROOT", tmp_path)
    assert package_map.measured_edges(["fonds.clock", "fonds.web"]) == {"fonds.clock": {"fonds.web"}}
