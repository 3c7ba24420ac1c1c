"""The complete dossier PDF, per audience: one page that serves the PDF once ready, or shows its
progress (and the button that asks for it), and the JSON its progress display polls. Thin over
``complete``; who may have which version: ``audiences.READERS``, then ``get_visible_or_404``
(a committee member recused on the dossier does not see it)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from fonds.dossiers.access import get_visible_or_404
from fonds.ui.files import private_file
from fonds.ui.progress import READY, document_progress_context, document_status_response

from . import complete
from .audiences import Audience, may_read

WHAT = "le dossier complet"


def _url(name: str, dossier_pk: int, audience: Audience) -> str:
    return reverse(f"proof:{name}-{audience.value}", args=[dossier_pk])


def _refused(request, audience: Audience):
    return render(
        request,
        "proof/forbidden.html",
        {"title": "Accès réservé", "audience": audience},
        status=403,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def complete_pdf(request, pk, audience):
    """GET: the PDF of the dossier's current version once made, else its progress page.
    POST: ask for it (outbox), then back to the page."""
    audience = Audience(audience)
    if not may_read(request.user, audience):
        return _refused(request, audience)
    dossier = get_visible_or_404(request.user, pk)
    if request.method == "POST":
        complete.request(dossier, audience)
        return redirect(_url("complete", dossier.pk, audience))
    progress = complete.progress(dossier.pk, audience)
    if progress.state == READY:
        return private_file(
            progress.document.file,
            content_type="application/pdf",
            as_attachment=False,
            filename=f"dossier-complet-{dossier.reference}-{audience.value}.pdf",
            no_store=True,
        )
    page_url = _url("complete", dossier.pk, audience)
    context = {
        "title": f"Dossier complet {dossier.reference}",
        "dossier": dossier,
        "audience": audience,
        "action_url": page_url,
        **document_progress_context(
            progress,
            what=WHAT,
            status_url=_url("complete-status", dossier.pk, audience),
            download_url=page_url,
            download_label="Télécharger le dossier complet (PDF)",
        ),
    }
    return render(request, "proof/complete.html", context)


@login_required
@require_GET
def complete_status(request, pk, audience):
    audience = Audience(audience)
    if not may_read(request.user, audience):
        return _refused(request, audience)
    dossier = get_visible_or_404(request.user, pk)
    return document_status_response(
        complete.progress(dossier.pk, audience),
        what=WHAT,
        download_url=_url("complete", dossier.pk, audience),
    )
