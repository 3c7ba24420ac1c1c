"""Correction requests in the conversation: the request read in full where the porteur answers,
the resend from the check page, the reply and the diff on the instructor's page."""

import json

import pytest
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.conversation.signals import correction_answered
from fonds.dossiers import editing
from fonds.dossiers.documents import add_document
from fonds.dossiers.models import CorrectionRequest, Dossier, Message
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from tests.factories import PDF_BYTES

from .conftest import REQUEST

pytestmark = pytest.mark.django_db


def test_correction_request_is_a_message_of_the_thread(cast, corrections):
    message = Message.objects.get(dossier=corrections)
    request = CorrectionRequest.objects.get(dossier=corrections)
    assert message.kind == "correction_request" and message.correction == request and message.body == REQUEST
    event = AuditEvent.objects.get(action="message_posted")
    assert json.loads(event.canonical)["payload"]["kind"] == "correction_request"
    assert request.snapshot["fields"]["objectives"] == corrections.objectives
    assert request.snapshot["documents"]["deliberation"]["name"] == "deliberation.pdf"


def test_correction_request_shown_in_full_on_the_answering_page(client, cast, corrections):
    client.force_login(cast.porteur)
    for url in (
        reverse("depot:check", args=[corrections.pk]),
        reverse("suivi:corrections", args=[corrections.pk]),
    ):
        html = client.get(url).content.decode()
        assert REQUEST in html, url
        assert "Objectifs" in html and "Budget (dépenses et recettes)" in html, url
        assert "Délibération du conseil municipal" in html, url
        assert f'href="{reverse("depot:step", args=[corrections.pk, "projet"])}"' in html, url
        assert f'href="{reverse("depot:step", args=[corrections.pk, "pieces"])}"' in html, url
    step = client.get(reverse("depot:step", args=[corrections.pk, "projet"])).content.decode()
    assert REQUEST in step and "Vérifier et renvoyer le dossier corrigé" in step
    thread = client.get(reverse("conversation:thread", args=[corrections.pk])).content.decode()
    assert REQUEST in thread and "Demande de corrections" in thread


def test_check_page_of_a_dossier_in_corrections_offers_the_resend_button(client, cast, corrections):
    client.force_login(cast.porteur)
    html = client.get(reverse("depot:check", args=[corrections.pk])).content.decode()
    assert "Renvoyer le dossier corrigé" in html
    assert f'action="{reverse("suivi:corrections", args=[corrections.pk])}"' in html
    assert "déjà été déposé" not in html and "Vous pouvez déposer le dossier en bas" not in html
    assert 'name="confirm"' in html and 'name="message"' in html


def test_resend_from_the_check_page_needs_confirmation_and_works(client, cast, corrections):
    client.force_login(cast.porteur)
    url = reverse("suivi:corrections", args=[corrections.pk])
    refused = client.post(url, {"message": "Corrigé."})
    assert refused.status_code == 400
    assert Dossier.objects.get(pk=corrections.pk).status == Status.CORRECTIONS_REQUESTED
    assert client.post(url, {"message": "Objectifs précisés.", "confirm": "on"}).status_code == 302
    assert Dossier.objects.get(pk=corrections.pk).status == Status.IN_INSTRUCTION
    reply = Message.objects.get(kind="correction_answer")
    assert reply.body == "Objectifs précisés." and reply.side == "commune"
    assert reply.correction == CorrectionRequest.objects.get(dossier=corrections)
    html = client.get(reverse("depot:check", args=[corrections.pk])).content.decode()
    assert "déjà été déposé" in html and "Renvoyer le dossier corrigé" not in html


def test_reply_and_diff_shown_to_the_instructor(client, cast, corrections):
    old = corrections.objectives
    editing.update_content(
        corrections, by=cast.porteur, fields={"objectives": "Objectifs précisés : trois ateliers."}
    )
    add_document(
        corrections,
        by=cast.porteur,
        kind="deliberation",
        name="deliberation-signee.pdf",
        data=PDF_BYTES + b"\n",
    )
    client.force_login(cast.porteur)
    client.post(
        reverse("suivi:corrections", args=[corrections.pk]),
        {"message": "Délibération signée jointe.", "confirm": "on"},
    )
    client.force_login(cast.instructeur)
    html = client.get(reverse("instruction:dossier", args=[corrections.pk])).content.decode()
    assert "Réponse à la demande de corrections" in html and "Délibération signée jointe." in html
    assert old in html and "Objectifs précisés : trois ateliers." in html
    assert "deliberation-signee.pdf" in html
    assert html.count(">modifié<") == 2 and html.count(">inchangé<") == 1  # the budget did not change


def test_correction_answered_signal_names_the_request_and_the_reply(client, cast, corrections):
    seen = []

    def listener(sender, dossier, correction, reply, by, **kwargs):
        seen.append((sender, dossier.pk, correction.pk, reply.body if reply else None, by.pk))

    correction_answered.connect(listener)
    try:
        client.force_login(cast.porteur)
        client.post(
            reverse("suivi:corrections", args=[corrections.pk]), {"message": "Fait.", "confirm": "on"}
        )
    finally:
        correction_answered.disconnect(listener)
    request = CorrectionRequest.objects.get(dossier=corrections)
    assert seen == [(CorrectionRequest, corrections.pk, request.pk, "Fait.", cast.porteur.pk)]


def test_snapshot_of_minors_ages_is_sealed_never_the_ages(client, cast, submitted):
    perform(
        submitted,
        "request_corrections",
        by=cast.instructeur,
        motivation="Vérifiez les âges.",
        data={"fields": ["youth_ages"]},
    )
    snapshot = CorrectionRequest.objects.get(dossier=submitted).snapshot
    sealed = snapshot["fields"]["youth_ages"]
    assert set(sealed) == {"minors_data", "count", "hmac_sha256"}  # no list of ages
    assert sealed["minors_data"] == "scellé" and sealed["count"] == len(submitted.youth_ages)
