import pytest
from django.core.files.base import ContentFile
from django.http import Http404

from fonds.ui.files import FRAMED_BY_THIS_SITE, inline_document, private_file


def test_private_file_sets_only_the_headers_asked_for():
    response = private_file(
        ContentFile(b"%PDF-1.4"), content_type="application/pdf", filename="a.pdf", as_attachment=True
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].startswith("attachment")
    bare = private_file(
        ContentFile(b"x"),
        content_type="application/pdf",
        filename="b.pdf",
        as_attachment=False,
        csp=None,
        no_store=False,
    )
    assert "Content-Security-Policy" not in bare and "Cache-Control" not in bare


class _Doc:
    def __init__(self, content_type):
        self.content_type = content_type
        self.file = ContentFile(b"<p>", name="docs/x.html")


def test_inline_document_is_a_404_unless_pdf_or_image():
    with pytest.raises(Http404):
        inline_document(None, missing="Pièce introuvable.")
    with pytest.raises(Http404):
        inline_document(_Doc("text/html"), missing="Pièce introuvable.")
    response = inline_document(_Doc("application/pdf"), missing="Pièce introuvable.")
    assert response["Content-Security-Policy"] == FRAMED_BY_THIS_SITE
    assert (
        response["Content-Disposition"].startswith("inline")
        and 'filename="x.html"' in response["Content-Disposition"]
    )
