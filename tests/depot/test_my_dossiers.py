"""Journey 1: "Mes dossiers" — status, next action expected from the porteur, deadline; constant queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.dossiers.services import perform
from tests.factories import make_campaign, make_commune, make_dossier, make_user
from tests.workflows.conftest import walk

pytestmark = pytest.mark.django_db


def corrections_requested(commune, porteur, instructor):
    dossier = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    perform(dossier, "submit", by=porteur)
    perform(dossier, "start_instruction", by=instructor)
    perform(dossier, "request_corrections", by=instructor, motivation="Joindre la délibération signée.")
    return dossier


def test_lists_status_next_action_and_deadline(porteur_client, campaign, commune, porteur):
    instructor = make_user("instructeur")
    draft = make_dossier(
        campaign=campaign, commune=commune, porteur=porteur, complete=False, title="Mon brouillon"
    )
    waiting = corrections_requested(commune, porteur, instructor)
    submitted = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    perform(submitted, "submit", by=porteur)
    other = make_dossier(campaign=campaign, commune=make_commune(), title="Dossier d'une autre commune")
    html = porteur_client.get(reverse("depot:my-dossiers")).content.decode()
    assert "Mes dossiers" in html and other.reference not in html
    # the draft: complete and submit before the campaign closes
    assert reverse("depot:resume", args=[draft.pk]) in html and "Compléter puis déposer le dossier" in html
    assert timezone.localtime(campaign.closes_at).strftime("%d/%m/%Y") in html
    # corrections requested: answer before the deadline
    waiting.refresh_from_db()
    assert "Répondre à la demande de corrections" in html
    assert timezone.localtime(waiting.corrections_due).strftime("%d/%m/%Y") in html
    # submitted: nothing expected from the porteur
    assert "Aucune : le dossier attend son instruction" in html
    # the open campaign has its "Nouveau dossier" button
    assert reverse("depot:new", args=[campaign.pk]) in html


def test_new_dossier_button_only_for_open_campaigns(porteur_client, commune):
    now = clock.now()
    closed = make_campaign(opens_at=now - dt.timedelta(days=90), closes_at=now - dt.timedelta(days=1))
    html = porteur_client.get(reverse("depot:my-dossiers")).content.decode()
    assert reverse("depot:new", args=[closed.pk]) not in html and "Aucun appel à projets n'est ouvert" in html
    response = porteur_client.get(reverse("depot:new", args=[closed.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("depot:my-dossiers")


def test_query_count_is_constant_in_the_number_of_dossiers(
    porteur_client, campaign, commune, porteur, django_assert_max_num_queries
):
    from fonds.web.context_processors import site_config

    instructor = make_user("instructeur")
    make_dossier(campaign=campaign, commune=commune, porteur=porteur, complete=False)
    corrections_requested(commune, porteur, instructor)
    site_config(None)  # read once a minute per process: already read, as on any page but the first
    with django_assert_max_num_queries(10) as few:
        porteur_client.get(reverse("depot:my-dossiers"))
    for _ in range(40):
        make_dossier(campaign=campaign, commune=commune, porteur=porteur, complete=False)
    for _ in range(3):
        corrections_requested(commune, porteur, instructor)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = porteur_client.get(reverse("depot:my-dossiers"))
    assert response.content.decode().count("Répondre à la demande de corrections") == 4
    assert len(many.captured_queries) == len(few.captured_queries)


# ---- « Nouveau dossier » only when E7 allows it ---------------------------------------------------


def _set_status(dossier, status):
    """Test setup only: a dossier already in ``status`` (the protected field moved by an update)."""
    from fonds.dossiers.models import Dossier

    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    return dossier


def test_e7_new_dossier_not_offered_when_a_rejected_dossier_blocks(
    porteur_client, campaign, commune, porteur
):
    """The page says which dossier blocks and its status, before any step is filled; the create
    URL refuses with the same message and creates nothing."""
    from fonds.dossiers.models import Dossier

    rejected = _set_status(make_dossier(campaign=campaign, commune=commune, porteur=porteur), "rejected")
    html = porteur_client.get(reverse("depot:my-dossiers")).content.decode()
    assert reverse("depot:new", args=[campaign.pk]) not in html
    assert f'id="e7-{campaign.pk}"' in html and rejected.reference in html and "« refusé »" in html
    assert reverse("dossier-detail", args=[rejected.pk]) in html and "prochain appel" in html
    before = Dossier.objects.count()
    for response in (
        porteur_client.get(reverse("depot:new", args=[campaign.pk])),
        porteur_client.post(
            reverse("depot:new", args=[campaign.pk]), {"title": "Encore un projet", "action": "next"}
        ),
    ):
        assert response.status_code == 302 and response["Location"] == reverse("depot:my-dossiers")
    assert Dossier.objects.count() == before
    followed = porteur_client.get(reverse("depot:new", args=[campaign.pk]), follow=True).content.decode()
    assert "Nouveau dossier impossible" in followed and rejected.reference in followed


def test_e7_new_dossier_autosave_refused_in_json(porteur_client, campaign, commune, porteur):
    _set_status(make_dossier(campaign=campaign, commune=commune, porteur=porteur), "in_instruction")
    response = porteur_client.post(
        reverse("depot:new", args=[campaign.pk]), {"title": "Projet"}, HTTP_X_AUTOSAVE="1"
    )
    assert response.status_code == 409 and "retirez-le" in response.json()["message"]


@pytest.mark.parametrize("status", ["draft", "ineligible", "withdrawn", "closed_without_follow_up", "closed"])
def test_e7_new_dossier_offered_when_only_non_blocking_dossiers_exist(
    porteur_client, campaign, commune, porteur, status
):
    _set_status(make_dossier(campaign=campaign, commune=commune, porteur=porteur), status)
    html = porteur_client.get(reverse("depot:my-dossiers")).content.decode()
    assert reverse("depot:new", args=[campaign.pk]) in html and f'id="e7-{campaign.pk}"' not in html
    assert porteur_client.get(reverse("depot:new", args=[campaign.pk])).status_code == 200


def test_e7_gate_is_per_campaign(porteur_client, campaign, commune, porteur):
    other = make_campaign()
    _set_status(make_dossier(campaign=other, commune=commune, porteur=porteur), "approved")
    html = porteur_client.get(reverse("depot:my-dossiers")).content.decode()
    assert (
        reverse("depot:new", args=[campaign.pk]) in html and reverse("depot:new", args=[other.pk]) not in html
    )
    assert f'id="e7-{other.pk}"' in html and f'id="e7-{campaign.pk}"' not in html


def test_dossier_awaiting_corrections_links_to_its_corrections_page(porteur_client, commune, porteur):
    """The action « Répondre à la demande de corrections » opens the page showing the request and
    the resend form, not the dossier's general page."""
    dossier = corrections_requested(commune, porteur, make_user("instructeur"))
    html = porteur_client.get(reverse("depot:my-dossiers")).content.decode()
    corrections = reverse("suivi:corrections", args=[dossier.pk])
    assert f'href="{corrections}">Répondre à la demande de corrections' in html
    page = porteur_client.get(corrections)
    assert page.status_code == 200 and "Joindre la délibération signée." in page.content.decode()


@pytest.mark.parametrize(
    "until, action, page",
    [
        ("approve", "Accepter la convention", "suivi:convention"),
        ("pay_advance", "Déposer le rapport final", "suivi:report"),
    ],
)
def test_next_action_links_the_page_where_it_is_done(cast, new_dossier, client, until, action, page):
    dossier = walk(cast, new_dossier(), until)
    client.force_login(cast.porteur)
    html = client.get(reverse("depot:my-dossiers")).content.decode()
    assert f'href="{reverse(page, args=[dossier.pk])}">{action}' in html
    assert client.get(reverse(page, args=[dossier.pk])).status_code == 200
