"""What the front-office pages after submission share: the dossier read, the allowed transitions,
the draft builder's links, a PDF answer."""

from __future__ import annotations

from django.http import FileResponse

from fonds.dossiers import services
from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.dossiers.models import Dossier
from fonds.ui.files import private_file


def dossier_of(request, pk) -> Dossier:
    return get_visible_or_404(
        request.user,
        pk,
        visible_dossiers(request.user).select_related("campaign", "commune", "jumelage__partner"),
    )


def allowed_actions(dossier, user) -> set[str]:
    return {a["name"] for a in services.available_transitions(dossier, user)}


def pdf_response(request, file, *, filename: str) -> FileResponse:
    """The PDF inline, or as a download with ``?telecharger=1``."""
    download = bool(request.GET.get("telecharger"))
    return private_file(
        file, content_type="application/pdf", as_attachment=download, filename=filename, csp=None
    )
