"""The administration screens: only the administrator writes, auditors read, anyone else gets
the 403 page; each POST goes through one service (one audit event); bad input keeps what was
typed, with French errors; a new version is published only after its differences were shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fonds import clock
from fonds.administration.models import WhatIfJob
from fonds.administration.views.rules import fingerprint
from fonds.audit.models import AuditEvent
from fonds.formats import number
from fonds.instruction.models import Score
from tests.factories import make_campaign, make_dossier, make_user

pytestmark = pytest.mark.django_db


def _rules_post(campaign, **changes):
    """The rules form as the page sends it, with ``changes`` (field name → value)."""
    from fonds.administration.parameters import flatten  # noqa: PLC0415 — test helper only

    data = {}
    for name, value in flatten(campaign.rules.params).items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    data.update({k: str(v) for k, v in changes.items()})
    return data


@pytest.mark.parametrize("role", ["instructeur", "comite", "finance", "porteur"])
def test_other_roles_get_403(client, role):
    campaign = make_campaign()
    client.force_login(make_user(role))
    for url in (
        reverse("administration:index"),
        reverse("administration:campaign", args=[campaign.pk]),
        reverse("administration:rules", args=[campaign.pk]),
    ):
        assert client.get(url).status_code == 403


def test_anonymous_goes_to_sign_in(client):
    response = client.get(reverse("administration:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_auditor_reads_but_cannot_write(client):
    campaign = make_campaign()
    client.force_login(make_user("auditeur"))
    assert client.get(reverse("administration:index")).status_code == 200
    for name in ("campaign", "rules", "grid", "texts"):
        response = client.get(reverse(f"administration:{name}", args=[campaign.pk]))
        assert response.status_code == 200, name
        assert "Publier" not in response.content.decode() or name == "campaign"
    n = AuditEvent.objects.count()
    response = client.post(
        reverse("administration:top-up", args=[campaign.pk]), {"envelope": "9000000", "motivation": "m"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("administration:rules", args=[campaign.pk]),
        {**_rules_post(campaign, eligibility__max_population=5000), "action": "publish"},
    )
    assert response.status_code == 403
    assert AuditEvent.objects.count() == n and campaign.rulesets.count() == 1


def test_index_query_count(client, django_assert_max_num_queries):
    for _ in range(5):
        make_campaign()
    client.force_login(make_user("admin"))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("administration:index")).status_code == 200


def test_rules_publish_requires_the_differences_shown_first(client):
    campaign = make_campaign()
    client.force_login(make_user("admin"))
    url = reverse("administration:rules", args=[campaign.pk])
    data = {
        **_rules_post(campaign, eligibility__max_population=5000),
        "motivation": "Seuil relevé",
        "migration": "move",
        "confirm": "1",
    }
    response = client.post(url, {**data, "action": "publish"})
    assert response.status_code == 400 and campaign.rulesets.count() == 1
    preview = client.post(url, {**data, "action": "preview"})
    page = preview.content.decode()
    assert preview.status_code == 200 and "Différences" in page
    assert f"<td>{number(3500)}</td><td><strong>{number(5000)}</strong>" in page
    new_params = preview.context["form"].new_params
    response = client.post(url, {**data, "action": "publish", "previewed": fingerprint(new_params)})
    assert response.status_code == 302
    assert campaign.rulesets.order_by("-version").first().params["eligibility"]["max_population"] == 5000


def test_rules_bad_input_keeps_what_was_typed_in_french(client):
    campaign = make_campaign()
    client.force_login(make_user("admin"))
    url = reverse("administration:rules", args=[campaign.pk])
    data = {
        **_rules_post(campaign, eligibility__max_population="beaucoup", eligibility__min_youth=7),
        "action": "preview",
    }
    response = client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Indiquez un nombre." in page and 'value="beaucoup"' in page and 'value="7"' in page


def test_rules_publish_without_motivation_refused(client):
    campaign = make_campaign()
    client.force_login(make_user("admin"))
    url = reverse("administration:rules", args=[campaign.pk])
    data = {**_rules_post(campaign, eligibility__max_population=5000), "migration": "move", "confirm": "1"}
    new = client.post(url, {**data, "action": "preview"}).context["form"].new_params
    response = client.post(url, {**data, "action": "publish", "previewed": fingerprint(new)})
    assert response.status_code == 400 and campaign.rulesets.count() == 1


def test_whatif_from_the_rules_page(client, django_capture_on_commit_callbacks):
    campaign = make_campaign()
    client.force_login(make_user("admin"))
    url = reverse("administration:rules", args=[campaign.pk])
    data = {
        **_rules_post(campaign, eligibility__max_population=5000),
        "action": "whatif",
        "replay_campaign": str(campaign.pk),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    job = WhatIfJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "administration:whatif", args=[job.pk]
    )
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Verdicts qui changent" in page.content.decode()
    status = client.get(reverse("administration:whatif-status", args=[job.pk])).json()
    assert status["over"] is True and status["percent"] == 100


def test_clone_then_campaign_page_links_composition(client):
    source = make_campaign()
    client.force_login(make_user("admin"))
    now = clock.now() + dt.timedelta(days=5)
    data = {
        "name": "Appel 2027",
        "year": "2027",
        "opens_at": now.strftime("%d/%m/%Y %H:%M"),
        "closes_at": (now + dt.timedelta(days=60)).strftime("%d/%m/%Y %H:%M"),
        "activity_start": "01/01/2028",
        "activity_end": "31/12/2028",
        "envelope": "300 000",
        "committee_dates": "15/11/2027",
        "motivation": "Deuxième appel",
    }
    response = client.post(reverse("administration:clone", args=[source.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"]).content.decode()
    assert "Appel 2027" in page and reverse("comite:composition", args=[source.pk + 1]) in page


def test_extend_earlier_refused_with_french_message_form_kept(client):
    campaign = make_campaign()
    client.force_login(make_user("admin"))
    earlier = clock.now().strftime("%d/%m/%Y %H:%M")
    response = client.post(
        reverse("administration:extend", args=[campaign.pk]),
        {"closes_at": earlier, "motivation": "Ma raison"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "La clôture ne peut qu&#x27;être repoussée" in page
    assert "Ma raison" in page


def test_grid_page_locked_after_first_score(client):
    campaign = make_campaign()
    Score.objects.create(
        dossier=make_dossier(campaign=campaign), criterion="participation", points=20, rules_version=1
    )
    client.force_login(make_user("admin"))
    page = client.get(reverse("administration:grid", args=[campaign.pk])).content.decode()
    assert "nouvelle campagne" in page and "Publier la nouvelle grille" not in page


def test_texts_preview_is_a_pdf(client):
    campaign = make_campaign()
    client.force_login(make_user("admin"))
    data = {
        "authority": "MEAE",
        "fund_address": "Paris",
        "signatory_name": "C. M.",
        "signatory_title": "Déléguée",
        "legal_mentions": "Recours",
        "action": "preview",
    }
    response = client.post(reverse("administration:texts", args=[campaign.pk]), data)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    n = AuditEvent.objects.count()
    response = client.post(
        reverse("administration:texts", args=[campaign.pk]), {**data, "action": "save", "motivation": "m"}
    )
    assert response.status_code == 302 and AuditEvent.objects.count() == n + 1


def test_campaign_page_query_count(client, django_assert_max_num_queries):
    campaign = make_campaign()
    for _ in range(3):
        make_dossier(campaign=campaign)
    client.force_login(make_user("admin"))
    with django_assert_max_num_queries(16):
        assert client.get(reverse("administration:campaign", args=[campaign.pk])).status_code == 200


def test_adjust_a_campaign_not_yet_open(client):
    later = clock.now() + dt.timedelta(days=20)
    campaign = make_campaign(opens_at=later, closes_at=later + dt.timedelta(days=30))
    client.force_login(make_user("admin"))
    url = reverse("administration:adjust", args=[campaign.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    for name in ("opens_at", "closes_at"):
        data[name] = data[name].strftime("%d/%m/%Y %H:%M")
    for name in ("activity_start", "activity_end"):
        data[name] = data[name].strftime("%d/%m/%Y")
    data.update(envelope="123 456", motivation="Enveloppe votée")
    n = AuditEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert campaign.envelope == 123456
    [event] = AuditEvent.objects.order_by("seq")[n:]
    assert event.action == "campaign_adjusted"


def test_grid_page_publishes_a_new_criterion(client):
    campaign = make_campaign()
    client.force_login(make_user("admin"))
    url = reverse("administration:grid", args=[campaign.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data.update(new_label="Mémoire du jumelage", new_max="5", threshold_total="65", motivation="Grille 2027")
    bad = client.post(url, {**data, "new_max": ""})
    assert bad.status_code == 400 and "Indiquez les points du nouveau critère." in bad.content.decode()
    assert 'value="Mémoire du jumelage"' in bad.content.decode()  # nothing typed is lost
    n = AuditEvent.objects.count()
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    scoring = campaign.rulesets.get(version=2).params["scoring"]
    assert scoring["threshold_total"] == 65 and scoring["criteria"][-1]["label"] == "Mémoire du jumelage"
    assert list(AuditEvent.objects.order_by("seq")[n:].values_list("action", flat=True)) == [
        "scoring_grid_changed"
    ]


@pytest.mark.parametrize(
    "role, sees",
    [
        ("admin", True),
        ("auditeur", True),
        ("instructeur", False),
        ("comite", False),
        ("finance", False),
        ("porteur", False),
    ],
)
def test_header_menu_shows_administration_to_admins_and_auditors_only(client, role, sees):
    client.force_login(make_user(role))
    response = client.get(reverse("task-list"))
    assert response.status_code == 200
    assert (f'href="{reverse("administration:index")}"' in response.content.decode()) is sees


def test_header_menu_marks_administration_current_on_its_pages(client):
    client.force_login(make_user("auditeur"))
    html = client.get(reverse("administration:index")).content.decode()
    assert 'href="/administration/" aria-current="page">Administration</a>' in html
