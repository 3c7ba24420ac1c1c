"""Journey 2: a dossier built in steps, each saved as an audited draft, resumable, bad input kept."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import BudgetLine, Document, Dossier
from fonds.referentiel.models import Jumelage, PartnerTown
from tests.factories import PDF_BYTES, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


def events(dossier, action=None):
    qs = AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk))
    return qs.filter(action=action) if action else qs


def step_url(dossier, step):
    return reverse("depot:step", args=[dossier.pk, step])


def test_new_dossier_first_step_creates_an_audited_draft(porteur_client, campaign, porteur):
    start = clock.today() + dt.timedelta(days=60)
    response = porteur_client.post(
        reverse("depot:new", args=[campaign.pk]),
        {
            "title": "Rencontre sportive à Mutlangen",
            "summary": "Une semaine de sport.",
            "objectives": "Découvrir l'allemand.",
            "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(days=6)).isoformat(),
            "activity_days": "5",
            "action": "next",
        },
    )
    dossier = Dossier.objects.get(title="Rencontre sportive à Mutlangen")
    assert response.status_code == 302 and response["Location"] == step_url(dossier, "partenariat")
    assert (
        dossier.status == "draft" and dossier.commune_id == porteur.commune_id and dossier.activity_days == 5
    )
    assert events(dossier, "create_draft").count() == 1


def test_project_step_saves_and_audits(porteur_client, empty_draft):
    response = porteur_client.post(
        step_url(empty_draft, "projet"),
        {
            "title": "Nouveau titre",
            "summary": "Résumé",
            "objectives": "",
            "start_date": "",
            "end_date": "",
            "activity_days": "",
            "action": "stay",
        },
    )
    assert response.status_code == 302 and response["Location"] == step_url(empty_draft, "projet")
    empty_draft.refresh_from_db()
    assert empty_draft.title == "Nouveau titre" and empty_draft.summary == "Résumé"
    event = events(empty_draft, "update_content").get()
    assert event.data["payload"]["fields"] == {"title": "Nouveau titre", "summary": "Résumé"}


def test_summary_over_2000_characters_is_refused_in_french_and_kept(porteur_client, empty_draft):
    long_text = "é" * 2001
    response = porteur_client.post(
        step_url(empty_draft, "projet"), {"title": "Titre modifié", "summary": long_text, "action": "next"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Le résumé ne peut dépasser 2 000 caractères" in html and "erreur" in html
    assert long_text in html and "Titre modifié" in html  # what was typed is kept
    empty_draft.refresh_from_db()
    assert empty_draft.title == "Brouillon à compléter" and not events(empty_draft, "update_content").exists()


def test_dates_in_wrong_order_are_refused(porteur_client, empty_draft):
    response = porteur_client.post(
        step_url(empty_draft, "projet"), {"title": "T", "start_date": "2027-05-10", "end_date": "10/05/2026"}
    )
    assert "Le dernier jour doit être le même jour que le premier ou après." in response.content.decode()
    assert not events(empty_draft, "update_content").exists()


def test_partnership_step_creates_partner_town_and_jumelage(porteur_client, empty_draft):
    response = porteur_client.post(
        step_url(empty_draft, "partenariat"),
        {
            "partner_name": "Mutlangen",
            "country": "DE",
            "kind": "twinning",
            "agreement_date": "2012-06-01",
            "latitude": "48,8253",
            "longitude": "9,7964",
            "action": "next",
        },
    )
    assert response.status_code == 302 and response["Location"] == step_url(empty_draft, "participants")
    empty_draft.refresh_from_db()
    jumelage = empty_draft.jumelage
    assert (
        jumelage.commune_id == empty_draft.commune_id
        and jumelage.partner.name == "Mutlangen"
        and jumelage.partner.country == "DE"
    )
    assert jumelage.partner.latitude == Decimal("48.825300") and jumelage.agreement_date == dt.date(
        2012, 6, 1
    )
    assert (
        AuditEvent.objects.filter(
            action="jumelage_saved", object_type="referentiel.jumelage", object_id=str(jumelage.pk)
        ).count()
        == 1
    )
    assert events(empty_draft, "update_content").get().data["payload"]["fields"] == {"jumelage": jumelage.pk}
    # saved again identically: nothing new is written nor audited
    porteur_client.post(
        step_url(empty_draft, "partenariat"),
        {
            "partner_name": "mutlangen ",
            "country": "DE",
            "kind": "twinning",
            "agreement_date": "01/06/2012",
            "latitude": "48.8253",
            "longitude": "9.7964",
        },
    )
    assert (
        PartnerTown.objects.count() == 1 and AuditEvent.objects.filter(action="jumelage_saved").count() == 1
    )


def test_partnership_renamed_while_typing_leaves_no_stray_partner(porteur_client, empty_draft):
    for name in ("Mut", "Mutlangen"):
        porteur_client.post(
            step_url(empty_draft, "partenariat"),
            {"partner_name": name, "country": "DE", "kind": "twinning", "letter_of_intent": "on"},
            HTTP_X_AUTOSAVE="1",
        )
    assert list(PartnerTown.objects.values_list("name", flat=True)) == ["Mutlangen"]
    assert Jumelage.objects.count() == 1


def test_partnership_refuses_france_and_half_coordinates(porteur_client, empty_draft):
    html = porteur_client.post(
        step_url(empty_draft, "partenariat"),
        {"partner_name": "Lyon", "country": "FR", "kind": "twinning", "latitude": "45,7"},
    ).content.decode()
    assert "Choisissez un pays de la liste (la France n&#x27;en fait pas partie)." in html
    assert "Indiquez la latitude et la longitude, ou aucune des deux." in html
    assert 'value="Lyon"' in html
    assert not PartnerTown.objects.exists()


def test_participants_step_parses_ages(porteur_client, empty_draft):
    response = porteur_client.post(
        step_url(empty_draft, "participants"),
        {
            "youth_ages": "14, 15; 15 16\n17",
            "leader_ages": "34, 52",
            "youth_fewer_opportunities": "2",
            "youth_first_travel": "3",
        },
    )
    assert response.status_code == 302
    empty_draft.refresh_from_db()
    assert empty_draft.youth_ages == [14, 15, 15, 16, 17] and empty_draft.leader_ages == [34, 52]
    sealed = events(empty_draft, "update_content").get().data["payload"]["fields"]["youth_ages"]
    assert sealed["count"] == 5 and set(sealed) == {
        "minors_data",
        "count",
        "hmac_sha256",
    }  # ages sealed in the trail (fonds/privacy)


def test_participants_bad_age_is_refused_and_kept(porteur_client, empty_draft):
    html = porteur_client.post(
        step_url(empty_draft, "participants"),
        {
            "youth_ages": "14, quinze, 16",
            "leader_ages": "40",
            "youth_fewer_opportunities": "5",
            "youth_first_travel": "0",
        },
    ).content.decode()
    assert "« quinze » n&#x27;est pas un âge" in html
    assert "14, quinze, 16" in html
    empty_draft.refresh_from_db()
    assert empty_draft.youth_ages == [] and not events(empty_draft, "update_content").exists()


def test_participants_counts_cannot_exceed_youth(porteur_client, empty_draft):
    html = porteur_client.post(
        step_url(empty_draft, "participants"),
        {
            "youth_ages": "14, 15",
            "leader_ages": "40",
            "youth_fewer_opportunities": "3",
            "youth_first_travel": "0",
        },
    ).content.decode()
    assert "Ce nombre ne peut dépasser le nombre de jeunes participants (2)." in html


def test_travel_step_declared_distance_when_coordinates_unknown(porteur_client, empty_draft):
    html = porteur_client.get(step_url(empty_draft, "voyage")).content.decode()
    assert 'name="distance_km"' in html
    response = porteur_client.post(
        step_url(empty_draft, "voyage"),
        {
            "travel_mode": "train",
            "low_carbon": "on",
            "distance_km": "850",
            "nights": "8",
            "nights_hosted": "4",
        },
    )
    assert response.status_code == 302
    empty_draft.refresh_from_db()
    assert (
        empty_draft.travel_mode,
        empty_draft.low_carbon,
        empty_draft.distance_km,
        empty_draft.nights,
        empty_draft.nights_hosted,
    ) == ("train", True, 850, 8, 4)
    fields = events(empty_draft, "update_content").get().data["payload"]["fields"]
    assert fields == {
        "travel_mode": "train",
        "low_carbon": True,
        "distance_km": 850,
        "nights": 8,
        "nights_hosted": 4,
    }


def test_travel_step_computes_distance_from_both_towns(client, campaign):
    commune = make_commune(population=700, latitude=Decimal("48.856600"), longitude=Decimal("2.352200"))
    porteur = make_user("porteur", commune=commune)
    dossier = make_dossier(campaign=campaign, commune=commune, porteur=porteur)  # partner in Munich
    client.force_login(porteur)
    html = client.get(step_url(dossier, "voyage")).content.decode()
    assert 'name="distance_km"' not in html and "Distance aller entre les deux mairies : 684\u00a0km" in html
    client.post(
        step_url(dossier, "voyage"),
        {"travel_mode": "train", "low_carbon": "on", "distance_km": "5", "nights": "8", "nights_hosted": "4"},
    )
    dossier.refresh_from_db()
    assert dossier.distance_km == 684  # the computed distance, not a declared one


def test_travel_refuses_more_hosted_nights_and_plane_as_low_carbon(porteur_client, empty_draft):
    html = porteur_client.post(
        step_url(empty_draft, "voyage"),
        {
            "travel_mode": "plane",
            "low_carbon": "on",
            "distance_km": "850",
            "nights": "3",
            "nights_hosted": "4",
        },
    ).content.decode()
    assert "Les nuitées en familles ne peuvent dépasser le nombre total de nuitées (3)." in html
    assert "Un voyage bas carbone se fait en train ou en car" in html
    assert not events(empty_draft, "update_content").exists()


def budget_post(expenses, incomes, requested="5000", **extra):
    data = {
        "depenses-TOTAL_FORMS": str(len(expenses)),
        "depenses-INITIAL_FORMS": "0",
        "recettes-TOTAL_FORMS": str(len(incomes)),
        "recettes-INITIAL_FORMS": "0",
        "requested_amount": requested,
    }
    for i, (category, amount, eligible) in enumerate(expenses):
        data.update(
            {f"depenses-{i}-category": category, f"depenses-{i}-amount": amount, f"depenses-{i}-label": ""}
        )
        if eligible:
            data[f"depenses-{i}-eligible"] = "on"
    for i, (category, amount) in enumerate(incomes):
        data.update({f"recettes-{i}-category": category, f"recettes-{i}-amount": amount})
    data.update(extra)
    return data


def test_budget_step_replaces_lines_and_audits(porteur_client, empty_draft):
    data = budget_post(
        [
            ("travel", "6000", True),
            ("food", "1 500,50", True),
            ("other_expense", "300", False),
            ("", "", False),
        ],
        [("own_share", "2000"), ("participants", "800")],
        requested="5000,00",
    )
    response = porteur_client.post(step_url(empty_draft, "budget"), data)
    assert response.status_code == 302 and response["Location"] == step_url(empty_draft, "pieces")
    lines = sorted(
        (line.kind, line.category, line.amount, line.eligible)
        for line in BudgetLine.objects.filter(dossier=empty_draft)
    )
    assert lines == [
        ("expense", "food", Decimal("1500.50"), True),
        ("expense", "other_expense", Decimal("300.00"), False),
        ("expense", "travel", Decimal("6000.00"), True),
        ("income", "own_share", Decimal("2000.00"), False),
        ("income", "participants", Decimal("800.00"), False),
    ]
    empty_draft.refresh_from_db()
    assert empty_draft.requested_amount == Decimal("5000.00")
    payload = events(empty_draft, "update_content").get().data["payload"]
    assert len(payload["budget_lines"]) == 5 and payload["fields"] == {"requested_amount": "5000.00"}
    # the page shows the totals of what is saved
    html = porteur_client.get(step_url(empty_draft, "budget")).content.decode()
    assert "7\u00a0800,50\u00a0€" in html
    # same data again: no new budget in the trail
    porteur_client.post(step_url(empty_draft, "budget"), data)
    assert events(empty_draft, "update_content").count() == 1


def test_budget_untouched_blank_line_is_ignored(porteur_client, empty_draft):
    data = budget_post([("travel", "100", True), ("", "", True)], [("own_share", "50"), ("", "")])
    response = porteur_client.post(step_url(empty_draft, "budget"), data)
    assert response.status_code == 302
    assert BudgetLine.objects.filter(dossier=empty_draft).count() == 2


def test_budget_deleted_line_is_removed(porteur_client, empty_draft):
    porteur_client.post(
        step_url(empty_draft, "budget"), budget_post([("travel", "100", True), ("food", "50", True)], [])
    )
    porteur_client.post(
        step_url(empty_draft, "budget"),
        budget_post([("travel", "100", True), ("food", "50", True)], [], **{"depenses-1-DELETE": "on"}),
    )
    assert list(BudgetLine.objects.filter(dossier=empty_draft).values_list("category", flat=True)) == [
        "travel"
    ]


def test_budget_line_without_amount_is_refused(porteur_client, empty_draft):
    html = porteur_client.post(
        step_url(empty_draft, "budget"), budget_post([("travel", "", True)], [("own_share", "-5")])
    ).content.decode()
    assert "Indiquez le montant de cette ligne." in html and "Le montant ne peut pas être négatif." in html
    assert not BudgetLine.objects.filter(dossier=empty_draft).exists()


def test_budget_add_line_without_javascript(porteur_client, empty_draft):
    response = porteur_client.post(
        step_url(empty_draft, "budget"), budget_post([("travel", "100", True)], [], action="add-depenses")
    )
    assert response["Location"].endswith("?ajout=depenses#depenses")
    html = porteur_client.get(response["Location"]).content.decode()
    assert 'name="depenses-TOTAL_FORMS" value="3"' in html  # the saved line + 2 blank ones


def test_documents_step_uploads_audits_and_replaces(porteur_client, empty_draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = porteur_client.post(
        step_url(empty_draft, "pieces"),
        {
            "deliberation": SimpleUploadedFile("délibération.pdf", PDF_BYTES),
            "rib": SimpleUploadedFile("rib.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100),
            "action": "stay",
        },
    )
    assert response.status_code == 302
    assert events(empty_draft, "document_uploaded").count() == 2
    first = Document.objects.get(dossier=empty_draft, kind="deliberation")
    html = porteur_client.get(step_url(empty_draft, "pieces")).content.decode()
    assert (
        reverse("dossier-document", args=[empty_draft.pk, first.pk]) in html
        and "Remplacer par un autre fichier" in html
    )
    porteur_client.post(
        step_url(empty_draft, "pieces"), {"deliberation": SimpleUploadedFile("v2.pdf", PDF_BYTES + b"\n")}
    )
    first.refresh_from_db()
    assert first.replaced_by is not None and events(empty_draft, "document_uploaded").count() == 3


def test_documents_step_refuses_a_fake_pdf_in_french(porteur_client, empty_draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    html = porteur_client.post(
        step_url(empty_draft, "pieces"), {"rib": SimpleUploadedFile("rib.pdf", b"MZ not a pdf")}
    ).content.decode()
    assert "Seuls les fichiers PDF, JPEG et PNG sont acceptés" in html
    assert not Document.objects.filter(dossier=empty_draft).exists()


def test_resume_lands_on_first_incomplete_step(porteur_client, empty_draft, draft):
    assert porteur_client.get(reverse("depot:resume", args=[empty_draft.pk]))["Location"] == step_url(
        empty_draft, "projet"
    )
    Dossier.objects.filter(pk=empty_draft.pk).update(
        summary="s",
        objectives="o",
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 1, 8),
        activity_days=6,
    )
    assert porteur_client.get(reverse("depot:resume", args=[empty_draft.pk]))["Location"] == step_url(
        empty_draft, "partenariat"
    )
    # a complete draft lands on the check page
    assert porteur_client.get(reverse("depot:resume", args=[draft.pk]))["Location"] == reverse(
        "depot:check", args=[draft.pk]
    )


def test_stepper_shows_complete_steps(porteur_client, draft):
    Document.objects.filter(dossier=draft, kind="rib").delete()
    html = porteur_client.get(step_url(draft, "budget")).content.decode()
    assert "Étape 5 sur 6" in html
    assert html.count('fr-badge--success fr-ml-1w">Complète') == 5 and html.count("À compléter") == 1
    assert 'aria-current="step"' in html


def test_autosave_saves_and_answers_json(porteur_client, empty_draft):
    response = porteur_client.post(
        step_url(empty_draft, "projet"),
        {"title": "Titre en cours de frappe", "summary": ""},
        HTTP_X_AUTOSAVE="1",
    )
    assert response.status_code == 200 and response.json()["saved"] is True
    empty_draft.refresh_from_db()
    assert (
        empty_draft.title == "Titre en cours de frappe" and events(empty_draft, "update_content").count() == 1
    )


def test_autosave_refuses_invalid_input_and_saves_nothing(porteur_client, empty_draft):
    response = porteur_client.post(
        step_url(empty_draft, "participants"),
        {
            "youth_ages": "14, abc",
            "leader_ages": "",
            "youth_fewer_opportunities": "0",
            "youth_first_travel": "0",
        },
        HTTP_X_AUTOSAVE="1",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["saved"] is False and "n'est pas un âge" in body["errors"][0]["message"]
    assert not events(empty_draft, "update_content").exists()


def test_autosave_of_a_new_dossier_returns_its_url(porteur_client, campaign):
    response = porteur_client.post(
        reverse("depot:new", args=[campaign.pk]), {"title": "Projet"}, HTTP_X_AUTOSAVE="1"
    )
    dossier = Dossier.objects.get(title="Projet")
    assert response.json() == {
        "saved": True,
        "saved_at": response.json()["saved_at"],
        "url": step_url(dossier, "projet"),
    }


def test_autosave_script_is_an_external_file(porteur_client, empty_draft):
    html = porteur_client.get(step_url(empty_draft, "projet")).content.decode()
    assert "depot/depot.js" in html and "data-autosave" in html
    assert "<script>" not in html.replace("<script src", "")


def test_other_commune_draft_is_404(client, draft, campaign):
    stranger = make_user("porteur", commune=make_commune())
    client.force_login(stranger)
    for url in (
        reverse("depot:resume", args=[draft.pk]),
        step_url(draft, "projet"),
        reverse("depot:check", args=[draft.pk]),
        reverse("depot:receipt", args=[draft.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(step_url(draft, "projet"), {"title": "piraté"}).status_code == 404
    assert client.post(reverse("depot:submit", args=[draft.pk]), {"confirm": "on"}).status_code == 404
    draft.refresh_from_db()
    assert draft.title != "piraté" and draft.status == "draft"


def test_submitted_dossier_is_no_longer_editable(porteur_client, draft, porteur):
    from fonds.dossiers.services import perform

    perform(draft, "submit", by=porteur)
    response = porteur_client.post(step_url(draft, "projet"), {"title": "changé"})
    assert response.status_code == 302 and response["Location"] == reverse("dossier-detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.title != "changé"


@pytest.mark.parametrize("step", ["projet", "partenariat", "participants", "voyage", "budget", "pieces"])
def test_step_query_count_does_not_depend_on_the_number_of_dossiers(
    porteur_client, draft, campaign, commune, porteur, step, django_assert_max_num_queries
):
    url = step_url(draft, step)
    with django_assert_max_num_queries(20) as few:
        assert porteur_client.get(url).status_code == 200
    for _ in range(15):
        make_dossier(campaign=campaign, commune=commune, porteur=porteur, complete=False)
        make_dossier(campaign=campaign)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert porteur_client.get(url).status_code == 200


def test_check_page_query_count_does_not_depend_on_the_number_of_dossiers(
    porteur_client, draft, campaign, commune, porteur, django_assert_max_num_queries
):
    url = reverse("depot:check", args=[draft.pk])
    with django_assert_max_num_queries(25) as few:
        porteur_client.get(url)
    for _ in range(15):
        make_dossier(campaign=campaign, commune=commune, porteur=porteur, complete=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        porteur_client.get(url)


def test_autosave_of_a_plain_step_reads_neither_budget_lines_nor_documents(
    porteur_client, draft, django_assert_max_num_queries
):
    """Issue 8: saving the project step (autosave: every few seconds while typing) does not read
    what only the page shows; a refused form still shows the full page."""
    with django_assert_max_num_queries(30) as saved:
        response = porteur_client.post(
            step_url(draft, "projet"),
            {"title": "Titre modifié", "summary": draft.summary},
            HTTP_X_AUTOSAVE="1",
        )
    assert response.status_code == 200 and response.json()["saved"] is True
    tables = " ".join(q["sql"] for q in saved.captured_queries)
    assert "dossiers_budgetline" not in tables and "dossiers_document" not in tables
    shown = porteur_client.get(step_url(draft, "projet")).content.decode()
    refused = porteur_client.post(step_url(draft, "projet"), {"title": "", "summary": ""}).content.decode()
    complete = 'fr-badge--success fr-ml-1w">Complète'
    assert "Brouillon non enregistré" in refused or "error" in refused
    assert (
        refused.count(complete) == shown.count(complete) == 5
    )  # the stepper, from the budget lines and documents too
