from fonds.dossiers.diagram import DOC_PATH, render
from fonds.dossiers.states import Status


def test_docs_state_diagram_is_in_sync_with_the_model():
    assert DOC_PATH.exists(), "run: python manage.py export_state_diagram"
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/states.md is stale: run python manage.py export_state_diagram"
    )


def test_every_status_appears_in_the_diagram():
    text = render()
    for status in Status:
        assert f"    {status.value} : {status.label}" in text
    assert (
        "report_submitted --> recovery_pending : settle" in text
        and "report_submitted --> closed : settle" in text
    )
