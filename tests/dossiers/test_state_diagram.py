"""What is generated from the dossier model stays in step with it: docs/states.md and the migrations."""

import io

import pytest
from django.core.management import call_command

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


@pytest.mark.django_db
def test_dossier_tables_are_the_ones_the_model_declares():
    """The dossier, its budget lines, documents, correction requests and messages are stored as
    their models declare (lengths, nullability, defaults, validators): no change without its migration."""
    out = io.StringIO()
    try:
        call_command("makemigrations", "dossiers", check=True, dry_run=True, stdout=out, verbosity=1)
    except SystemExit:
        pytest.fail(f"fonds/dossiers/models.py differs from its migrations:\n{out.getvalue()}")
