"""9. The timeline: the dossier's audit events in French, every letter and PDF downloadable
through access-checked views, a query count that does not grow with the events."""

import datetime as dt

import pytest
from django.urls import reverse

from fonds import clock
from fonds.comite.letters import ensure_decision_letter
from fonds.comite.models import AgendaItem, Session
from fonds.dossiers import editing
from fonds.dossiers.services import perform
from fonds.ops import outbox
from fonds.suivi.convention import ensure_convention
from fonds.suivi.services import save_report_draft
from fonds.ui import progress as ui_progress
from tests.factories import make_user

from .conftest import at_status

pytestmark = pytest.mark.django_db


def test_timeline_labels(client, cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    perform(dossier, "start_instruction", by=cast.instructeur)
    perform(
        dossier,
        "request_corrections",
        by=cast.instructeur,
        motivation="Précisez le programme.",
        data={"fields": ["objectives"]},
    )
    editing.update_content(dossier, by=cast.porteur, fields={"objectives": "Programme détaillé."})
    perform(dossier, "resubmit", by=cast.porteur)
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:timeline", args=[dossier.pk])).content.decode()
    for label in (
        "Dossier déposé",
        "Instruction ouverte",
        "Corrections demandées",
        "Modification du dossier",
        "Dossier corrigé renvoyé",
    ):
        assert label in html, label
    assert "Porteur de projet (commune)" in html and "Instructeur" in html
    assert "Précisez le programme." in html
    assert "request_corrections" not in html and "start_instruction" not in html  # no raw codes


def test_timeline_labels_of_the_new_events(client, cast, dossier):
    approved = at_status(dossier, "approved", approved_amount="5670.00")
    document = ensure_convention(approved)
    perform(
        approved,
        "accept_agreement",
        by=cast.porteur,
        data={"signatory_name": "Marie Dupont", "document_sha256": document.sha256},
    )
    at_status(approved, "advance_paid")
    save_report_draft(approved, by=cast.porteur, fields={"nights": 2})
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:timeline", args=[dossier.pk])).content.decode()
    assert (
        "Convention établie" in html
        and "Convention acceptée" in html
        and "Rapport final enregistré (brouillon)" in html
    )
    assert "Acceptée au nom de la commune par Marie Dupont." in html
    assert reverse("suivi:generated-document", args=[dossier.pk, document.pk]) in html
    for doc in dossier.documents.all():
        assert reverse("dossier-document", args=[dossier.pk, doc.pk]) in html


def test_timeline_query_count_is_constant(client, cast, dossier, django_assert_max_num_queries):
    client.force_login(cast.porteur)
    url = reverse("suivi:timeline", args=[dossier.pk])
    client.get(url)  # warm caches (content types, sessions)
    # 11: the header's unread notifications count (issue 16) is one query on every signed-in page;
    # 12: the decision letters in preparation (one query; two more per decided item without a letter)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for i in range(15):
        editing.update_content(dossier, by=cast.porteur, fields={"summary": f"Version {i}"})
    approved = at_status(dossier, "approved", approved_amount="5670.00")
    ensure_convention(approved)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count("Modification du dossier") == 15


def test_timeline_of_another_commune_is_404(client, cast, dossier):
    client.force_login(cast.other_porteur)
    assert client.get(reverse("suivi:timeline", args=[dossier.pk])).status_code == 404


def test_generated_document_download_is_access_checked(client, cast, dossier):
    approved = at_status(dossier, "approved", approved_amount="5670.00")
    document = ensure_convention(approved)
    url = reverse("suivi:generated-document", args=[dossier.pk, document.pk])
    client.force_login(cast.other_porteur)
    assert client.get(url).status_code == 404
    for user in (cast.porteur, cast.comite, cast.auditeur):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(cast.porteur)
    other = at_status(
        __import__("tests.factories", fromlist=["make_dossier"]).make_dossier(
            commune=cast.other_porteur.commune
        ),
        "approved",
        approved_amount="2000.00",
    )
    other_document = ensure_convention(other)
    assert (
        client.get(reverse("suivi:generated-document", args=[dossier.pk, other_document.pk])).status_code
        == 404
    )


def test_timeline_hides_the_funds_internal_events_from_the_porteur(client, cast, dossier):
    from django.db import transaction

    from fonds.audit import chain

    with transaction.atomic():
        chain.append(
            "private_note_added",
            actor=cast.instructeur,
            role="instructeur",
            obj=dossier,
            payload={"note": "Commune à relancer"},
        )
        chain.append("receipt_generated", actor=None, role="system", obj=dossier, payload={})
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:timeline", args=[dossier.pk])).content.decode()
    assert "private_note_added" not in html and "Note interne" not in html
    assert ("receipt_generated" in html) or ("Récépissé" in html)  # letters of the fund: shown
    client.force_login(cast.instructeur)
    html = client.get(reverse("suivi:timeline", args=[dossier.pk])).content.decode()
    assert ("Note interne ajoutée" in html) or ("private_note_added" in html)


def _decided_item(cast, dossier):
    chair = make_user("comite")
    session = Session.objects.create(
        campaign=cast.campaign, starts_at=clock.now() - dt.timedelta(days=1), chair=chair, created_by=chair
    )
    item = AgendaItem.objects.create(session=session, dossier=dossier, rank=1, outcome="approved")
    return item, outbox.enqueue("fonds.comite.tasks.generate_decision_letter", item.pk)  # not run: no commit


def test_decision_letter_in_preparation_is_shown_on_the_timeline(client, cast, approved, monkeypatch):
    item, message = _decided_item(cast, approved)
    client.force_login(cast.porteur)
    url = reverse("suivi:timeline", args=[approved.pk])
    html = client.get(url).content.decode()
    assert "Lettre de décision : <strong>en préparation</strong>" in html and "Actualiser la page" in html
    assert "Aucun document pour le moment" not in html
    monkeypatch.setattr(
        ui_progress, "task_state", lambda task_id: "FAILURE" if task_id == str(message.pk) else ""
    )
    html = client.get(url).content.decode()
    assert "La préparation a échoué" in html and reverse("conversation:thread", args=[approved.pk]) in html
    monkeypatch.undo()
    ensure_decision_letter(item)
    html = client.get(url).content.decode()
    assert "en préparation" not in html and "Lettre de décision</a>" not in html
    assert "Lettre de décision <span" in html  # the stored letter, downloadable


def test_committee_member_gets_no_link_to_a_conversation_it_cannot_read(client, cast, approved, monkeypatch):
    """The committee does not read the conversation (404 there): no help link points to it."""
    item, message = _decided_item(cast, approved)
    monkeypatch.setattr(
        ui_progress, "task_state", lambda task_id: "FAILURE" if task_id == str(message.pk) else ""
    )
    thread = reverse("conversation:thread", args=[approved.pk])
    url = reverse("suivi:timeline", args=[approved.pk])
    client.force_login(cast.comite)
    html = client.get(url).content.decode()
    assert "La préparation a échoué" in html and thread not in html
    assert client.get(thread).status_code == 404
    client.force_login(cast.instructeur)
    assert thread in client.get(url).content.decode()
