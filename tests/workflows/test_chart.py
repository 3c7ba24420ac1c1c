"""docs/flow.svg and docs/flow.md are generated from workflows/flows.py and must stay in sync."""

import pytest

from workflows import chart


@pytest.mark.parametrize("path", sorted(chart.outputs()), ids=lambda p: p.name)
def test_committed_chart_is_up_to_date(path):
    expected = chart.outputs()[path]
    current = path.read_text(encoding="utf-8") if path.exists() else None
    assert current == expected, f"{path.name} n'est plus à jour : run python manage.py export_flow_chart"


def test_chart_shows_every_node():
    from workflows.flows import DossierFlow

    svg = chart.render_svg()
    markdown = chart.render_markdown()
    for node in DossierFlow.instance.nodes():
        assert f'id="{node.name}"' in svg
        assert node.name in markdown or node.name.upper() in markdown


def test_export_command_writes_the_files(tmp_path):
    from django.core.management import call_command

    call_command("export_flow_chart", output_dir=tmp_path, verbosity=0)
    for path, content in chart.outputs().items():
        assert (tmp_path / path.name).read_text(encoding="utf-8") == content
