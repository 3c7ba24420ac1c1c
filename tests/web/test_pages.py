"""DSFR pages: who sees what, and every change through a confirmed form."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.factories import PASSWORD, make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    campaign = make_campaign()
    commune, other = make_commune(population=600), make_commune(population=3000)
    porteur = make_user("porteur", commune=commune)
    mine = make_dossier(campaign=campaign, commune=commune, porteur=porteur)
    theirs = make_dossier(campaign=campaign, commune=other)
    return dict(campaign=campaign, porteur=porteur, mine=mine, theirs=theirs)


def test_login_page_is_in_french_and_uses_dsfr(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="fr"' in html and "fr-header" in html and "Se connecter" in html


def test_login_with_email_and_password(client, world):
    response = client.post(reverse("login"), {"username": world["porteur"].email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dossier-list")).status_code == 200


def test_failed_login_is_counted_and_explained(client, world):
    """Counted by django-axes; one audit event per lockout, not per failure (issue 14)."""
    before = AuditEvent.objects.count()
    response = client.post(reverse("login"), {"username": world["porteur"].email, "password": "faux"})
    assert "incorrect" in response.content.decode()
    assert AccessAttempt.objects.get(username=world["porteur"].email).failures_since_start == 1
    assert AuditEvent.objects.count() == before


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("dossier-detail", args=[world["mine"].pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_porteur_sees_only_its_commune_in_mes_dossiers(client, world):
    client.force_login(world["porteur"])
    html = client.get(reverse("dossier-list")).content.decode()
    assert "Mes dossiers" in html
    assert world["mine"].reference in html and world["theirs"].reference not in html


def test_other_commune_dossier_is_404_not_403(client, world):
    client.force_login(world["porteur"])
    assert client.get(reverse("dossier-detail", args=[world["theirs"].pk])).status_code == 404
    assert client.get(reverse("dossier-transition", args=[world["theirs"].pk, "withdraw"])).status_code == 404


def test_detail_shows_the_actions_from_the_state_machine(client, world):
    client.force_login(world["porteur"])
    html = client.get(reverse("dossier-detail", args=[world["mine"].pk])).content.decode()
    assert "Déposer le dossier" in html and "Retirer le dossier" in html
    assert "Terminer l&#x27;instruction" not in html


def test_submit_needs_an_explicit_confirmation(client, world):
    client.force_login(world["porteur"])
    url = reverse("dossier-transition", args=[world["mine"].pk, "submit"])
    page = client.get(url).content.decode()
    assert "ne peut plus être modifié" in page
    client.post(url, {})  # no confirmation box ticked
    assert Dossier.objects.get(pk=world["mine"].pk).status == Status.DRAFT
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert Dossier.objects.get(pk=world["mine"].pk).status == Status.SUBMITTED


def test_motivation_is_required_in_the_form(client, world):
    instructeur = make_user("instructeur")
    Dossier.objects.filter(pk=world["mine"].pk).update(status=Status.SUBMITTED)
    client.force_login(instructeur)
    url = reverse("dossier-transition", args=[world["mine"].pk, "declare_ineligible"])
    response = client.post(url, {"confirm": "on", "motivation": ""})
    assert response.status_code == 200
    assert Dossier.objects.get(pk=world["mine"].pk).status == Status.SUBMITTED
    client.post(url, {"confirm": "on", "motivation": "Commune de plus de 3 500 habitants."})
    assert Dossier.objects.get(pk=world["mine"].pk).status == Status.INELIGIBLE


def test_auditor_cannot_act_through_the_ui(client, world):
    client.force_login(make_user("auditeur"))
    url = reverse("dossier-transition", args=[world["mine"].pk, "withdraw"])
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 403  # issue 7: every state-changing request of an auditor is refused
    assert Dossier.objects.get(pk=world["mine"].pk).status == Status.DRAFT


def test_dossier_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    for _ in range(30):
        make_dossier(campaign=world["campaign"], complete=False)
    client.force_login(make_user("instructeur"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("dossier-list"))
    assert response.status_code == 200


def test_tasks_page_lists_the_instructors_queue(client, world):
    from fonds.dossiers.services import perform

    perform(world["mine"], "submit", by=world["porteur"])
    client.force_login(make_user("instructeur"))
    html = client.get(reverse("task-list")).content.decode()
    assert world["mine"].reference in html


def test_documents_are_served_only_to_who_may_see_the_dossier(client, world):
    from django.urls import reverse

    document = world["mine"].documents.first()
    url = reverse("dossier-document", args=[world["mine"].pk, document.pk])
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(make_user("porteur", commune=world["theirs"].commune))
    assert client.get(url).status_code == 404
    client.force_login(world["porteur"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_dossier_document_is_never_kept_in_a_browser_cache(client, world):
    """A RIB or a délibération opened on a shared mairie computer stays out of its cache."""
    document = world["mine"].documents.first()
    client.force_login(world["porteur"])
    response = client.get(reverse("dossier-document", args=[world["mine"].pk, document.pk]))
    assert response["Cache-Control"] == "private, no-store"
    assert (
        response["X-Content-Type-Options"] == "nosniff" and response["Content-Security-Policy"] == "sandbox"
    )


def test_porteur_lands_on_mes_dossiers_of_the_front_office(client, world):
    client.force_login(world["porteur"])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("depot:my-dossiers")


def test_withdraw_from_the_dossier_page_goes_to_the_front_office_page(client, world):
    client.force_login(world["porteur"])
    html = client.get(reverse("dossier-detail", args=[world["mine"].pk])).content.decode()
    assert reverse("suivi:withdraw", args=[world["mine"].pk]) in html
    response = client.get(reverse("dossier-transition", args=[world["mine"].pk, "withdraw"]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "suivi:withdraw", args=[world["mine"].pk]
    )
