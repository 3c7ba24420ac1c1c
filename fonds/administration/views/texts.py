"""The document texts screen: edit, preview as a PDF (nothing saved), then save (audited)."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from fonds.ui.submit import submitted

from .. import texts
from ..forms import TextsForm
from .common import area, campaign_or_404, campaign_url, page, read_only


@area
@require_http_methods(["GET", "POST"])
def texts_page(request, pk):
    campaign = campaign_or_404(pk)
    status = 200
    if request.method == "POST":
        form = TextsForm(request.POST, preview=request.POST.get("action") == "preview")
        if request.POST.get("action") == "preview":
            if form.is_valid():
                pdf = texts.preview_pdf(campaign, form.cleaned_data)
                answer = HttpResponse(pdf, content_type="application/pdf")
                answer["Content-Disposition"] = f'inline; filename="apercu-textes-campagne-{campaign.pk}.pdf"'
                return answer
            status = 400
        else:
            answer, status = submitted(
                request,
                form,
                lambda: texts.save_texts(
                    campaign, form.cleaned_data, by=request.user, motivation=form.cleaned_data["motivation"]
                ),
                then=campaign_url(campaign),
                success=lambda row: "Les textes des documents de la campagne sont enregistrés.",
            )
            if answer:
                return answer
    else:
        form = TextsForm(initial=texts.texts_for(campaign))
    if not request.is_admin:
        read_only(form)
    return page(
        request,
        "administration/texts.html",
        f"Textes des documents — {campaign.name}",
        campaign=campaign,
        form=form,
        documents=texts.DOCUMENTS,
        status=status,
    )
