"""What the mayor publishes (issue 22): the public summary from the convention step with a preview
of exactly what will be public, a public paragraph after the trip; the fund's administrator hides
them with a motivation, in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.public import publishing
from fonds.public.models import Publication
from tests.factories import make_commune, make_user

from .conftest import public_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def mayor():
    commune = make_commune()
    return make_user("porteur", commune=commune)


def _edit(dossier):
    return reverse("publication:edit", args=[dossier.pk])


def test_the_mayor_writes_the_summary_at_the_convention_step_and_nothing_is_public_yet(
    client, mayor, settings
):
    settings.FJJ_PUBLIC_CACHE_SECONDS = 0
    dossier = public_project(Status.APPROVED, commune=mayor.commune)
    client.force_login(mayor)
    response = client.post(_edit(dossier), {"summary": "Nos jeunes découvrent Florence.", "save": "1"})
    assert response.status_code == 302
    assert Publication.objects.get(dossier=dossier).summary == "Nos jeunes découvrent Florence."
    client.logout()
    assert "Nos jeunes découvrent Florence." not in client.get(reverse("public:list")).content.decode()
    assert client.get(reverse("public:detail", args=[dossier.reference])).status_code == 404


def test_the_preview_shows_exactly_what_will_be_public_without_saving(client, mayor):
    dossier = public_project(commune=mayor.commune)
    client.force_login(mayor)
    response = client.post(_edit(dossier), {"summary": "Texte en cours d'écriture.", "preview": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Aperçu (non enregistré)" in page and "Texte en cours d&#x27;écriture." in page
    assert not Publication.objects.filter(dossier=dossier).exists()
    publishing.save_texts(dossier, by=mayor, summary="Texte en cours d'écriture.")
    client.logout()
    public = client.get(reverse("public:detail", args=[dossier.reference])).content.decode()
    assert "Texte en cours d&#x27;écriture." in public


def test_saving_the_public_texts_is_audited(mayor):
    dossier = public_project(commune=mayor.commune)
    publishing.save_texts(dossier, by=mayor, summary="Un résumé.")
    event = AuditEvent.objects.filter(action="public_texts_saved", object_id=str(dossier.pk)).get()
    assert event.actor_id == mayor.pk


def test_only_the_commune_of_the_dossier_writes_its_public_texts(mayor):
    dossier = public_project(commune=mayor.commune)
    other = make_user("porteur", commune=make_commune())
    with pytest.raises(publishing.PublicationRefused):
        publishing.save_texts(dossier, by=other, summary="Intrus.")
    with pytest.raises(publishing.PublicationRefused):
        publishing.save_texts(dossier, by=make_user("admin"), summary="Intrus.")


def test_no_public_summary_before_the_convention_step(mayor):
    dossier = public_project(Status.IN_COMMITTEE, commune=mayor.commune)
    with pytest.raises(publishing.PublicationRefused):
        publishing.save_texts(dossier, by=mayor, summary="Trop tôt.")


def test_the_public_paragraph_of_the_final_report_comes_after_the_trip(mayor, past):
    upcoming = public_project(Status.ADVANCE_PAID, commune=mayor.commune)
    with pytest.raises(publishing.PublicationRefused):
        publishing.save_texts(upcoming, by=mayor, report_paragraph="Pas encore parti.")
    done = public_project(Status.ADVANCE_PAID, commune=mayor.commune, **past)
    publishing.save_texts(done, by=mayor, report_paragraph="Un voyage réussi.")
    assert Publication.objects.get(dossier=done).report_paragraph == "Un voyage réussi."


def test_the_paragraph_field_is_offered_only_after_the_trip(client, mayor, past):
    upcoming = public_project(Status.AGREEMENT_SIGNED, commune=mayor.commune)
    done = public_project(Status.REPORT_SUBMITTED, commune=mayor.commune, **past)
    client.force_login(mayor)
    assert "report_paragraph" not in client.get(_edit(upcoming)).content.decode()
    assert 'name="report_paragraph"' in client.get(_edit(done)).content.decode()


def test_the_administrator_hides_a_summary_with_a_motivation_in_the_audit_trail(mayor, settings):
    settings.FJJ_PUBLIC_CACHE_SECONDS = 0
    admin = make_user("admin")
    dossier = public_project(commune=mayor.commune)
    publishing.save_texts(dossier, by=mayor, summary="Propos déplacés.")
    with pytest.raises(publishing.PublicationRefused):
        publishing.set_hidden(dossier, by=admin, hidden=True, motivation="")
    with pytest.raises(publishing.PublicationRefused):
        publishing.set_hidden(dossier, by=mayor, hidden=True, motivation="Je me masque moi-même.")
    publishing.set_hidden(dossier, by=admin, hidden=True, motivation="Propos contraires à la charte.")
    event = AuditEvent.objects.get(action="public_texts_hidden", object_id=str(dossier.pk))
    assert "Propos contraires à la charte." in event.canonical
    publishing.set_hidden(dossier, by=admin, hidden=False, motivation="Texte corrigé par la commune.")
    assert AuditEvent.objects.filter(action="public_texts_shown", object_id=str(dossier.pk)).exists()


def test_the_hiding_page_asks_the_motivation(client):
    admin = make_user("admin")
    dossier = public_project()
    client.force_login(admin)
    url = reverse("publication:hide", args=[dossier.pk])
    assert client.post(url, {"motivation": ""}).status_code == 400
    assert client.post(url, {"motivation": "Propos hors sujet."}).status_code == 302
    assert Publication.objects.get(dossier=dossier).hidden


def test_publication_texts_are_limited_in_length(mayor):
    dossier = public_project(commune=mayor.commune)
    with pytest.raises(publishing.PublicationRefused):
        publishing.save_texts(dossier, by=mayor, summary="x" * 1501)


def test_a_publication_change_reaches_the_cached_page_at_once(
    client, mayor, django_capture_on_commit_callbacks
):
    dossier = public_project(commune=mayor.commune)
    assert "Nouveau résumé." not in client.get(reverse("public:list")).content.decode()  # now cached
    with django_capture_on_commit_callbacks(execute=True):  # the cache generation moves on commit
        publishing.save_texts(dossier, by=mayor, summary="Nouveau résumé.")
    assert "Nouveau résumé." in client.get(reverse("public:list")).content.decode()


def test_the_trip_is_over_once_its_last_day_has_passed(mayor):
    dossier = public_project(commune=mayor.commune, end_date=dt.date.today() - dt.timedelta(days=1))
    assert publishing.trip_over(dossier)
