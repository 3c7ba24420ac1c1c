"""The conversation's pages: who sees what, the thread both ways, the list of conversations."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from fonds.accounts.roles import Role
from fonds.conversation import services
from fonds.conversation.services import Upload
from fonds.dossiers.models import Message
from fonds.instruction import services as instruction
from tests.factories import PDF_BYTES, make_dossier, make_user

pytestmark = pytest.mark.django_db

NOTE = "Note confidentielle : le maire a appelé, dossier fragile."


def test_porteur_of_another_commune_gets_404(client, cast, submitted):
    message = services.post_message(
        submitted, by=cast.instructeur, body="Bonjour", files=[Upload("p.pdf", PDF_BYTES)]
    )
    client.force_login(cast.other_porteur)
    thread = reverse("conversation:thread", args=[submitted.pk])
    assert client.get(thread).status_code == 404
    assert client.post(thread, {"body": "Intrusion"}).status_code == 404
    attachment = reverse("conversation:attachment", args=[submitted.pk, message.attachments.get().pk])
    assert client.get(attachment).status_code == 404
    assert not Message.objects.filter(body="Intrusion").exists()
    assert submitted.reference not in client.get(reverse("conversation:inbox")).content.decode()


def test_committee_member_reads_no_conversation(client, cast, submitted):
    message = services.post_message(
        submitted, by=cast.instructeur, body="Bonjour", files=[Upload("p.pdf", PDF_BYTES)]
    )
    member = make_user(Role.COMITE)
    client.force_login(member)
    assert client.get(reverse("conversation:thread", args=[submitted.pk])).status_code == 404
    attachment = reverse("conversation:attachment", args=[submitted.pk, message.attachments.get().pk])
    assert client.get(attachment).status_code == 404
    assert submitted.reference not in client.get(reverse("conversation:inbox")).content.decode()
    assert not services.may_read(member, submitted)


def test_auditor_reads_the_conversation_but_cannot_write(client, cast, submitted):
    services.post_message(submitted, by=cast.instructeur, body="Bonjour la commune")
    auditor = make_user(Role.AUDITEUR)
    client.force_login(auditor)
    thread = reverse("conversation:thread", args=[submitted.pk])
    assert "Bonjour la commune" in client.get(thread).content.decode()
    assert client.post(thread, {"body": "Audit"}).status_code in (400, 403, 409)
    assert not Message.objects.filter(body="Audit").exists()


def test_private_note_never_visible_to_the_commune(client, cast, corrections):
    instruction.add_note(corrections, by=cast.instructeur, body=NOTE)
    services.post_message(corrections, by=cast.instructeur, body="Un message pour la commune.")
    client.force_login(cast.instructeur)
    assert NOTE in client.get(reverse("instruction:dossier", args=[corrections.pk])).content.decode()
    client.force_login(cast.porteur)
    pages = [
        reverse("conversation:thread", args=[corrections.pk]),
        reverse("conversation:inbox"),
        reverse("suivi:dossier", args=[corrections.pk]),
        reverse("suivi:timeline", args=[corrections.pk]),
        reverse("suivi:corrections", args=[corrections.pk]),
        reverse("depot:check", args=[corrections.pk]),
        reverse("depot:step", args=[corrections.pk, "projet"]),
        reverse("dossier-detail", args=[corrections.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "maire a appelé" not in response.content.decode(), url
    assert "Un message pour la commune." in client.get(pages[0]).content.decode()
    api = APIClient()
    api.force_authenticate(cast.porteur)
    for url in (f"/api/v1/dossiers/{corrections.pk}/", "/api/v1/dossiers/"):
        response = api.get(url)
        assert response.status_code == 200 and "maire a appelé" not in response.content.decode(), url


def test_porteur_reads_and_answers_on_the_thread_page(client, cast, submitted):
    services.post_message(submitted, by=cast.instructeur, body="Pouvez-vous préciser le programme ?")
    client.force_login(cast.porteur)
    url = reverse("conversation:thread", args=[submitted.pk])
    first = client.get(url).content.decode()
    assert "Pouvez-vous préciser le programme ?" in first and "Non lu" in first
    assert "Non lu" not in client.get(url).content.decode()  # read now
    response = client.post(
        url, {"body": "Voici le programme.", "files": [SimpleUploadedFile("programme.pdf", PDF_BYTES)]}
    )
    assert response.status_code == 302
    reply = Message.objects.get(body="Voici le programme.")
    assert reply.side == "commune" and reply.attachments.get().original_name == "programme.pdf"
    client.force_login(cast.instructeur)
    html = client.get(reverse("instruction:dossier", args=[submitted.pk])).content.decode()
    assert "Voici le programme." in html and "programme.pdf" in html and "Non lu" in html


def test_attachment_refused_on_the_page_keeps_the_text(client, cast, submitted):
    client.force_login(cast.porteur)
    response = client.post(
        reverse("conversation:thread", args=[submitted.pk]),
        {"body": "Texte à garder", "files": [SimpleUploadedFile("faux.pdf", b"<html>pas un pdf</html>")]},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "Texte à garder" in html
    assert "« faux.pdf » : Seuls les fichiers PDF, JPEG et PNG" in html
    assert not Message.objects.exists()


def test_instructor_posts_with_attachment_from_the_instruction_page(client, cast, submitted):
    client.force_login(cast.instructeur)
    response = client.post(
        reverse("instruction:message", args=[submitted.pk]),
        {"body": "Voici le modèle.", "files": [SimpleUploadedFile("modele.pdf", PDF_BYTES)]},
    )
    assert response.status_code == 302 and response["Location"].endswith("#messages")
    message = Message.objects.get()
    assert message.side == "fonds" and message.attachments.count() == 1
    client.force_login(cast.porteur)
    attachment = reverse("conversation:attachment", args=[submitted.pk, message.attachments.get().pk])
    response = client.get(attachment)
    assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"


def test_timeline_shows_the_text_of_the_fund_message(client, cast, submitted):
    services.post_message(submitted, by=cast.instructeur, body="Texte du message du fonds")
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:timeline", args=[submitted.pk])).content.decode()
    assert "Message de la conversation" in html and "Texte du message du fonds" in html


def test_conversation_list_page_query_count(client, cast, django_assert_max_num_queries):
    for i in range(6):
        d = make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur)
        Message.objects.create(dossier=d, author=cast.instructeur, body=f"Message {i}", side="fonds")
    client.force_login(cast.porteur)
    client.get(reverse("suivi:dossier", args=[d.pk]))  # session and user loaded, as in a browser
    with django_assert_max_num_queries(6):
        response = client.get(reverse("conversation:inbox"))
    html = response.content.decode()
    assert response.status_code == 200 and html.count("1 non lu") == 6
