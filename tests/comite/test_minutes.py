"""Closing a session: the minutes (content, SHA-256 in the audit trail) and the decision letters
(generated and emailed once, even when the task is retried)."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from fonds.audit.chain import event_payload
from fonds.audit.models import AuditEvent
from fonds.comite import convocation, decisions, proxies, sitting, votes
from fonds.comite.errors import ComiteRefused
from fonds.comite.models import Session
from fonds.comite.tasks import generate_decision_letter
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.states import Status

from .conftest import at_start, instructed_dossier, new_session, vote_all
from .conftest import sitting as committee_sitting


def pdf_text(document) -> str:
    with document.file.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    return " ".join(
        " ".join((page.extract_text() or "") for page in reader.pages).replace("\u00a0", " ").split()
    )


@pytest.fixture
def closed(committee, django_capture_on_commit_callbacks):
    """A session of three dossiers (approved with a casting vote, rejected, deferred), a proxy and
    a recusal, closed by the chair; letters made by the (eager) tasks on commit."""
    c = committee
    a, b, d, e = c.others
    first = instructed_dossier(c.campaign, score=90, proposed="6000.00")
    second = instructed_dossier(c.campaign, score=80, proposed="4000.00")
    third = instructed_dossier(c.campaign, score=70)
    with django_capture_on_commit_callbacks(execute=True):
        session = committee_sitting(
            c,
            [first, second, third],
            proxies={e: d},
            presence={c.chair: "present", a: "present", b: "present", d: "present", e: "represented"},
        )
        i1, i2, i3 = session.items.order_by("rank")
        proxies.declare_conflict(i1, member=a, reason="Conseiller communautaire de l'intercommunalité")
        votes.open_vote(i1, by=c.chair)
        vote_all(i1, c, {c.chair: "pour", b: "contre"})
        votes.cast_vote(i1, by=d, choice="pour", for_member=e)
        votes.cast_vote(i1, by=d, choice="contre")
        votes.close_vote(i1, by=c.chair)  # 2–2, the chair's vote decides
        decisions.decide(i1, by=c.chair, outcome="approve")
        votes.open_vote(i2, by=c.chair)
        vote_all(i2, c, {c.chair: "contre", a: "contre", b: "pour"})
        votes.close_vote(i2, by=c.chair)
        decisions.decide(
            i2, by=c.chair, outcome="reject", motivation="Budget irréaliste au regard du programme."
        )
        decisions.decide(i3, by=c.chair, outcome="defer", motivation="Attestation du partenaire à vérifier.")
        decisions.close_session(session, by=c.chair)
    session.refresh_from_db()
    return c, session, (first, second, third), (i1, i2, i3)


def test_minutes_hash_is_in_the_close_audit_event(closed):
    c, session, dossiers, items = closed
    assert session.status == Session.Status.CLOSED
    document = session.minutes
    with document.file.open("rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    assert digest == document.sha256 == session.minutes_sha256
    event = AuditEvent.objects.get(action="comite_session_closed", object_id=str(session.pk))
    payload = event_payload(event)
    assert payload["sha256"] == digest and payload["minutes"] == document.pk
    assert payload["outcomes"] == {"approved": 1, "rejected": 1, "deferred": 1}


def test_minutes_content_attendance_proxies_recusals_quorum_votes_outcomes_envelope(closed):
    c, session, (first, second, third), items = closed
    text = pdf_text(session.minutes)
    for expected in (
        "Procès-verbal",
        "Claire Présidente",
        "Emma Membre4",
        "Représenté",
        "David Membre3",  # attendance and proxy
        "Déport : Bruno Membre1 (Conseiller communautaire de l'intercommunalité)",
        "vote 2 / 2 / 0 (voix prépondérante du président)",
        "quorum 3+1/4",  # the recused member does not count
        first.reference,
        second.reference,
        third.reference,
        "ACCORDÉ 6 000 €",
        "REFUSÉ",
        "AJOURNÉ",
        "Budget irréaliste",
        "6 000 €",
        "20 000 €",
        "14 000 €",  # approved amount, envelope, left
    ):
        assert expected in text, expected


def test_close_refused_while_a_dossier_is_undecided(committee):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c)
    convocation.build_agenda(session, by=c.admin)
    convocation.send_convocation(session, by=c.admin)
    at_start(session)
    sitting.open_sitting(session, by=c.chair)
    with pytest.raises(ComiteRefused, match="sans décision"):
        decisions.close_session(session, by=c.chair)
    assert not GeneratedDocument.objects.filter(kind="minutes").exists()


def test_decision_letters_generated_and_sent_once_even_when_retried(closed):
    c, session, dossiers, items = closed
    letters = GeneratedDocument.objects.filter(kind="decision_letter")
    assert letters.count() == 3
    sent = [m for m in mail.outbox if m.subject.startswith("Décision du comité")]
    assert len(sent) == 3
    events = AuditEvent.objects.filter(
        action__in=["decision_letter_generated", "decision_letter_sent"]
    ).count()
    for item in items:  # the task retried (worker crash after sending, redelivery)
        result = generate_decision_letter(item.pk)
        assert result["emails_sent_now"] == 0
    assert letters.count() == 3
    assert len([m for m in mail.outbox if m.subject.startswith("Décision du comité")]) == 3
    assert (
        AuditEvent.objects.filter(action__in=["decision_letter_generated", "decision_letter_sent"]).count()
        == events
    )


def test_approval_letter_announces_the_convention(closed):
    c, session, (first, second, third), (i1, i2, i3) = closed
    first.refresh_from_db()
    assert first.status == Status.APPROVED and first.approved_amount == Decimal("6000.00")
    doc = GeneratedDocument.objects.get(kind="decision_letter", dossier=first)
    text = pdf_text(doc)
    assert "accorder une subvention de 6 000 €" in text and "convention" in text and "30 jours" in text
    rejected = pdf_text(GeneratedDocument.objects.get(kind="decision_letter", dossier=second))
    assert "Budget irréaliste" in rejected and "recours" in rejected
    mayor_mail = next(m for m in mail.outbox if first.reference in m.subject)
    assert mayor_mail.to == [first.commune.porteurs.get().email]
