"""The documents and emails walk (issue 18): every kind of PDF the fund generates and every email it
sends, made by the services from the permission matrix's world plus a committee that decides all
four ways, read as text (pypdf for the PDFs) and held to the page walk's rules: no English word,
code identifier or raw JSON reaches a mayor, an auditor or a member.

Coverage is read from the code: a new ``GeneratedDocument`` kind, a new template under a ``pdf/``
or ``emails/`` folder or a new notification kind fails here until the walk makes it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.test.signals import template_rendered
from django.urls import reverse
from pypdf import PdfReader

from fonds import clock
from fonds.administration.texts import preview_pdf, texts_for
from fonds.celery import app
from fonds.comite.minutes import render_minutes_pdf
from fonds.comite.models import AgendaItem, Session
from fonds.comite.testing import Committee
from fonds.conversation.services import post_message
from fonds.depot.invitations import send_invitation
from fonds.documents.models import GeneratedDocument
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from fonds.notifications import kinds as notification_kinds
from fonds.notifications.digest import send_digests
from fonds.notifications.models import Notification
from fonds.notifications.waiting import flag_waiting
from fonds.payments.bank import reject_bank_details, set_bank_details
from fonds.payments.batches import build_batch
from fonds.payments.execution import mark_batch_sent, record_execution
from fonds.payments.recovery import answer_recovery
from fonds.payments.settlement import accept_final_report
from fonds.proof import complete
from fonds.proof.audiences import Audience
from fonds.reporting.history import render_history_pdf
from fonds.suivi import reminders
from fonds.suivi.testing import acceptance_data
from tests.factories import make_campaign, make_commune, make_dossier, make_user
from tests.french import text_problems, visible_text
from tests.proof.helpers import attach, image_bytes
from tests.security.world import BIC, IBAN, after_trip, build_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("documents_walk")]

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _instructed(campaign, commune, porteur, amount):
    dossier = make_dossier(campaign=campaign, commune=commune, porteur=porteur, proposed_amount=amount)
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.INSTRUCTED)  # test setup, as at_status
    dossier.refresh_from_db()
    return dossier


def committee_decides_four_ways(w) -> dict:
    """A committee approves A, waitlists B (envelope short), rejects C, defers D; A's convention is
    accepted then renounced, which promotes B."""
    u = w.users
    campaign = make_campaign(envelope=Decimal("6000.00"))
    committee = Committee(admin=u["admin"], chair=u["comite"])
    other = make_commune(population=600, name="Val-de-Partage")
    other_porteur = make_user("porteur", commune=other)
    a = _instructed(campaign, w.commune, u["porteur"], Decimal("5670.00"))
    b = _instructed(campaign, other, other_porteur, Decimal("5000.00"))
    c = _instructed(campaign, w.commune, u["porteur"], Decimal("4000.00"))
    d = _instructed(campaign, w.commune, u["porteur"], Decimal("3000.00"))
    outcomes = {
        "approved": committee.decide(a, "approve"),
        "waitlisted": committee.decide(b, "approve"),
        "rejected": committee.decide(c, "reject"),
        "deferred": committee.decide(d, "defer"),
    }
    a.refresh_from_db()
    perform(a, "accept_agreement", by=u["porteur"], data=acceptance_data(a))
    perform(a, "renounce", by=u["porteur"], motivation="La ville partenaire annule l'échange.")
    # the bank details of the other commune, refused by finance
    set_bank_details(
        other,
        by=other_porteur,
        iban=IBAN,
        bic=BIC,
        holder="Commune de Val-de-Partage",
        rib_document=b.documents.get(kind="rib"),
    )
    reject_bank_details(other, by=u["finance"], motivation="Le RIB n'est pas au nom de la commune.")
    return outcomes


def everything_else(w) -> None:
    """The other emails and notification kinds: conversation, corrections answered, balance paid,
    the mayor's answer to a recovery, deadline reminders, waiting too long, digest, invitation,
    forgotten password."""
    u = w.users
    post_message(w.in_instruction, by=u["porteur"], body="Bonjour, voici nos précisions.")
    post_message(w.in_instruction, by=u["instructeur"], body="Merci, c'est bien noté.")
    reported = w.reported
    with clock.travel(after_trip(reported)):
        accept_final_report(reported, u["finance"])
    balance = reported.payment_orders.filter(kind="balance").first()
    if balance is not None:
        batch = build_batch(by=u["finance"], order_ids=[balance.pk]).batch
        mark_batch_sent(batch, by=u["finance"])
        with clock.travel(max(batch.execution_date, after_trip(reported))):
            record_execution(batch, by=u["finance"])
    answer_recovery(w.recovery, u["porteur"], "Deux jeunes sont tombés malades la veille du départ.")
    start = clock.now()
    request = w.corrections.correction_requests.get()  # its reminder is due the day before
    reminders.run(now=request.deadline - dt.timedelta(hours=12))
    for days in range(0, 420, 2):  # every reminder and overdue notice the world's deadlines bring
        reminders.run(now=start + dt.timedelta(days=days))
    perform(w.corrections, "resubmit", by=u["porteur"], motivation="Délibération jointe.")
    later = clock.today() + dt.timedelta(days=60)
    flag_waiting(later)
    send_digests(later)
    send_invitation(
        make_user("porteur", commune=w.commune, email="nouvelle.maire@demo.fjj.fr"), by=u["admin"]
    )
    Client().post(reverse("depot:password-reset"), {"email": u["porteur"].email})


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, the committee and every other email, built once; what was rendered and sent."""
    previous = settings.MEDIA_ROOT
    media = settings.MEDIA_ROOT = tmp_path_factory.mktemp("media-documents")
    rendered: set[str] = set()

    def seen(sender, template, context, **kwargs):
        rendered.add(template.name or "")

    template_rendered.connect(seen, weak=False)
    mail.outbox = []
    eager = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True  # as tests/conftest.py, per test
    fast = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    with fast, django_db_blocker.unblock(), transaction.atomic():
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):  # the outbox's tasks run
                w = build_world()
                w.outcomes = committee_decides_four_ways(w)
                everything_else(w)
            # made on request, not stored: rendered here too, so the template check below does
            # not depend on which process or order runs the tests that read them
            render_history_pdf(Dossier.objects.order_by("pk").first())
            # the complete dossier (issue 21), with a photo among its attachments
            attach(w.reported, "other", "photo-du-groupe.png", image_bytes("PNG"), "image/png")
            complete.ensure(w.reported.pk, Audience.AUDITEUR)
            preview_pdf(w.campaign, texts_for(w.campaign))
            w.rendered, w.emails, w.media = rendered, list(mail.outbox), media
            yield w
        finally:
            template_rendered.disconnect(seen)
            app.conf.task_always_eager, app.conf.task_eager_propagates = eager
            clock.reset()
            settings.MEDIA_ROOT = previous
            transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def media(walk, settings):
    """The walk's stored files (each test gets its own media folder otherwise)."""
    settings.MEDIA_ROOT = walk.media


def _problems(where: str, text: str) -> list[str]:
    return [f"{where} : {p}" for p in text_problems(text)]


def test_every_generated_document_speaks_french(walk):
    """Each stored PDF (receipts, conventions, decision letters, minutes…), read back as text."""
    failures = []
    for document in GeneratedDocument.objects.all():
        with document.file.open("rb") as f:
            text = pdf_text(f.read())
        assert text.strip(), f"{document} : aucun texte extrait"
        failures += _problems(str(document), text)
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_decision_letters_of_every_outcome_speak_french(walk):
    letters = GeneratedDocument.objects.filter(kind=GeneratedDocument.Kind.DECISION_LETTER)
    outcomes = set(
        AgendaItem.objects.filter(
            pk__in=[int(k.rsplit("-", 1)[1]) for k in letters.values_list("key", flat=True)]
        ).values_list("outcome", flat=True)
    )
    expected = {outcome for outcome in AgendaItem.Outcome.values if outcome}
    assert outcomes == expected, "lettres de décision manquantes : " + ", ".join(sorted(expected - outcomes))


def test_history_pdf_of_every_dossier_tells_each_event_in_french(walk):
    failures = []
    for dossier in Dossier.objects.all():
        text = pdf_text(render_history_pdf(dossier))
        failures += _problems(f"historique {dossier.reference}", text)
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_minutes_and_texts_preview_speak_french(walk):
    failures = []
    for session in Session.objects.all():
        failures += _problems(f"procès-verbal {session.pk}", pdf_text(render_minutes_pdf(session)))
    campaign = walk.campaign
    failures += _problems("aperçu des textes", pdf_text(preview_pdf(campaign, texts_for(campaign))))
    assert not failures, "\n".join(dict.fromkeys(failures))


#: how each kind of generated document is made in this walk (a new kind fails until it is added)
DOCUMENT_KINDS = {
    "receipt": "stored on submission (the world)",
    "convention": "stored when approved (the world)",
    "decision_letter": "stored for each decided agenda item (committee_decides_four_ways)",
    "minutes": "stored when a session closes; rendered for every session",
    "history": "rendered for every dossier",
    "other": "never generated: the fallback kind",
}


def test_every_document_kind_is_in_the_walk(walk):
    assert set(DOCUMENT_KINDS) == set(GeneratedDocument.Kind.values)
    stored = set(GeneratedDocument.objects.values_list("kind", flat=True))
    assert {"receipt", "convention", "decision_letter", "minutes"} <= stored, stored


def test_every_pdf_and_email_template_is_rendered_by_the_walk(walk):
    on_disk = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*")
        if path.is_file() and ({"pdf", "emails"} & set(path.relative_to(TEMPLATES).parts[:-1]))
    }
    on_disk |= {str(p.relative_to(TEMPLATES)) for p in TEMPLATES.glob("registration/*email*")}
    assert on_disk - walk.rendered == set(), "modèles jamais rendus par la marche"


def test_every_email_speaks_french(walk):
    failures = []
    for message in walk.emails:
        where = f"courriel « {message.subject} »"
        failures += _problems(where, message.subject)
        failures += _problems(where, message.body)
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                failures += _problems(where + " (HTML)", visible_text(content))
    assert len(walk.emails) > 20
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_every_notification_kind_is_made_and_speaks_french(walk):
    codes = set(notification_kinds.KINDS)
    made = set(Notification.objects.values_list("kind", flat=True))
    assert codes - made == set(), "types de notification jamais produits par la marche"
    failures = []
    for notification in Notification.objects.all():
        failures += _problems(
            f"notification {notification.kind}", f"{notification.title}\n{notification.body}"
        )
    assert not failures, "\n".join(dict.fromkeys(failures))
