"""What the front-office pages after submission share: the dossier read, the allowed transitions,
the draft builder's links, the error summary, a PDF answer."""

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


def errors_summary(*forms_or_formsets) -> list[dict]:
    """``[{"id", "label", "message"}]`` of every error, for the error summary at the top of a page."""
    out = []

    def of_form(form, prefix_label=""):
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else None
            for error in errors:
                label = f"{prefix_label}{field.label}" if field is not None else prefix_label.rstrip(" —")
                out.append(
                    {"id": field.auto_id if field is not None else "", "label": label, "message": error}
                )

    for item in forms_or_formsets:
        if item is None:
            continue
        if hasattr(item, "forms"):
            noun = getattr(item, "noun", "Ligne")
            for i, form in enumerate(item.forms, start=1):
                of_form(form, f"{noun} {i} — ")
            for error in item.non_form_errors():
                out.append({"id": "", "label": "", "message": error})
        else:
            of_form(item)
    return out


def pdf_response(request, file, *, filename: str) -> FileResponse:
    """The PDF inline, or as a download with ``?telecharger=1``."""
    download = bool(request.GET.get("telecharger"))
    return private_file(
        file, content_type="application/pdf", as_attachment=download, filename=filename, csp=None
    )
