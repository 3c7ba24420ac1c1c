"""A recused member's reading is refused (issue 5), on every reading path of the dossier — not only
the agenda item: its follow-up page, its history (page and PDF), and the API. The other members,
and agents with another back-office role, still read it."""

import pytest
from django.urls import reverse

from fonds.comite import proxies
from fonds.dossiers.access import visible_dossiers
from tests.factories import make_user

from .conftest import sitting

pytestmark = pytest.mark.django_db


@pytest.fixture
def recused(committee):
    session = sitting(committee, 2)
    item, other_item = list(session.items.order_by("rank"))
    member = committee.others[0]
    proxies.declare_conflict(item, member=member, reason="Conseiller municipal de la commune.")
    return member, item.dossier, other_item.dossier


def _urls(dossier):
    return [
        reverse("suivi:dossier", args=[dossier.pk]),
        reverse("suivi:timeline", args=[dossier.pk]),
        reverse("reporting:dossier-history", args=[dossier.pk]),
        f"/api/v1/dossiers/{dossier.pk}/",
    ]


def test_recused_member_reads_nothing_of_the_dossier(client, recused):
    member, dossier, _ = recused
    client.force_login(member)
    for url in _urls(dossier):
        assert client.get(url).status_code == 404, url
    assert not visible_dossiers(member).filter(pk=dossier.pk).exists()


def test_recused_member_still_reads_the_other_dossiers(client, recused):
    member, _, other = recused
    client.force_login(member)
    for url in _urls(other):
        assert client.get(url).status_code == 200, url


def test_other_members_read_the_dossier(client, committee, recused):
    _, dossier, _ = recused
    client.force_login(committee.others[1])
    assert client.get(reverse("reporting:dossier-history", args=[dossier.pk])).status_code == 200


def test_recusal_does_not_hide_the_dossier_from_an_instructor_member(committee):
    """The instructor of a dossier is recused by office on its item, and still instructs it."""
    both = make_user(["comite", "instructeur"])
    committee.members.append(both)
    session = sitting(committee, 1)
    item = session.items.get()
    proxies.declare_conflict(item, member=both, reason="Instructeur du dossier.")
    assert visible_dossiers(both).filter(pk=item.dossier_id).exists()
