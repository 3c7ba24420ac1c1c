"""« Mes notifications »: the list (query count), the header's unread count, marking as read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fonds.notifications.models import Notification
from fonds.notifications.service import notify

pytestmark = pytest.mark.django_db


def test_centre_lists_with_a_constant_number_of_queries(
    client, cast, new_dossier, django_assert_max_num_queries
):
    dossier = new_dossier()
    for i in range(60):
        notify("advance_paid", dossier=dossier, key=f"k{i}")
    client.force_login(cast.porteur)
    client.get(reverse("notifications:centre"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:centre"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(f'href="/suivi/{dossier.pk}/"') >= 25
    assert "Notifications (60 non lues)" in page, page[
        page.find("fr-icon-notification") : page.find("fr-icon-notification") + 200
    ]


def test_header_unread_count_is_one_query_and_only_for_the_signed_in(client, cast, new_dossier):
    dossier = new_dossier()
    notify("advance_paid", dossier=dossier, key="a")
    assert "non lue" not in client.get(reverse("login")).content.decode()
    client.force_login(cast.porteur)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "Notifications (1 non lue)" in page


def test_mark_one_and_all_as_read(client, cast, new_dossier):
    dossier = new_dossier()
    first, second = (notify("advance_paid", dossier=dossier, key=k)[0] for k in "ab")
    client.force_login(cast.porteur)
    assert client.get(reverse("notifications:read", args=[first.pk])).status_code == 405  # POST only
    client.post(reverse("notifications:read", args=[first.pk]))
    assert Notification.objects.filter(read_at__isnull=True).get() == second
    client.post(reverse("notifications:read-all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_someone_elses_notification_cannot_be_marked(client, cast, new_dossier):
    dossier = new_dossier()
    mine = notify("advance_paid", dossier=dossier, key="a")[0]
    client.force_login(cast.other_porteur)
    client.post(reverse("notifications:read", args=[mine.pk]))
    client.post(reverse("notifications:read-all"))
    assert Notification.objects.get(pk=mine.pk).read_at is None
    assert "advance" not in client.get(reverse("notifications:centre")).content.decode()
    assert dossier.reference not in client.get(reverse("notifications:centre")).content.decode()


def test_mark_read_needs_the_csrf_token(cast, new_dossier):
    from django.test import Client

    dossier = new_dossier()
    mine = notify("advance_paid", dossier=dossier, key="a")[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.porteur)
    assert client.post(reverse("notifications:read", args=[mine.pk])).status_code == 403
