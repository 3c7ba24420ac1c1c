"""The signed participant list names minors: only the roles that need it may download it
(règlement: porteur of the commune, instructeur, finance, auditeur, admin — not the committee)."""

import pytest
from django.urls import reverse

from fonds.suivi.services import save_report_draft
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_list(cast, advance_paid):
    save_report_draft(advance_paid, by=cast.porteur, fields={}, participant_list=("liste.pdf", PDF_BYTES))
    return advance_paid


@pytest.mark.parametrize(
    "who,expected",
    [
        ("porteur", 200),
        ("other_porteur", 404),
        ("instructeur", 200),
        ("finance", 200),
        ("auditeur", 200),
        ("admin", 200),
        ("comite", 403),
    ],
)
def test_participant_list_download_permissions(client, cast, with_list, who, expected):
    client.force_login(getattr(cast, who))
    response = client.get(reverse("suivi:participant-list", args=[with_list.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert (
            response["Content-Disposition"].startswith("attachment")
            and response["Cache-Control"] == "private, no-store"
        )


def test_participant_list_download_anonymous_goes_to_login(client, with_list):
    response = client.get(reverse("suivi:participant-list", args=[with_list.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_participant_list_not_linked_for_the_committee(client, cast, with_list):
    client.force_login(cast.comite)
    html = client.get(reverse("suivi:timeline", args=[with_list.pk])).content.decode()
    assert reverse("suivi:participant-list", args=[with_list.pk]) not in html
    client.force_login(cast.instructeur)
    html = client.get(reverse("suivi:timeline", args=[with_list.pk])).content.decode()
    assert reverse("suivi:participant-list", args=[with_list.pk]) in html
