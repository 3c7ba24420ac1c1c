"""The porteur's payment pages: the commune's bank details, the answer to a recovery notice.

A porteur of the dossier's commune only: a dossier of another commune is a 404
(``fonds.dossiers.access``), a member of staff gets a 403 page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.dossiers.access import get_visible_or_404, visible_dossiers
from fonds.ui.forms import errors_summary

from .. import queries
from ..bank import bank_details_for, set_bank_details
from ..execution import RETURN_REASONS
from ..forms import BankDetailsForm, RecoveryAnswerForm
from ..models import OrderKind, OrderState, PaymentOrder, Settlement
from ..recovery import answer_recovery, recovery_answer_due
from .common import confirmed, posted, render_page


def _porteur_dossier(request, pk):
    """The dossier for a porteur of its commune; staff get a 403 page, another commune a 404.
    ``pk=None``: no dossier (the commune's own page), porteurs only."""
    roles = roles_of(request.user)
    if Role.PORTEUR not in roles or not request.user.commune_id:
        return None, render(
            request,
            "payments/forbidden.html",
            {"title": "Page réservée aux communes", "porteur_page": True},
            status=403,
        )
    if pk is None:
        return None, None
    return get_visible_or_404(
        request.user, pk, visible_dossiers(request.user).select_related("commune", "campaign")
    ), None


def _suivi_url(dossier) -> str:
    return reverse("suivi:dossier", args=[dossier.pk])


@login_required
@require_http_methods(["GET", "POST"])
def porteur_bank(request, pk=None):
    """The commune's IBAN, BIC and holder (per commune: reached from any of its dossiers, or
    from "Mes dossiers" without one)."""
    dossier, refused = _porteur_dossier(request, pk)
    if refused:
        return refused
    commune = dossier.commune if dossier is not None else request.user.commune
    bank = bank_details_for(commune.pk)
    ribs = queries.rib_choices(commune.pk)
    certified = bool(bank and bank.is_certified)
    initial = {}
    if bank is not None:
        initial = {
            "iban": " ".join(bank.iban[i : i + 4] for i in range(0, len(bank.iban), 4)),
            "bic": bank.bic,
            "holder": bank.holder,
            "siret": bank.siret,
            "rib_document": bank.rib_document_id,
        }
    elif ribs:
        initial = {
            "rib_document": next(
                (d.pk for d in ribs if dossier is not None and d.dossier_id == dossier.pk), ribs[0].pk
            ),
            "holder": f"Commune de {commune.name}",
        }
    current = (
        (bank.iban, bank.bic, bank.holder, bank.siret, bank.rib_document_id) if bank is not None else None
    )
    files = request.FILES if request.method == "POST" else None
    form = BankDetailsForm(
        posted(request),
        files,
        initial=initial,
        ribs=ribs,
        certified=certified,
        current=current,
        siren=commune.siren,
    )

    def save():
        data = form.cleaned_data
        return set_bank_details(
            commune,
            by=request.user,
            iban=data["iban"],
            bic=data["bic"],
            holder=data["holder"],
            siret=data["siret"],
            rib_document=data.get("rib_document") or None,
            rib_file=form.rib_upload(),
            dossier=dossier,
        )

    def unchanged(saved) -> bool:
        return bank is not None and saved.version == bank.version

    done, status = confirmed(
        request,
        form,
        save,
        then=request.path,
        success=lambda saved: (
            ""
            if unchanged(saved)
            else (
                "Coordonnées bancaires enregistrées. Le fonds va les vérifier sur le RIB avant tout "
                "paiement ; "
                "vous verrez ici quand elles seront certifiées."
            )
        ),
        info=lambda saved: (
            "Ces coordonnées bancaires sont déjà enregistrées : rien n'a changé." if unchanged(saved) else ""
        ),
    )
    if done:
        return done
    return render_page(
        request,
        "payments/porteur_bank.html",
        {
            "title": "Coordonnées bancaires de la commune",
            "nav": "dossiers",
            "dossier": dossier,
            "commune": commune,
            "bank": bank,
            "form": form,
            "ribs": ribs,
            "certified": certified,
            "errors": errors_summary(form) if form.is_bound else [],
            "back_url": _suivi_url(dossier) if dossier is not None else reverse("depot:my-dossiers"),
            "blocked": PaymentOrder.objects.filter(
                dossier__commune_id=commune.pk, state=OrderState.TO_CERTIFY
            ).count()
            if bank is not None and not certified
            else 0,
            "returned": [
                {"order": o, "reason": RETURN_REASONS.get(o.return_code, o.return_code)}
                for o in PaymentOrder.objects.filter(
                    dossier__commune_id=commune.pk, state=OrderState.RETURNED
                )
                .select_related("dossier")
                .order_by("-returned_at")[:20]
            ],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def porteur_recovery(request, pk):
    dossier, refused = _porteur_dossier(request, pk)
    if refused:
        return refused
    order = (
        PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.RECOVERY)
        .exclude(state=OrderState.CANCELLED)
        .select_related("answered_by")
        .order_by("-created_at", "-pk")
        .first()
    )
    if order is None:
        cancelled = (
            PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.RECOVERY)
            .order_by("-created_at", "-pk")
            .first()
        )
        if cancelled is None:
            raise Http404("Aucune demande de reversement pour ce dossier.")
        order = cancelled
    now = clock.now()
    can_answer = (
        order.state == OrderState.CONTRADICTORY
        and order.answered_at is None
        and now < recovery_answer_due(order)
    )
    form = RecoveryAnswerForm(posted(request))
    if request.method == "POST" and not can_answer:
        form.add_error(
            None,
            "Vous ne pouvez plus répondre à cette demande de reversement : "
            + (
                "vous y avez déjà répondu."
                if order.answered_at
                else "le délai de réponse est expiré ou la procédure est close."
            ),
        )
        status = 409
    else:
        done, status = confirmed(
            request,
            form,
            lambda: answer_recovery(order, request.user, form.cleaned_data["text"]),
            then=reverse("payments:porteur-recovery", args=[dossier.pk]),
            success=lambda _: (
                "Vos observations sont transmises au fonds. Il les examinera avant de décider du "
                "reversement ; vous serez informé de la décision."
            ),
        )
        if done:
            return done
    settlement = Settlement.objects.filter(dossier=dossier).first()
    return render_page(
        request,
        "payments/porteur_recovery.html",
        {
            "title": "Demande de reversement",
            "nav": "dossiers",
            "dossier": dossier,
            "order": order,
            "form": form,
            "can_answer": can_answer,
            "settlement": settlement,
            "lines": (settlement.lines if settlement else []) or [],
            "errors": errors_summary(form) if form.is_bound else [],
            "back_url": _suivi_url(dossier),
        },
        status=status,
    )
