"""Celery tasks of the comité. Idempotent: a retried task redoes nothing already done."""
from __future__ import annotations

from celery import shared_task


@shared_task(name="fonds.comite.tasks.generate_decision_letter", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def generate_decision_letter(item_pk: int) -> dict | None:
    """Make the decision letter of a decided agenda item (once) and email it to the mayor(s) (once each)."""
    from .letters import ensure_decision_letter, send_decision_letter
    from .models import AgendaItem

    if not AgendaItem.objects.filter(pk=item_pk).exclude(outcome="").exists():
        return None
    document = ensure_decision_letter(item_pk)
    sent = send_decision_letter(item_pk, document)
    return {"document": document.pk, "sha256": document.sha256, "emails_sent_now": sent}


@shared_task(name="fonds.comite.tasks.send_convocation_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_convocation_email(session_pk: int, member_pk: int) -> bool:
    """The convocation with the agenda, to one member, at most once."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import timezone

    from fonds.accounts.models import User
    from fonds.depot.notices import send_once

    from .models import Session

    session = Session.objects.select_related("campaign", "chair").get(pk=session_pk)
    member = User.objects.get(pk=member_pk)
    items = list(session.items.select_related("dossier__commune").order_by("rank"))
    when = timezone.localtime(session.starts_at)
    body = render_to_string(
        "comite/emails/convocation.txt",
        {"session": session, "member": member, "items": items, "when": when, "site_url": settings.FJJ_SITE_URL, "fund_name": settings.FJJ_FUND_NAME},
    )
    return send_once(
        f"comite-convocation-{session.pk}-{member.pk}",
        to=member.email,
        subject=f"Convocation au comité d'attribution du {when:%d/%m/%Y à %H:%M}",
        body=body,
        audit_action="comite_convocation_sent",
        audit_payload={"session": session.pk, "member": member.pk, "items": len(items)},
    )


@shared_task(name="fonds.comite.tasks.notify_promotion", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_promotion(proposal_pk: int) -> int:
    """Tell the administrators that the first waitlisted dossier may be promoted (once each)."""
    from django.conf import settings
    from django.template.loader import render_to_string

    from fonds.accounts.models import User
    from fonds.accounts.roles import Role
    from fonds.depot.notices import send_once
    from fonds.eligibilite.rules import euros

    from .models import PromotionProposal

    proposal = PromotionProposal.objects.select_related("dossier__commune", "campaign", "trigger_dossier").filter(pk=proposal_pk).first()
    if proposal is None or proposal.resolved_at is not None:
        return 0
    body = render_to_string(
        "comite/emails/promotion_proposal.txt",
        {"proposal": proposal, "amount": euros(proposal.amount), "available": euros(proposal.available), "site_url": settings.FJJ_SITE_URL},
    )
    sent = 0
    for admin in User.objects.filter(is_active=True, groups__name=Role.ADMIN).distinct().order_by("email"):
        sent += send_once(
            f"comite-promotion-{proposal.pk}-{admin.pk}",
            to=admin.email,
            subject=f"Liste complémentaire : le dossier {proposal.dossier.reference} peut être promu",
            body=body,
            dossier=proposal.dossier,
            audit_action="comite_promotion_notified",
            audit_payload={"proposal": proposal.pk, "reference": proposal.dossier.reference},
        )
    return sent
