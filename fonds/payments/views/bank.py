"""Finance pages of the communes' bank details: the list to certify, certification against the RIB
shown inline, motivated rejection."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from fonds.ui.files import inline_document

from .. import queries
from ..bank import certify_bank_details, reject_bank_details
from ..forms import ConfirmForm, MotivatedForm
from ..models import BankDetails
from .common import audit_events, confirmed, finance_area, posted, render_page


@finance_area
@require_GET
def bank_list(request):
    rows = list(queries.bank_details_to_certify()[:200])
    return render_page(
        request,
        "payments/bank_list.html",
        {"title": "Coordonnées bancaires à certifier", "section": "bank", "rows": rows},
    )


#: the confirmations and success messages of certification and rejection
CERTIFY_CONFIRM = "J'ai comparé l'IBAN, le BIC et le titulaire au RIB affiché : ils sont identiques"
REJECT_CONFIRM = "Je confirme le rejet de ces coordonnées bancaires (la commune devra les corriger)"
CERTIFIED = (
    "Coordonnées bancaires de {name} certifiées. Les ordres en attente de certification sont prêts à payer."
)
REJECTED = (
    "Coordonnées bancaires de {name} rejetées. La commune est informée du motif par courriel et sur sa page."
)


def _bank_url(bank) -> str:
    return reverse("payments:bank", args=[bank.commune_id])


def _bank(code) -> BankDetails:
    return get_object_or_404(
        BankDetails.objects.select_related(
            "commune", "rib_document", "rib_document__dossier", "updated_by", "certified_by"
        ),
        commune_id=code,
    )


@finance_area
@require_http_methods(["GET", "POST"])
def bank_page(request, code):
    bank = _bank(code)
    form = ConfirmForm(posted(request), label=CERTIFY_CONFIRM)
    done, status = confirmed(
        request,
        form,
        lambda: certify_bank_details(bank.commune_id, by=request.user),
        then=_bank_url(bank),
        success=lambda _: CERTIFIED.format(name=bank.commune.name),
    )
    if done:
        return done
    orders_ = list(queries.commune_orders(bank.commune_id)[:100])
    return render_page(
        request,
        "payments/bank.html",
        {
            "title": f"Coordonnées bancaires — {bank.commune.name}",
            "section": "bank",
            "bank": bank,
            "form": form,
            "orders": orders_,
            "events": audit_events("payments.bankdetails", bank.pk),
            "iban_grouped": " ".join(bank.iban[i : i + 4] for i in range(0, len(bank.iban), 4)),
            "siret_grouped": f"{bank.siret[:9]} {bank.siret[9:]}" if bank.siret else "",
        },
        status=status,
    )


@finance_area
@require_http_methods(["GET", "POST"])
def bank_reject(request, code):
    """Finance rejects the commune's bank details (they do not match the RIB): motivation required;
    the porteur sees it on the bank-details page and is emailed."""
    bank = _bank(code)
    allowed = not bank.is_certified and bank.rejected_at is None
    form = MotivatedForm(posted(request), needs_motivation=True, label=REJECT_CONFIRM)
    status = 200 if allowed else 409
    if not allowed:
        messages.error(
            request,
            "Ces coordonnées bancaires ne peuvent pas être rejetées : "
            + (
                "elles sont certifiées."
                if bank.is_certified
                else "elles sont déjà rejetées, la commune doit les corriger."
            ),
        )
    else:
        reject = partial(reject_bank_details, bank.commune_id, by=request.user)
        done, status = confirmed(
            request,
            form,
            lambda: reject(motivation=form.cleaned_data["motivation"]),
            then=_bank_url(bank),
            success=lambda _: REJECTED.format(name=bank.commune.name),
        )
        if done:
            return done
    return render_page(
        request,
        "payments/bank_reject.html",
        {
            "title": f"Rejeter les coordonnées bancaires — {bank.commune.name}",
            "section": "bank",
            "bank": bank,
            "form": form,
            "allowed": allowed and request.can_pay,
        },
        status=status,
    )


@finance_area
@require_GET
@xframe_options_sameorigin
def bank_rib(request, code):
    """The RIB the details were read from, inline for the certification page (finance, admin and
    auditors only; framable by this site only; never cached)."""
    return inline_document(_bank(code).rib_document, missing="RIB introuvable.")
