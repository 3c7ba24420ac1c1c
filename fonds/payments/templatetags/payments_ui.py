"""Display helpers of the payment pages, and the porteur's payment links on the dossier pages."""

from django import template
from django.urls import reverse

from fonds.accounts.roles import Role, roles_of
from fonds.ui.templatetags.fjj import action_label

from ..models import BankDetails, OrderKind, OrderState, PaymentOrder

register = template.Library()

BADGES = {
    "to_certify": "fr-badge--warning",
    "ready": "fr-badge--info",
    "in_batch": "fr-badge--new",
    "sent": "fr-badge--new",
    "paid": "fr-badge--success",
    "returned": "fr-badge--error",
    "cancelled": "",
    "contradictory": "fr-badge--warning",
    "final": "fr-badge--error",
    "written_off": "",
    "executed": "fr-badge--success",
    "pending": "fr-badge--info",
    "removed": "",
}


@register.filter
def state_badge(state: str) -> str:
    """The DSFR badge modifier of an order, batch or item state."""
    return BADGES.get(str(state), "")


#: French labels of the payment stage's audit events (the shared ``action_label`` knows the others)
PAYMENT_EVENTS = {
    "bank_details_set": "Coordonnées bancaires données",
    "bank_details_changed": "Coordonnées bancaires modifiées (certification levée)",
    "bank_details_certified": "Coordonnées bancaires certifiées sur le RIB",
    "bank_details_rejected": "Coordonnées bancaires rejetées (ne correspondent pas au RIB)",
    "bank_rejection_notice_sent": "Rejet des coordonnées notifié à la commune",
    "balance_order_reissued": "Ordre de solde réémis",
    "payment_order_created": "Ordre de paiement créé",
    "payment_order_certified": "Ordre rendu payable (coordonnées certifiées)",
    "payment_order_suspended": "Ordre suspendu (coordonnées bancaires modifiées)",
    "payment_order_paid": "Virement payé",
    "payment_order_cancelled": "Ordre annulé",
    "payment_order_reissued": "Virement réémis",
    "payment_returned": "Virement rejeté par la banque",
    "batch_built": "Lot constitué (fichier SEPA validé)",
    "batch_exported": "Fichier SEPA téléchargé",
    "batch_sent": "Lot transmis à la banque",
    "batch_cancelled": "Lot annulé",
    "batch_executed": "Exécution du lot enregistrée",
    "final_report_accepted": "Rapport final validé (solde calculé)",
    "recovery_notice_sent": "Avis de reversement envoyé au maire",
    "recovery_answered": "Observations du maire reçues",
    "recovery_made_final": "Reversement rendu exécutoire",
    "recovery_received": "Reversement reçu",
    "recovery_written_off": "Reversement admis en non-valeur",
}


@register.filter
def event_label(action: str) -> str:
    """The French label of an audit event of the payment pages."""
    return PAYMENT_EVENTS.get(action) or action_label(action)


BREAKDOWN_LABELS = {
    "approved": "Montant accordé par le comité",
    "advance_pct": "Taux de l'avance (%)",
    "advance": "Avance",
    "formula_total": "Formule T + S + O sur les chiffres réels",
    "travel": "Voyage (T)",
    "stay": "Séjour (S)",
    "organisation": "Organisation (O)",
    "eligible_costs": "Dépenses éligibles réelles",
    "eligible_limit": "Limite en % des dépenses éligibles",
    "formula_amount": "Montant donné par la formule",
    "final_grant": "Subvention définitive",
    "balance": "Solde",
    "recovery": "Reversement",
}


@register.filter
def breakdown_label(key: str) -> str:
    return BREAKDOWN_LABELS.get(key, key)


@register.filter
def grouped(value: str) -> str:
    """``FR7630006000011234567890189`` → ``FR76 3000 6000 0112 3456 7890 189`` (IBAN as printed on a RIB)."""
    value = (value or "").replace(" ", "")
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


#: statuses in which the commune's bank details matter (a grant is, or is about to be, paid)
PAYING = frozenset({"approved", "agreement_signed", "advance_paid", "report_submitted", "recovery_pending"})


@register.inclusion_tag("payments/_porteur_links.html", takes_context=True)
def porteur_payment_links(context, dossier=None, rows=None):
    """For a porteur: the commune's bank-details status and the recovery orders awaiting its
    answer, with links to the pages where they act — on one dossier's page (``dossier``) or on
    "Mes dossiers" (``rows``: its rows, each with a ``dossier``). No query when no dossier is at a
    payment stage; otherwise one (bank details), two when a recovery may await an answer."""

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or Role.PORTEUR not in roles_of(user) or not user.commune_id:
        return {"show": False}
    if dossier is not None:
        dossiers = [dossier] if dossier.commune_id == user.commune_id else []
    else:
        dossiers = [row["dossier"] if isinstance(row, dict) else row for row in (rows or [])]
    paying = [d for d in dossiers if d.status in PAYING]
    if not paying:
        return {"show": False}
    bank = BankDetails.objects.filter(commune_id=user.commune_id).first()
    recovering = [d.pk for d in paying if d.status == "recovery_pending"]
    recoveries = []
    if recovering:
        recoveries = list(
            PaymentOrder.objects.filter(
                dossier_id__in=recovering, kind=OrderKind.RECOVERY, state=OrderState.CONTRADICTORY
            )
            .select_related("dossier")
            .order_by("answer_due", "pk")
        )
    bank_url = (
        reverse("payments:porteur-bank", args=[dossier.pk])
        if dossier is not None
        else reverse("payments:commune-bank")
    )
    return {
        "show": True,
        "bank": bank,
        "bank_url": bank_url,
        "recoveries": recoveries,
        "list_mode": dossier is None,
    }
