"""Celery tasks of the comité. Idempotent: a retried task redoes nothing already done."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.depot.notices import send_once
from fonds.dossiers.services import transition_meta
from fonds.formats import euros

from .letters import decided_item, ensure_decision_letter, mayors, send_decision_letter
from .models import PromotionProposal, Session


@shared_task(
    name="fonds.comite.tasks.generate_decision_letter",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    # nobody reads a letter's success result (its page asks for the document itself); a failure is
    # still stored, for that page's « La préparation a échoué » (fonds.ui.progress.task_state)
    ignore_result=True,
    store_errors_even_if_ignored=True,
)
def generate_decision_letter(item_pk: int) -> dict | None:
    """Make the decision letter of a decided agenda item (once) and email it to the mayor(s) (once each)."""

    item = decided_item(item_pk)  # loaded once, for the letter and its email
    if item is None:
        return None
    document = ensure_decision_letter(item)
    sent = send_decision_letter(item, document)
    return {"document": document.pk, "sha256": document.sha256, "emails_sent_now": sent}


@shared_task(
    name="fonds.comite.tasks.send_convocation_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_convocation_email(session_pk: int, member_pk: int) -> bool:
    """The convocation with the agenda, to one member, at most once."""

    session = Session.objects.select_related("campaign", "chair").get(pk=session_pk)
    member = User.objects.get(pk=member_pk)
    items = list(session.items.select_related("dossier__commune").order_by("rank"))
    when = timezone.localtime(session.starts_at)
    body = render_to_string(
        "comite/emails/convocation.txt",
        {
            "session": session,
            "member": member,
            "items": items,
            "when": when,
            "site_url": settings.FJJ_SITE_URL,
            "fund_name": settings.FJJ_FUND_NAME,
        },
    )
    return send_once(
        f"comite-convocation-{session.pk}-{member.pk}",
        to=member.email,
        subject=f"Convocation au comité d'attribution du {when:%d/%m/%Y à %H:%M}",
        body=body,
        audit_action="comite_convocation_sent",
        audit_payload={"session": session.pk, "member": member.pk, "items": len(items)},
    )


@shared_task(
    name="fonds.comite.tasks.notify_promotion", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def notify_promotion(proposal_pk: int) -> int:
    """Tell the mayor(s) of a promoted dossier and the administrators (once each)."""

    record = (
        PromotionProposal.objects.select_related("dossier__commune", "campaign", "trigger_dossier")
        .filter(pk=proposal_pk)
        .first()
    )
    if record is None:
        return 0
    context = {
        "proposal": record,
        "amount": euros(record.amount),
        "available": euros(record.available),
        "site_url": settings.FJJ_SITE_URL,
        "trigger": transition_meta(record.trigger)["custom"]["label"].lower() if record.trigger else "",
    }
    subject = f"Liste complémentaire : le dossier {record.dossier.reference} est retenu"
    recipients = [(user, True) for user in mayors(record.dossier)]
    recipients += [
        (admin, False)
        for admin in User.objects.filter(is_active=True, groups__name=Role.ADMIN).distinct().order_by("email")
    ]
    sent = 0
    for user, for_mayor in recipients:
        sent += send_once(
            f"comite-promotion-{record.pk}-{user.pk}",
            to=user.email,
            subject=subject,
            body=render_to_string("comite/emails/promotion.txt", {**context, "for_mayor": for_mayor}),
            dossier=record.dossier,
            audit_action="comite_promotion_notified",
            audit_payload={"proposal": record.pk, "reference": record.dossier.reference, "to": user.pk},
        )
    return sent
