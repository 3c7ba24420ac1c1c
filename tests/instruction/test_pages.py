"""Instruction back-office pages: who may reach them, what they show, every change through a form."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fonds import clock
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import CorrectionRequest, Message
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from fonds.eligibilite.models import Verdict
from fonds.instruction import services
from fonds.instruction.models import PrivateNote, SavedFilter, Score
from tests.factories import make_commune, make_dossier, make_user

from .conftest import MANUAL_FULL

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _urls(dossier):
    return [
        reverse("instruction:queues"),
        reverse("instruction:list"),
        reverse("instruction:conflicts"),
        reverse("instruction:dossier", args=[dossier.pk]),
        reverse("instruction:corrections", args=[dossier.pk]),
        reverse("instruction:complete", args=[dossier.pk]),
    ]


@pytest.mark.parametrize("role", ["porteur", "comite", "finance"])
def test_permissions_porteur_committee_and_finance_get_403_on_every_page(client, world, role):
    user = make_user(role, commune=world["commune"] if role == "porteur" else None)
    _login(client, user)
    for url in _urls(world["dossier"]):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Accès réservé" in response.content.decode()
    assert (
        client.post(reverse("instruction:note", args=[world["dossier"].pk]), {"body": "x"}).status_code == 403
    )
    assert not PrivateNote.objects.exists()


def test_permissions_porteur_gets_the_same_403_for_any_dossier_number(client, world):
    _login(client, world["porteur"])
    assert client.get(reverse("instruction:dossier", args=[world["dossier"].pk])).status_code == 403
    assert client.get(reverse("instruction:dossier", args=[999999])).status_code == 403


def test_permissions_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("instruction:queues"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_permissions_auditor_reads_but_never_posts(client, world):
    services.add_note(world["dossier"], by=world["instructeur"], body="Note lisible par un auditeur.")
    auditor = make_user("auditeur")
    _login(client, auditor)
    for url in _urls(world["dossier"])[:4]:
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("instruction:dossier", args=[world["dossier"].pk])).content.decode()
    assert "Note lisible par un auditeur." in page and "Enregistrer la grille" not in page
    for name, data in [
        ("note", {"body": "x"}),
        ("message", {"body": "x"}),
        ("scores", {}),
        ("amount", {}),
        ("recheck", {}),
    ]:
        response = client.post(reverse(f"instruction:{name}", args=[world["dossier"].pk]), data)
        assert response.status_code == 403 and "Lecture seule" in response.content.decode()
    assert client.post(reverse("instruction:save-filter"), {"name": "x"}).status_code == 403
    assert PrivateNote.objects.count() == 1 and not Message.objects.exists()


def test_permissions_admin_reaches_the_pages(client, world):
    _login(client, make_user("admin"))
    assert client.get(reverse("instruction:dossier", args=[world["dossier"].pk])).status_code == 200


def test_instruction_page_shows_the_porteur_entries_documents_verdicts_grid_amount(client, world):
    _login(client, world["instructeur"])
    response = client.get(reverse("instruction:dossier", args=[world["dossier"].pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert world["dossier"].title in html and "Découvrir la langue" in html  # objectives
    doc = world["dossier"].documents.first()
    assert (
        reverse("instruction:document-inline", args=[world["dossier"].pk, doc.pk]) in html
        and "<iframe" in html
    )
    assert "E1" in html and "E9" in html and "Conforme" in html
    assert "Voyage (T)" in html and "Séjour (S)" in html and "Organisation (O)" in html
    assert (
        "Terminer l&#x27;instruction" in html or "Terminer l'instruction" in html
    )  # from available_transitions
    assert "Enregistrer la grille" in html
    dossier = world["dossier"]
    assert (
        f"instructeur : {world['instructeur'].email}" in html and f"par {dossier.created_by.email}" in html
    )  # sub-queries, not joins


def test_document_inline_is_framable_by_this_site_only_and_access_checked(client, world):
    doc = world["dossier"].documents.first()
    url = reverse("instruction:document-inline", args=[world["dossier"].pk, doc.pk])
    _login(client, world["instructeur"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["X-Frame-Options"] == "SAMEORIGIN"
        and "frame-ancestors 'self'" in response["Content-Security-Policy"]
    )
    assert "attachment" not in response.get("Content-Disposition", "")
    assert (
        client.get(reverse("instruction:document-inline", args=[world["dossier"].pk, 999999])).status_code
        == 404
    )


def test_grid_form_records_scores_and_keeps_input_on_error(client, world):
    _login(client, world["instructeur"])
    url = reverse("instruction:scores", args=[world["dossier"].pk])
    data = {f"{code}_points": points for code, points in MANUAL_FULL.items()}
    data.update({f"{code}_comment": "Très bien." for code in MANUAL_FULL})
    bad = {**data, "budget_points": "11", "quality_comment": ""}
    response = client.post(url, bad)
    html = response.content.decode()
    assert response.status_code == 400 and "De 0 à 10 points." in html and "Justifiez la note" in html
    assert 'value="25"' in html  # nothing lost
    assert not Score.objects.exists()
    response = client.post(url, data)
    assert response.status_code == 302
    assert Score.objects.filter(dossier=world["dossier"]).count() == 6


def test_amount_form_amend_requires_motivation(client, world):
    _login(client, world["instructeur"])
    url = reverse("instruction:amount", args=[world["dossier"].pk])
    response = client.post(url, {"amount": "3000", "motivation": ""})
    assert response.status_code == 400 and "exige une motivation" in response.content.decode()
    assert client.post(url, {"amount": "3000", "motivation": "Nuitées réduites."}).status_code == 302
    assert services.current_proposal(world["dossier"]).amount == 3000


def test_override_page_requires_motivation_and_confirmation(client, world):
    run = services.latest_run(world["dossier"])
    verdict = run.verdicts.get(code="E5")
    Verdict.objects.filter(pk=verdict.pk).update(result=Verdict.Result.FAIL)
    _login(client, world["instructeur"])
    url = reverse("instruction:override", args=[world["dossier"].pk, verdict.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"motivation": "", "confirm": "on"})
    assert response.status_code == 400 and "exige une motivation" in response.content.decode()
    assert (
        client.post(url, {"motivation": "Dates confirmées par le partenaire.", "confirm": "on"}).status_code
        == 302
    )
    page = client.get(reverse("instruction:dossier", args=[world["dossier"].pk])).content.decode()
    assert "Dates confirmées par le partenaire." in page and "Écarté" in page


def test_request_corrections_form_picks_fields_documents_and_deadline(client, world):
    _login(client, world["instructeur"])
    url = reverse("instruction:corrections", args=[world["dossier"].pk])
    page = client.get(url).content.decode()
    default = (clock.today() + dt.timedelta(days=15)).isoformat()
    assert default in page and 'value="objectives"' in page and 'value="rib"' in page
    response = client.post(url, {"message": "Précisez.", "deadline": default, "confirm": "on"})
    assert response.status_code == 400 and "au moins un champ" in response.content.decode()
    deadline = clock.today() + dt.timedelta(days=10)
    response = client.post(
        url,
        {
            "fields_to_fix": ["objectives", "budget_lines"],
            "documents": ["rib"],
            "message": "Programme et RIB à jour, svp.",
            "deadline": deadline.isoformat(),
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.CORRECTIONS_REQUESTED
    request = CorrectionRequest.objects.get(dossier=world["dossier"])
    assert (
        request.fields == ["objectives", "budget_lines"]
        and request.documents == ["rib"]
        and request.message == "Programme et RIB à jour, svp."
    )
    assert timezone.localdate(request.deadline) == deadline


def test_complete_page_refuses_then_completes(client, world):
    _login(client, world["instructeur"])
    url = reverse("instruction:complete", args=[world["dossier"].pk])
    response = client.post(url, {"opinion": "favourable", "confirm": "on"})
    assert response.status_code == 400 and "non noté" in response.content.decode()
    services.record_scores(
        world["dossier"], by=world["instructeur"], scores={k: (v, "Bien.") for k, v in MANUAL_FULL.items()}
    )
    assert client.post(url, {"opinion": "favourable", "confirm": "on"}).status_code == 302
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.INSTRUCTED and world["dossier"].opinion == "favourable"


def test_generic_action_page_for_other_transitions(client, world):
    _login(client, world["instructeur"])
    url = reverse("instruction:action", args=[world["dossier"].pk, "declare_ineligible"])
    assert client.post(url, {"motivation": "", "confirm": "on"}).status_code == 400
    assert client.post(url, {"motivation": "Commune hors critères.", "confirm": "on"}).status_code == 302
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.INELIGIBLE
    # scheduling has its own page (the session is chosen there), which refuses the ineligible dossier
    assert (
        client.get(
            reverse("instruction:action", args=[world["dossier"].pk, "schedule"]), follow=True
        ).status_code
        == 409
    )


def test_conflict_of_interest_instructor_sees_no_action_and_cannot_post(client, world):
    other = make_user("instructeur")
    services.declare_conflict(other, world["commune"], motivation="Adjoint au maire.")
    _login(client, other)
    html = client.get(reverse("instruction:dossier", args=[world["dossier"].pk])).content.decode()
    assert (
        "Vous avez déclaré un lien" in html
        and "Enregistrer la grille" not in html
        and "Terminer l&#x27;instruction</a>" not in html
    )
    assert (
        client.post(reverse("instruction:note", args=[world["dossier"].pk]), {"body": "x"}).status_code == 403
    )
    assert client.get(reverse("instruction:complete", args=[world["dossier"].pk])).status_code == 409


def test_conflict_declaration_page(client, world):
    _login(client, world["instructeur"])
    url = reverse("instruction:conflicts")
    assert client.post(url, {"commune": "00000", "motivation": "x"}).status_code == 400
    response = client.post(url, {"commune": world["commune"].code, "motivation": "Conseiller municipal."})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="conflict_declared").count() == 1


def test_notes_and_messages_forms(client, world):
    _login(client, world["instructeur"])
    assert (
        client.post(reverse("instruction:note", args=[world["dossier"].pk]), {"body": ""}).status_code == 400
    )
    assert (
        client.post(
            reverse("instruction:note", args=[world["dossier"].pk]), {"body": "Appel du maire."}
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse("instruction:message", args=[world["dossier"].pk]), {"body": "Bonjour, une question."}
        ).status_code
        == 302
    )
    html = client.get(reverse("instruction:dossier", args=[world["dossier"].pk])).content.decode()
    assert "Appel du maire." in html and "Bonjour, une question." in html


def test_note_on_an_unknown_dossier_is_not_found_and_writes_nothing(client, world):
    _login(client, world["instructeur"])
    for pk in (world["dossier"].pk + 1000, "0", 2**63):
        assert client.post(f"/instruction/dossiers/{pk}/notes/", {"body": "Note."}).status_code == 404
    assert (
        client.post(reverse("instruction:note", args=[world["dossier"].pk + 1000]), {"body": ""}).status_code
        == 404
    )
    assert (
        not PrivateNote.objects.exists()
        and not AuditEvent.objects.filter(action="private_note_added").exists()
    )


def test_note_post_writes_from_the_pk_in_few_queries(client, world, django_assert_max_num_queries):
    """The POST does not read the page's dossier: the service locks and checks it (one read)."""
    _login(client, world["instructeur"])
    client.get(reverse("instruction:queues"))  # session and user loaded once, as in a signed-in browser
    with django_assert_max_num_queries(10):
        response = client.post(
            reverse("instruction:note", args=[world["dossier"].pk]), {"body": "Appel du maire."}
        )
    assert response.status_code == 302 and response["Location"].endswith(f"/{world['dossier'].pk}/#notes")
    event = AuditEvent.objects.get(action="private_note_added")
    assert (
        event.object_type == "instruction.privatenote" and PrivateNote.objects.get().body == "Appel du maire."
    )


def test_instruction_page_field_groups_are_django_dsfr_markup():
    """The dossier page renders its form fields in Python (``field_group``): the same markup as
    django-dsfr's ``as_field_group``, blank and with errors."""
    import re

    from fonds.instruction.forms import AmountForm, NoteForm, SaveFilterForm, ScoreGridForm
    from fonds.instruction.templatetags.instruction_tags import field_group
    from fonds.referentiel.rules import default_rules

    def norm(html):
        return re.sub(r"\s*<", "<", re.sub(r">\s*", ">", re.sub(r"\s+", " ", str(html)))).strip()

    params = default_rules()
    forms = [
        NoteForm(),
        NoteForm({"body": ""}),
        AmountForm(),
        AmountForm({"amount": "abc"}),
        ScoreGridForm(params=params),
        ScoreGridForm({"participation_points": "99", "inclusion_comment": "x"}, params=params),
        SaveFilterForm(),
        SaveFilterForm({"name": ""}),
    ]
    for form in forms:
        for bf in form:
            if not bf.is_hidden:
                assert norm(field_group(bf)) == norm(bf.as_field_group()), bf.name


def test_instruction_fast_widgets_render_django_markup():
    """``FastTextarea`` / ``FastNumberInput`` (rendered in Python) give Django's templates' markup,
    values escaped."""
    from django import forms as django_forms

    from fonds.ui.widgets import FastNumberInput, FastTextarea

    cases = [
        (
            FastTextarea(attrs={"rows": 3}),
            [None, "", "Ligne 1\nLigne 2", "<script>alert('x')</script> & \"guillemets\""],
        ),
        (FastNumberInput(attrs={"min": 0, "max": 25}), [None, "", 12, 'abc"><b>']),
    ]
    for widget, values in cases:
        for value in values:
            for attrs in (
                {"id": "id_f"},
                {
                    "id": "id_f",
                    "aria-invalid": "true",
                    "required": True,
                    "disabled": False,
                    "class": "fr-input",
                },
            ):
                assert widget.render("f", value, attrs) == django_forms.Widget.render(
                    widget, "f", value, attrs
                ), (value, attrs)


def test_private_notes_never_on_the_porteur_pages(client, world):
    services.add_note(world["dossier"], by=world["instructeur"], body="Secret de l'instruction.")
    _login(client, world["porteur"])
    html = client.get(reverse("dossier-detail", args=[world["dossier"].pk])).content.decode()
    assert "Secret de l" not in html and "private_note" not in html


# ---- the list ------------------------------------------------------------------------------


@pytest.fixture
def many(world):
    communes = [make_commune(population=p) for p in (500, 1500, 2500, 3200)]
    for i in range(30):
        make_dossier(
            campaign=world["campaign"], commune=communes[i % 4], complete=False, title=f"Projet {i:02d}"
        )
    return world


def test_list_filters_sort_and_paginates(client, many):
    _login(client, many["instructeur"])
    url = reverse("instruction:list")
    response = client.get(url, {"population": "1000-1999", "sort": "reference", "taille": "25"})
    assert response.status_code == 200
    assert response.context["page"].count == 8  # 30 drafts, one in four at 1500 inhabitants
    response = client.get(url, {"taille": "25", "page": "2"})
    page = response.context["page"]
    assert page.count == 31 and len(page.rows) == 6 and not page.has_next and page.has_previous


def test_list_invalid_filter_selects_nothing_and_keeps_input(client, many):
    _login(client, many["instructeur"])
    response = client.get(reverse("instruction:list"), {"departement": "ABCD", "q": "Projet"})
    assert response.status_code == 400 and response.context["page"].count == 0
    assert 'value="Projet"' in response.content.decode()


def test_list_query_count_does_not_grow_with_the_page_size(client, many, django_assert_max_num_queries):
    SavedFilter.objects.create(user=many["instructeur"], name="Mes déposés", querystring="status=submitted")
    _login(client, many["instructeur"])
    for size in ("25", "200"):
        with django_assert_max_num_queries(10):
            response = client.get(
                reverse("instruction:list"),
                {"taille": size, "sort": "-score", "score_min": "0", "q": "Projet"},
            )
        assert response.status_code == 200


def test_queue_page_query_count_and_one_aggregate_for_the_counters(
    client, many, django_assert_max_num_queries, django_assert_num_queries
):
    from fonds.instruction.queues import queue_counts

    _login(client, many["instructeur"])
    for key in ("a-prendre", "mes-dossiers", "attente-porteur", "instruits"):
        with django_assert_max_num_queries(10):
            assert client.get(reverse("instruction:queues"), {"file": key}).status_code == 200
    with django_assert_num_queries(1):
        counts = queue_counts(many["instructeur"])
    assert counts == {"a_prendre": 0, "mes_dossiers": 1, "attente_porteur": 0, "instruits": 0}


def test_queues_to_take_excludes_a_declared_commune(client, world):
    dossier = make_dossier(campaign=world["campaign"])
    perform(dossier, "submit", by=dossier.created_by)
    from fonds.instruction.queues import queue_counts

    assert queue_counts(world["instructeur"])["a_prendre"] == 1
    services.declare_conflict(world["instructeur"], dossier.commune, motivation="Élu.")
    assert queue_counts(world["instructeur"])["a_prendre"] == 0


def test_saved_filters_per_instructor(client, world):
    _login(client, world["instructeur"])
    response = client.post(
        reverse("instruction:save-filter"),
        {"name": "Outre-mer déposés", "querystring": "status=submitted&overseas=yes"},
    )
    assert response.status_code == 302 and "overseas=yes" in response["Location"]
    saved = SavedFilter.objects.get(user=world["instructeur"])
    assert "Outre-mer déposés" in client.get(reverse("instruction:list")).content.decode()
    other = make_user("instructeur")
    _login(client, other)
    assert "Outre-mer déposés" not in client.get(reverse("instruction:list")).content.decode()
    client.post(reverse("instruction:delete-filter", args=[saved.pk]))
    assert SavedFilter.objects.filter(pk=saved.pk).exists()  # not theirs


def test_complete_page_offers_only_unfavourable_below_the_thresholds(client, world):
    """The page says why favourable is impossible and does not offer it; a forged favourable POST
    is refused with the reason, nothing changes."""
    _login(client, world["instructeur"])
    services.record_scores(
        world["dossier"],
        by=world["instructeur"],
        scores={k: (v, "Bien.") for k, v in {**MANUAL_FULL, "inclusion": 9}.items()},
    )
    url = reverse("instruction:complete", args=[world["dossier"].pk])
    html = client.get(url).content.decode()
    assert 'id="avis-favorable-impossible"' in html and "Inclusion" in html
    assert 'value="favourable"' not in html and 'value="unfavourable"' in html
    response = client.post(url, {"opinion": "favourable", "motivation": "Excellent projet.", "confirm": "on"})
    assert response.status_code == 400 and "Avis favorable impossible" in response.content.decode()
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.IN_INSTRUCTION
    assert client.post(url, {"opinion": "unfavourable", "confirm": "on"}).status_code == 302
    world["dossier"].refresh_from_db()
    assert world["dossier"].status == Status.INSTRUCTED and world["dossier"].opinion == "unfavourable"


def test_complete_page_offers_favourable_when_the_grid_meets_the_thresholds(client, world):
    _login(client, world["instructeur"])
    services.record_scores(
        world["dossier"], by=world["instructeur"], scores={k: (v, "Bien.") for k, v in MANUAL_FULL.items()}
    )
    html = client.get(reverse("instruction:complete", args=[world["dossier"].pk])).content.decode()
    assert 'value="favourable"' in html and 'id="avis-favorable-impossible"' not in html
