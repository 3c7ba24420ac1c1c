"""Administrator pages: create a session (it convenes the campaign's committee composition), build
the ranked agenda, send the convocation, each through the comité services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.comite.models import AgendaItem, Session
from fonds.dossiers.states import Status

from .conftest import at_start, instructed_dossier, new_session

pytestmark = pytest.mark.django_db


def _form_data(c, **extra):
    data = {
        "campaign": c.campaign.pk,
        "starts_at": (clock.localnow() + dt.timedelta(days=12)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Salle du conseil, Paris",
        "video_link": "",
        "chair": c.chair.pk,
        "follows": "",
    }
    data.update(extra)
    return data


def test_admin_creates_a_session_through_the_form(client, committee):
    c = committee
    client.force_login(c.admin)
    page = client.get(reverse("comite:session-create") + f"?campagne={c.campaign.pk}")
    assert page.status_code == 200 and 'name="members"' not in page.content.decode()  # no member is picked
    assert {m.pk for m in page.context["members"]} == {m.pk for m in c.members}  # shown: the composition
    response = client.post(reverse("comite:session-create"), _form_data(c))
    session = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "comite:session", args=[session.pk]
    )
    assert session.chair == c.chair and set(session.members.all()) == set(c.members)  # the whole composition
    assert AuditEvent.objects.filter(action="comite_session_created", object_id=str(session.pk)).exists()


def test_session_form_without_place_nor_link_is_refused_and_keeps_the_input(client, committee):
    c = committee
    client.force_login(c.admin)
    response = client.post(reverse("comite:session-create"), _form_data(c, place="", video_link=""))
    html = response.content.decode()
    assert (
        response.status_code == 400 and "Indiquez le lieu de la séance ou le lien de visioconférence." in html
    )
    import re

    assert re.search(
        rf'<option value="{c.chair.pk}"[^>]*selected', html
    )  # nothing lost: the chair chosen stays chosen
    assert not Session.objects.exists()


def test_session_form_offers_only_the_composition_as_chair(client, committee):
    from fonds.comite import composition
    from tests.factories import make_user

    c = committee
    composition.appoint(c.campaign, by=c.admin, members=c.members)
    outsider = make_user("comite")  # holds the role, not appointed to this campaign's committee
    client.force_login(c.admin)
    page = client.get(reverse("comite:session-create") + f"?campagne={c.campaign.pk}")
    assert outsider not in page.context["form"].fields["chair"].queryset
    response = client.post(reverse("comite:session-create"), _form_data(c, chair=outsider.pk))
    assert (
        response.status_code == 400 and "pas membre de la composition du comité" in response.content.decode()
    )
    assert not Session.objects.exists()


def test_session_creation_refused_to_a_committee_member(client, committee):
    c = committee
    client.force_login(c.chair)
    response = client.post(reverse("comite:session-create"), _form_data(c))
    assert response.status_code == 403 and not Session.objects.exists()


def test_agenda_page_shows_the_ranking_then_builds_it_on_confirmation(client, committee):
    c = committee
    low = instructed_dossier(c.campaign, score=65, population=300)
    big = instructed_dossier(c.campaign, score=90, population=3000)
    small = instructed_dossier(c.campaign, score=90, population=500)
    session = new_session(c)
    client.force_login(c.admin)
    response = client.get(reverse("comite:agenda", args=[session.pk]))
    assert [d.pk for d in response.context["candidates"]] == [small.pk, big.pk, low.pk]
    html = response.content.decode()
    assert html.index(small.reference) < html.index(big.reference) < html.index(low.reference)
    # without the confirmation box: nothing happens
    assert client.post(reverse("comite:agenda", args=[session.pk]), {}).status_code == 400
    assert not AgendaItem.objects.exists()
    response = client.post(reverse("comite:agenda", args=[session.pk]), {"confirm": "on"})
    assert response.status_code == 302
    assert list(session.items.order_by("rank").values_list("dossier_id", flat=True)) == [
        small.pk,
        big.pk,
        low.pk,
    ]
    small.refresh_from_db()
    assert small.status == Status.IN_COMMITTEE
    page = client.get(reverse("comite:session", args=[session.pk])).content.decode()
    assert page.index(small.reference) < page.index(big.reference) < page.index(low.reference)


def test_agenda_build_refused_to_a_member(client, committee):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c)
    client.force_login(c.chair)
    assert client.post(reverse("comite:agenda", args=[session.pk]), {"confirm": "on"}).status_code == 403
    assert not session.items.exists()


def test_convocation_10_days_ahead_has_no_warning(client, committee):
    c = committee
    instructed_dossier(c.campaign)
    session = new_session(c, days=10)
    from fonds.comite import convocation as comite_convocation

    comite_convocation.build_agenda(session, by=c.admin)
    client.force_login(c.admin)
    html = client.get(reverse("comite:convocation", args=[session.pk])).content.decode()
    assert "Délai de convocation non respecté" not in html and "Envoyer la convocation" in html


def test_convocation_of_an_empty_agenda_is_not_offered_and_refused(client, committee):
    c = committee
    session = new_session(c)
    client.force_login(c.admin)
    html = client.get(reverse("comite:convocation", args=[session.pk])).content.decode()
    assert "L'ordre du jour est vide" in html or "L&#x27;ordre du jour est vide" in html
    response = client.post(reverse("comite:convocation", args=[session.pk]), {"confirm": "on"})
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.status == Session.Status.PLANNED and not mail.outbox


def test_session_following_an_adjourned_one_takes_its_agenda_and_needs_no_quorum(client, committee):
    from fonds.comite import convocation as comite_convocation
    from fonds.comite import sitting

    c = committee
    instructed_dossier(c.campaign)
    first = new_session(c)
    comite_convocation.build_agenda(first, by=c.admin)
    comite_convocation.send_convocation(first, by=c.admin)
    at_start(first)
    sitting.open_sitting(first, by=c.chair)
    sitting.record_attendance(
        first, by=c.chair, presence={m: ("present" if m == c.chair else "absent") for m in c.members}
    )
    sitting.adjourn(first, by=c.chair)
    client.force_login(c.admin)
    form_page = client.get(reverse("comite:session-create"))
    assert first.pk in [s.pk for s in form_page.context["form"].fields["follows"].queryset]
    assert client.post(reverse("comite:session-create"), _form_data(c, follows=first.pk)).status_code == 302
    second = Session.objects.get(follows=first)
    assert not second.needs_quorum
    assert list(second.items.values_list("dossier_id", flat=True)) == list(
        first.items.values_list("dossier_id", flat=True)
    )
    html = client.get(reverse("comite:session", args=[second.pk])).content.decode()
    assert "sans condition de quorum" in html and reverse("comite:agenda", args=[second.pk]) not in html


def test_envelope_page_lists_the_waiting_list_in_ranking_order_with_amounts(
    client, committee, django_assert_max_num_queries
):
    from decimal import Decimal

    from fonds.comite import convocation as comite_convocation
    from fonds.comite import decisions, sitting, votes

    from .conftest import vote_all

    c = committee  # envelope 20,000 €
    first = instructed_dossier(c.campaign, score=90, proposed="15000.00")
    second = instructed_dossier(c.campaign, score=80, proposed="12000.00")
    session = new_session(c)
    comite_convocation.build_agenda(session, by=c.admin)
    comite_convocation.send_convocation(session, by=c.admin)
    at_start(session)
    sitting.open_sitting(session, by=c.chair)
    sitting.record_attendance(session, by=c.chair, presence={m: "present" for m in c.members})
    for item in session.items.order_by("rank"):
        votes.open_vote(item, by=c.chair)
        vote_all(item, c, {m: "pour" for m in c.members})
        votes.close_vote(item, by=c.chair)
        decisions.decide(item, by=c.chair, outcome="approve")
    second.refresh_from_db()
    assert second.status == Status.WAITLISTED
    client.force_login(c.admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("comite:envelopes"))
    (env,) = response.context["envelopes"]
    assert env.left == Decimal("5000.00") and [r.dossier.pk for r in env.waiting] == [second.pk]
    assert env.waiting[0].amount == Decimal("12000.00")
    html = response.content.decode()
    assert second.reference in html and first.reference not in html and "En attente de crédits" in html
