"""Display helpers of the payment pages, and the porteur's payment links on the dossier pages."""
from django import template

from fonds.accounts.roles import Role, roles_of

register = template.Library()

BADGES = {
    "to_certify": "fr-badge--warning", "ready": "fr-badge--info", "in_batch": "fr-badge--new", "sent": "fr-badge--new",
    "paid": "fr-badge--success", "returned": "fr-badge--error", "cancelled": "", "contradictory": "fr-badge--warning",
    "final": "fr-badge--error", "written_off": "", "executed": "fr-badge--success", "pending": "fr-badge--info", "removed": "",
}


@register.filter
def state_badge(state: str) -> str:
    """The DSFR badge modifier of an order, batch or item state."""
    return BADGES.get(str(state), "")


@register.filter
def grouped(value: str) -> str:
    """``FR7630006000011234567890189`` → ``FR76 3000 6000 0112 3456 7890 189`` (IBAN as printed on a RIB)."""
    value = (value or "").replace(" ", "")
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


@register.inclusion_tag("payments/_porteur_links.html", takes_context=True)
def porteur_payment_links(context, dossier=None, commune=None):
    """For a porteur: the commune's bank-details status and the recovery orders awaiting its
    answer, with links to the pages where they act (two queries; nothing for other users)."""
    from fonds.dossiers.states import Status

    from ..queries import porteur_payments

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or Role.PORTEUR not in roles_of(user) or not user.commune_id:
        return {"show": False}
    if dossier is not None and dossier.commune_id != user.commune_id:
        return {"show": False}
    # the bank details matter once a grant is (or may soon be) paid
    paying = {Status.APPROVED, Status.AGREEMENT_SIGNED, Status.ADVANCE_PAID, Status.REPORT_SUBMITTED, Status.RECOVERY_PENDING}
    data = porteur_payments(user.commune_id, dossier.pk if dossier is not None else None)
    link_dossier = dossier
    if link_dossier is None:
        link_dossier = data["recoveries"][0].dossier if data["recoveries"] else None
    if link_dossier is None and commune is None:
        return {"show": False}
    show_bank = data["bank"] is not None or (dossier is not None and dossier.status in paying)
    return {"show": bool(show_bank or data["recoveries"]), "show_bank": show_bank, "bank": data["bank"], "recoveries": data["recoveries"], "dossier": link_dossier, "list_mode": dossier is None}
