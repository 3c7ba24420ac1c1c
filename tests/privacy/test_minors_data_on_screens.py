"""Minors' data on every screen that shows participants: one rule (``fonds.privacy.access``).

The porteur of the commune and the fund's services that need them (instructeur, finance, auditeur,
administrateur) see the participants' ages; a committee member sees how many young people and
leaders, never their ages nor the signed list's name. Each test fails if a role outside the rule
sees an age on its screen — and, where the screen shows ages at all, if a role inside it does not.
"""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fonds.privacy.access import may_see_minors_data

from .conftest import LEADERS, ROLES, YOUTH, lists_ages, lists_any_ages

pytestmark = pytest.mark.django_db


def _page(client, user, url):
    client.force_login(user)
    return client.get(url)


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_rule_names_the_porteur_of_the_commune_and_the_services_never_the_committee(cast, dossier):
    for role, allowed in ROLES.items():
        assert may_see_minors_data(getattr(cast, role), dossier) is allowed, role
    assert not may_see_minors_data(cast.other_porteur, dossier)


# ---- the dossier page, for each role ----------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_dossier_page_shows_counts_and_no_role_outside_the_rule_sees_ages(client, cast, dossier, role):
    html = _html(_page(client, getattr(cast, role), reverse("dossier-detail", args=[dossier.pk])))
    assert "8 jeunes, 2 accompagnateurs" in html
    if not ROLES[role]:
        assert not lists_any_ages(html)


@pytest.mark.parametrize("role", ROLES)
def test_follow_up_page_never_shows_ages_to_a_role_outside_the_rule(client, cast, with_report, role):
    html = _html(_page(client, getattr(cast, role), reverse("suivi:dossier", args=[with_report.pk])))
    if not ROLES[role]:
        assert not lists_any_ages(html)


# ---- the instruction page -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_instruction_page_shows_ages_only_to_the_roles_of_the_rule(client, cast, dossier, role):
    response = _page(client, getattr(cast, role), reverse("instruction:dossier", args=[dossier.pk]))
    if response.status_code == 403:  # committee, finance, porteur: not their area at all
        assert role in {"comite", "finance", "porteur"} and not lists_any_ages(response.content.decode())
        return
    html = _html(response)
    assert lists_ages(html, YOUTH) is ROLES[role] and lists_ages(html, LEADERS) is ROLES[role]


# ---- the final-report page ----------------------------------------------------------------------


def test_committee_member_never_sees_minors_ages_on_the_final_report_page(client, cast, with_report):
    html = _html(_page(client, cast.comite, reverse("suivi:report", args=[with_report.pk])))
    assert "8 jeunes" in html and "2 accompagnateurs" in html  # the counts, as on every page
    assert not lists_ages(html, YOUTH) and not lists_ages(html, LEADERS)
    assert "liste-participants-signee" not in html
    assert reverse("suivi:participant-list", args=[with_report.pk]) not in html


@pytest.mark.parametrize("role", [role for role, allowed in ROLES.items() if allowed])
def test_final_report_page_shows_the_ages_to_the_roles_of_the_rule(client, cast, with_report, role):
    html = _html(_page(client, getattr(cast, role), reverse("suivi:report", args=[with_report.pk])))
    assert lists_ages(html, YOUTH)


def test_committee_member_does_not_read_the_participant_list_s_name(client, cast, with_report):
    html = _submit_page(client, cast.comite, with_report)
    assert "liste-participants-signee" not in html and "déposée" in html
    assert "liste-participants-signee" in _submit_page(client, cast.porteur, with_report)


def _submit_page(client, user, dossier) -> str:
    client.force_login(user)
    response = client.get(reverse("suivi:report-submit", args=[dossier.pk]))
    assert response.status_code in (200, 409)  # 409: the committee may not submit it, the page still shows
    return response.content.decode()


# ---- the history: page and PDF ------------------------------------------------------------------


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_committee_member_never_sees_ages_in_the_history_pdf(client, cast, dossier):
    text = _pdf_text(_page(client, cast.comite, reverse("reporting:dossier-history", args=[dossier.pk])))
    assert "Modification du dossier" in text  # the event that recorded the ages is there…
    assert not lists_ages(text, YOUTH) and not lists_ages(text, LEADERS)  # …its ages sealed (count + HMAC)


def test_committee_member_never_sees_ages_in_the_history_page(client, cast, with_report):
    html = _html(_page(client, cast.comite, reverse("suivi:timeline", args=[with_report.pk])))
    assert not lists_any_ages(html)
    assert reverse("suivi:participant-list", args=[with_report.pk]) not in html


# ---- the committee's item page ------------------------------------------------------------------


def test_committee_member_sees_counts_never_ages_on_the_committee_item_page(client, cast, on_agenda):
    url = reverse("comite:item", args=[on_agenda.session_id, on_agenda.pk])
    html = _html(_page(client, cast.comite, url))
    assert "8 jeunes" in html and "2 accompagnateurs" in html
    assert not lists_any_ages(html)


# ---- the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_gives_the_ages_only_to_the_roles_of_the_rule(client, cast, dossier, role):
    client.force_login(getattr(cast, role))
    data = client.get(f"/api/v1/dossiers/{dossier.pk}/").json()
    assert data["youth_count"] == 8 and data["leader_count"] == 2
    if ROLES[role]:
        assert data["youth_ages"] == YOUTH and data["leader_ages"] == LEADERS
    else:
        assert data["youth_ages"] is None and data["leader_ages"] is None


def test_committee_member_never_sees_ages_in_the_api_audit_trail(client, cast, dossier):
    client.force_login(cast.comite)
    response = client.get(f"/api/v1/dossiers/{dossier.pk}/audit/")
    assert response.status_code == 200 and "update_content" in response.content.decode()
    assert not lists_any_ages(response.content.decode())


def test_api_answers_the_porteur_s_own_write_with_its_ages(client, cast, dossier):
    """The write endpoints answer through the same rule (they pass the request to the serializer)."""
    client.force_login(cast.porteur)
    response = client.patch(
        f"/api/v1/dossiers/{dossier.pk}/",
        {"title": "Échange de jeunes, édition 2"},
        content_type="application/json",
    )
    data = response.json()
    assert data["youth_ages"] == YOUTH and data["leader_ages"] == LEADERS
