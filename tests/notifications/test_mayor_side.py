"""The mayor's side of the notices (issue 16): what the email says and where its link leads.

A correction request: the message, the deadline, the named items and a direct absolute link to the
corrections page, which shows the same request. A new message: the email says a message awaits
(never its text) and links the thread, which shows it. The staff's « correction answered »: a
direct link to the instruction page, which shows the reply.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from fonds.conversation.services import post_message
from fonds.formats import long_date
from tests.workflows.conftest import act, walk

from .helpers import SITE, emails_to, html_of

pytestmark = pytest.mark.django_db

REQUEST = "Merci de préciser les objectifs pédagogiques de la semaine."
QUESTION = "Pouvez-vous confirmer l'hébergement en familles d'accueil ?"
REPLY = "Objectifs précisés dans l'étape du projet."


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _path(url: str) -> str:
    assert url.startswith(SITE + "/"), url
    return url[len(SITE) :]


def test_corrections_email_has_message_deadline_named_items_and_direct_link(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    with django_capture_on_commit_callbacks(execute=True):
        act(
            cast,
            dossier,
            "request_corrections",
            "instructeur",
            REQUEST,
            data={"fields": ["objectives"], "documents": ["deliberation"]},
        )
    (message,) = emails_to(cast.porteur, "Corrections demandées")
    request = dossier.correction_requests.get()
    link = f"{SITE}{reverse('suivi:corrections', args=[dossier.pk])}"
    for text in (message.body, html_of(message)):
        assert REQUEST.replace("'", "&#x27;") in text or REQUEST in text
        assert f"avant le {long_date(request.deadline)}" in text
        assert "Objectifs" in text and "« Le projet »" in text.replace("&laquo;", "«").replace("&raquo;", "»")
        assert "Délibération du conseil municipal" in text
    assert link in message.body and f'href="{link}"' in html_of(message)
    # the link opens the page where the mayor reads the same request and resends
    page = _client(cast.porteur).get(_path(link))
    html = page.content.decode()
    assert page.status_code == 200 and REQUEST in html
    assert reverse("depot:step", args=[dossier.pk, "projet"]) in html
    assert "Renvoyer le dossier corrigé" in html


def test_new_message_email_says_a_message_awaits_and_links_the_thread(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    with django_capture_on_commit_callbacks(execute=True):
        post_message(dossier, by=cast.instructeur, body=QUESTION)
    (message,) = emails_to(cast.porteur, "Nouveau message")
    link = f"{SITE}{reverse('conversation:thread', args=[dossier.pk])}"
    assert "son message est dans la conversation" in message.body
    assert link in message.body and f'href="{link}"' in html_of(message)
    assert "hébergement" not in message.body and "hébergement" not in html_of(message)  # by design
    page = _client(cast.porteur).get(_path(link))
    assert page.status_code == 200 and QUESTION.replace("'", "&#x27;") in page.content.decode()


def test_correction_answered_email_links_the_instruction_page_showing_the_reply(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "request_corrections")
    with django_capture_on_commit_callbacks(execute=True):
        act(cast, dossier, "resubmit", "porteur", REPLY)
    (message,) = emails_to(cast.instructeur, f"Dossier {dossier.reference} corrigé")
    link = f"{SITE}{reverse('instruction:dossier', args=[dossier.pk])}"
    assert "La commune a corrigé son dossier et l'a renvoyé." in message.body
    assert link in message.body and f'href="{link}"' in html_of(message)
    assert not emails_to(cast.instructeur2, f"Dossier {dossier.reference}")  # assigned: its instructor only
    page = _client(cast.instructeur).get(_path(link))
    html = page.content.decode()
    assert page.status_code == 200 and "Réponse à la demande de corrections" in html
    assert REPLY.replace("'", "&#x27;") in html
