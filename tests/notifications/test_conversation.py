"""A new message of the conversation tells the other side (receiver of ``message_posted``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fonds.conversation.services import post_message
from fonds.notifications.conversation import on_message_posted
from fonds.notifications.models import Notification
from tests.workflows.conftest import walk

from .helpers import SITE, emails_to

pytestmark = pytest.mark.django_db


def test_a_message_of_the_fund_tells_the_communes_porteurs_once(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    message = SimpleNamespace(pk=41, kind="message")
    with django_capture_on_commit_callbacks(execute=True):
        on_message_posted(None, message=message, dossier=dossier, by=cast.instructeur, side="fonds")
        on_message_posted(None, message=message, dossier=dossier, by=cast.instructeur, side="fonds")
    sent = emails_to(cast.porteur, "Nouveau message")
    assert len(sent) == 1 and f"{SITE}/messages/dossiers/{dossier.pk}/" in sent[0].body
    assert not emails_to(cast.other_porteur)


def test_a_message_of_the_commune_tells_its_instructor_not_the_author(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    message = SimpleNamespace(pk=42, kind="message")
    on_message_posted(None, message=message, dossier=dossier, by=cast.porteur, side="commune")
    made = Notification.objects.filter(kind="message_received_staff")
    assert [n.recipient for n in made] == [cast.instructeur]
    assert made[0].link == f"/messages/dossiers/{dossier.pk}/"


def test_correction_messages_are_told_by_their_transitions_not_twice(cast, new_dossier):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    request = SimpleNamespace(pk=43, kind="correction_request")
    on_message_posted(None, message=request, dossier=dossier, by=cast.instructeur, side="fonds")
    assert not Notification.objects.filter(kind__startswith="message_received").exists()


def test_post_message_both_ways_notifies_through_the_signal(
    cast, new_dossier, django_capture_on_commit_callbacks
):
    dossier = new_dossier()
    walk(cast, dossier, "start_instruction")
    with django_capture_on_commit_callbacks(execute=True):
        post_message(dossier, by=cast.instructeur, body="Pouvez-vous préciser les dates du séjour ?")
        post_message(dossier, by=cast.porteur, body="Du 3 au 10 juillet.")
    to_porteur, to_instructor = emails_to(cast.porteur, "Nouveau message"), emails_to(cast.instructeur)
    assert len(to_porteur) == 1 and len(to_instructor) == 1
    assert "juillet" not in to_instructor[0].body and "dates du séjour" not in to_porteur[0].body
    assert not emails_to(cast.instructeur2, "Nouveau message")  # the dossier is assigned
