"""Before the sitting: the agenda (every instructed dossier, ranked) and the convocation that
freezes the member list, at least ``committee.convocation_min_days`` days ahead."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform_many
from fonds.dossiers.states import Status
from fonds.ops import outbox

from . import composition as composition_mod
from .dates import convocation_refusal, min_days
from .errors import ComiteRefused
from .guards import audit_session, from_transition, lock_session, require_admin, require_status
from .models import AgendaItem, Session
from .reading import pk_of


@dataclass
class ConvocationResult:
    session: Session
    recipients: list[str]  # member emails a convocation is queued for
    days_before: int


def build_agenda(session: Session, *, by) -> list[AgendaItem]:
    """Schedule every *instructed* dossier of the campaign on a *planned* session's agenda
    (``fonds.comite.agenda`` ranks it and recuses its instructor). Not on a session taking over
    an adjourned one; re-running adds those instructed since. Audit ``comite_agenda_built``."""
    require_admin(by, "établir l'ordre du jour")
    with transaction.atomic():
        session = lock_session(session)
        require_status(session, (Session.Status.PLANNED,), "établir l'ordre du jour")
        if session.follows_id:
            raise ComiteRefused(
                "condition",
                "Cette séance reprend l'ordre du jour de la séance ajournée : il ne peut pas être modifié.",
            )
        ids = list(
            Dossier.objects.filter(campaign_id=session.campaign_id, status=Status.INSTRUCTED)
            .order_by(F("assessment__score_total").desc(nulls_last=True), "commune__population", "pk")
            .values_list("pk", flat=True)
        )
        if ids:
            result = perform_many(ids, "schedule", by=by, data={"session": session.pk})
            if result.refused:
                raise from_transition(result.refused[0])
        created = list(session.items.filter(dossier_id__in=ids).select_related("dossier").order_by("rank"))
        audit_session(
            "comite_agenda_built",
            session,
            by,
            {
                "added": [
                    {
                        "reference": i.dossier.reference,
                        "rank": i.rank,
                        "score_total": i.score_total,
                        "population": i.population,
                    }
                    for i in created
                ],
                "items": session.items.count(),
                "rules_version": session.campaign.rules.version,
            },
        )
    return created


def send_convocation(session: Session, *, by) -> ConvocationResult:
    """Status ``planned`` → ``convened``: one email with the agenda per member (Celery task through
    the outbox, sent once per member and session). Refused fewer than
    ``committee.convocation_min_days`` days before the sitting. The member list is set to the
    composition once more, then frozen: the members convened are those who deliberate. Audit
    ``comite_convocation``."""
    require_admin(by, "envoyer la convocation")
    campaign_id = Session.objects.filter(pk=pk_of(session)).values_list("campaign_id", flat=True).first()
    if campaign_id is None:
        raise ComiteRefused("not_found", "Séance introuvable.")
    with transaction.atomic():
        composition_mod.lock_campaign(campaign_id)  # campaign → session, as composition changes
        session = lock_session(session)
        require_status(session, (Session.Status.PLANNED,), "envoyer la convocation")
        items = list(session.items.select_related("dossier").order_by("rank"))
        if not items:
            raise ComiteRefused(
                "condition",
                "L'ordre du jour est vide : établissez-le avant de convoquer le comité.",
                ["agenda"],
            )
        now = clock.now()
        refusal = convocation_refusal(session.starts_at, session.campaign, now=now)
        if refusal:
            raise ComiteRefused(
                "condition",
                refusal + " Changez la date de la séance, puis convoquez.",
                ["convocation_min_days"],
            )
        composition_mod.sync_session_members(session, by=by, reason="convocation")
        delta = session.starts_at - now
        members = list(session.members.order_by("last_name", "email"))
        session.status = Session.Status.CONVENED
        session.convened_at = now
        session.save(update_fields=["status", "convened_at"])
        audit_session(
            "comite_convocation",
            session,
            by,
            {
                "starts_at": session.starts_at,
                "days_before": delta.days,
                "min_days": min_days(session),
                "recipients": [m.pk for m in members],
                "members_frozen": True,
                "agenda": [i.dossier.reference for i in items],
                "rules_version": session.campaign.rules.version,
            },
        )
        for member in members:
            outbox.enqueue("fonds.comite.tasks.send_convocation_email", session.pk, member.pk)
    return ConvocationResult(session=session, recipients=[m.email for m in members], days_before=delta.days)
