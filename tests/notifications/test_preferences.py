"""Preferences: per kind immediately / digest / never; the commune's mandatory notices stay on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fonds.notifications.models import Notification, Preference
from fonds.notifications.preferences import PreferenceRefused, save_preferences
from fonds.notifications.service import notify
from tests.factories import make_user

from .helpers import emails_to

pytestmark = pytest.mark.django_db


def test_mandatory_notice_cannot_be_switched_off(cast):
    with pytest.raises(PreferenceRefused) as refused:
        save_preferences(cast.porteur, {"corrections_requested": "off"})
    assert "avis obligatoire" in refused.value.message
    assert not Preference.objects.exists()


def test_mandatory_notice_refused_by_the_page_too(client, cast):
    client.force_login(cast.porteur)
    response = client.post(
        reverse("notifications:preferences"),
        {"corrections_requested": "off", "advance_paid": "immediate", "balance_paid": "immediate"},
    )
    assert response.status_code == 400
    assert "avis obligatoire" in response.content.decode()
    assert not Preference.objects.exists()


def test_preferences_page_shows_mandatory_notices_without_a_choice(client, cast):
    client.force_login(cast.porteur)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "Avis toujours envoyés" in page and "Corrections demandées" in page
    assert 'name="corrections_requested"' not in page and 'name="advance_paid"' in page


def test_a_choice_is_saved_and_applied_to_the_next_notification(
    client, cast, new_dossier, django_capture_on_commit_callbacks
):
    client.force_login(cast.porteur)
    response = client.post(
        reverse("notifications:preferences"),
        {"advance_paid": "off", "balance_paid": "digest", "message_received_commune": "immediate"},
    )
    assert response.status_code == 302
    stored = dict(Preference.objects.values_list("kind", "mode"))
    assert stored == {"advance_paid": "off", "balance_paid": "digest"}
    dossier = new_dossier()
    with django_capture_on_commit_callbacks(execute=True):
        notify("advance_paid", dossier=dossier, key="a")
        notify("balance_paid", dossier=dossier, key="b")
        notify("corrections_requested", dossier=dossier, key="c")  # mandatory: at once, whatever
    assert dict(Notification.objects.values_list("kind", "delivery")) == {
        "advance_paid": "off",
        "balance_paid": "digest",
        "corrections_requested": "immediate",
    }
    assert [m.subject.split(" —")[0] for m in emails_to(cast.porteur)] == ["Corrections demandées"]


def test_waiting_too_long_offers_digest_or_never_only(cast):
    with pytest.raises(PreferenceRefused):
        save_preferences(cast.instructeur, {"waiting_too_long": "immediate"})
    assert save_preferences(cast.instructeur, {"waiting_too_long": "off"}) == 1


def test_a_porteur_cannot_choose_for_a_staff_kind():
    porteur = make_user("porteur")
    with pytest.raises(PreferenceRefused):
        save_preferences(porteur, {"queue_entered": "off"})
