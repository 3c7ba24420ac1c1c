"""Labels (issue 20): coloured labels per campaign, put on dossiers one by one or on a selection,
filtering the list and the exports, audited — and never shown to the commune."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse
from rest_framework.test import APIClient

from fonds.audit.models import AuditEvent
from fonds.bulk import services as bulk
from fonds.bulk.models import BulkJob
from fonds.dossiers.services import TransitionRefused, perform
from fonds.instruction import labels
from fonds.instruction.filters import filter_dossiers
from fonds.instruction.models import DossierLabel, InstructorConflict, SavedFilter
from fonds.reporting import decisions, exports
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db
NAME = "priorité préfecture"


@pytest.fixture
def label(world):
    return labels.create_label(world["campaign"], by=world["instructeur"], name=NAME, colour="pink-tuile")


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_an_instructor_defines_a_coloured_label_for_a_campaign(client, world):
    client.force_login(world["instructeur"])
    response = client.post(
        reverse("instruction:labels"),
        {"campaign": world["campaign"].pk, "name": "à revoir", "colour": "green-menthe"},
    )
    assert response.status_code == 302
    (event,) = _events("label_created")
    assert event.object_type == "instruction.label"
    assert event.data["payload"]["label"] == "à revoir"
    page = client.get(reverse("instruction:labels")).content.decode()
    assert "fr-badge--green-menthe" in page and "à revoir" in page


def test_a_label_colour_comes_from_the_dsfr_list(world):
    with pytest.raises(TransitionRefused):
        labels.create_label(world["campaign"], by=world["instructeur"], name="x", colour="red")


def test_a_label_name_is_unique_within_its_campaign_not_across_campaigns(world, label):
    with pytest.raises(TransitionRefused) as refused:
        labels.create_label(world["campaign"], by=world["instructeur"], name=NAME, colour="blue-ecume")
    assert "existe déjà" in refused.value.message
    labels.create_label(make_campaign(), by=world["instructeur"], name=NAME, colour="blue-ecume")


def test_only_instructors_and_administrators_write_labels(world):
    for role in ("auditeur", "comite", "finance", "porteur"):
        with pytest.raises(TransitionRefused):
            labels.create_label(world["campaign"], by=make_user(role), name=role, colour="blue-ecume")


def test_a_label_is_put_on_a_dossier_and_taken_off_from_its_page_each_audited(client, world, label):
    dossier = world["dossier"]
    client.force_login(world["instructeur"])
    url = reverse("instruction:dossier-labels", args=[dossier.pk])
    assert client.post(url, {"label": label.pk}).status_code == 302
    page = client.get(reverse("instruction:dossier", args=[dossier.pk])).content.decode()
    assert f"Retirer l'étiquette {NAME}" in page and "fr-tag--pink-tuile" in page
    assert client.post(url, {"retirer": label.pk}).status_code == 302
    assert not DossierLabel.objects.exists()
    attached, detached = _events("label_attached"), _events("label_detached")
    assert [e.data["payload"]["reference"] for e in attached + detached] == [dossier.reference] * 2
    # about the label, never about the dossier (whose events the commune reads)
    assert {e.object_type for e in attached + detached} == {"instruction.label"}


def test_a_label_of_another_campaign_is_refused(world):
    other = labels.create_label(make_campaign(), by=world["instructeur"], name="x", colour="blue-ecume")
    with pytest.raises(TransitionRefused) as refused:
        labels.attach(world["dossier"], other, by=world["instructeur"])
    assert "autre campagne" in refused.value.message


def test_a_label_is_put_only_once(world, label):
    labels.attach(world["dossier"], label, by=world["instructeur"])
    with pytest.raises(TransitionRefused):
        labels.attach(world["dossier"], label, by=world["instructeur"])


def test_an_instructor_with_a_declared_link_cannot_label_the_dossier(world, label):
    linked = make_user("instructeur")
    InstructorConflict.objects.create(user=linked, commune=world["commune"], motivation="Élu")
    with pytest.raises(TransitionRefused):
        labels.attach(world["dossier"], label, by=linked)


def test_an_auditor_reads_labels_but_cannot_post_them(client, world, label):
    labels.attach(world["dossier"], label, by=world["instructeur"])
    client.force_login(make_user("auditeur"))
    page = client.get(reverse("instruction:dossier", args=[world["dossier"].pk])).content.decode()
    assert NAME in page and "Ajouter l'étiquette" not in page
    url = reverse("instruction:dossier-labels", args=[world["dossier"].pk])
    assert client.post(url, {"retirer": label.pk}).status_code == 403
    assert DossierLabel.objects.count() == 1


def test_the_list_filters_by_label_in_bounded_queries(client, world, label, django_assert_max_num_queries):
    communes = [make_commune(population=p) for p in (500, 1500)]
    for i in range(12):
        d = make_dossier(campaign=world["campaign"], commune=communes[i % 2], complete=False, title=f"P{i}")
        if i % 3 == 0:
            DossierLabel.objects.create(dossier=d, label=label, added_by=world["instructeur"])
    client.force_login(world["instructeur"])
    for size in ("25", "100"):
        with django_assert_max_num_queries(10):
            response = client.get(reverse("instruction:list"), {"label": label.pk, "taille": size})
        assert response.status_code == 200
        assert response.context["page"].count == 4
    assert client.get(reverse("instruction:list"), {"label": "x"}).status_code == 400


def test_a_bulk_action_puts_a_label_on_the_whole_selection_and_lists_refusals(world, label):
    other_campaign = make_dossier(complete=False)
    ids = [world["dossier"].pk, other_campaign.pk]
    job = bulk.create_job(
        user=world["instructeur"],
        action=BulkJob.Action.ADD_LABEL,
        querystring="",
        params={"label": label.pk, "label_name": label.name},
        dossier_ids=ids,
    )
    job = bulk.run_job(job.pk)
    assert (job.succeeded, job.failed) == (1, 1)
    assert "autre campagne" in job.failures.get().reason
    assert list(DossierLabel.objects.values_list("dossier_id", flat=True)) == [world["dossier"].pk]
    (event,) = _events("label_attached")
    assert event.data["payload"]["bulk_job"] == job.pk
    removal = bulk.create_job(
        user=world["instructeur"],
        action=BulkJob.Action.REMOVE_LABEL,
        querystring="",
        params={"label": label.pk},
        dossier_ids=ids,
    )
    assert bulk.run_job(removal.pk).succeeded == 1
    assert not DossierLabel.objects.exists()


def test_the_bulk_confirmation_offers_the_labels(client, world, label):
    client.force_login(world["instructeur"])
    page = client.get(reverse("instruction:bulk"), {"querystring": ""}).content.decode()
    assert f"{world['campaign'].name} — {NAME}" in page and "Ajouter une étiquette" in page


def test_the_decision_export_has_a_labels_column_and_filters_by_label(world, label):
    labels.attach(world["dossier"], label, by=world["instructeur"])
    unlabelled = make_dossier(campaign=world["campaign"])
    perform(unlabelled, "submit", by=unlabelled.created_by)
    saved = SavedFilter.objects.create(
        user=world["instructeur"], name="prio", querystring=f"label={label.pk}"
    )
    qs, _ = exports.selection(saved_filter=saved)
    cols = decisions.columns(qs)
    rows = [dict(zip([c.key for c in cols], row, strict=True)) for row in decisions.iter_rows(qs, cols)]
    assert [(r["reference"], r["etiquettes"]) for r in rows] == [(world["dossier"].reference, NAME)]
    everything, _ = filter_dossiers(world["instructeur"], QueryDict(""))
    assert everything.count() == 2


def test_labels_never_show_to_the_commune(client, world, label):
    dossier = world["dossier"]
    labels.attach(dossier, label, by=world["instructeur"])
    client.force_login(world["porteur"])
    for url in (
        reverse("dossier-detail", args=[dossier.pk]),
        reverse("suivi:dossier", args=[dossier.pk]),
        reverse("depot:my-dossiers"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert NAME not in body and "tiquette" not in body, url
    api = APIClient()
    api.force_authenticate(world["porteur"])
    for url in (
        f"/api/v1/dossiers/{dossier.pk}/",
        f"/api/v1/dossiers/{dossier.pk}/audit/",
        "/api/v1/dossiers/",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert NAME not in body, url
        assert "label_attached" not in body and "pink-tuile" not in body, url
