"""The name a person's browser saves a generated document under is French, never a code."""

import re

from fonds.documents.models import GeneratedDocument


def test_generated_document_file_names_are_french():
    names = {
        kind: GeneratedDocument(kind=kind).download_name("FJJ-2026-000042")
        for kind in GeneratedDocument.Kind.values
    }
    assert names["decision_letter"] == "lettre-decision-FJJ-2026-000042.pdf"
    assert names["minutes"] == "proces-verbal-FJJ-2026-000042.pdf"
    assert names["receipt"] == "recepisse-FJJ-2026-000042.pdf"
    for name in names.values():
        assert "_" not in name and re.fullmatch(r"[a-z-]+-FJJ-2026-000042\.pdf", name), name
