"""Journeys 3 and 4: the check page (E1–E9, fixes, amount) and the confirmed submission."""

import copy

import pytest
from django.urls import reverse

from fonds.dossiers.models import Document
from tests.factories import make_dossier

pytestmark = pytest.mark.django_db


def check_url(dossier):
    return reverse("depot:check", args=[dossier.pk])


def submit_url(dossier):
    return reverse("depot:submit", args=[dossier.pk])


def set_blocking(campaign, **flags):
    params = copy.deepcopy(campaign.rules.params)
    params["eligibility"]["blocking"].update(flags)
    campaign.rules.new_version(params, note="test")


def test_check_page_lists_every_rule_with_verdict(porteur_client, draft):
    html = porteur_client.get(check_url(draft)).content.decode()
    for code in ("E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9"):
        assert f'id="rule-{code}"' in html
    assert html.count("Respectée") == 9
    assert "Toutes les conditions sont remplies" in html and 'name="confirm"' in html


def test_check_page_shows_each_failing_rule_with_its_fix_and_step(porteur_client, empty_draft):
    html = porteur_client.get(check_url(empty_draft)).content.decode()
    expected = {
        "E2": ("Aucun jumelage", "partenariat"),
        "E3": ("Pièce(s) manquante(s)", "pieces"),
        "E4": ("", "participants"),
        "E5": ("Le nombre de jours d&#x27;activité n&#x27;est pas indiqué.", "projet"),
        "E6": ("Le budget ne comporte aucune dépense.", "budget"),
    }
    for code, (text, step) in expected.items():
        start = html.index(f'id="rule-{code}"')
        block = html[start : html.index("</li>", start)]
        assert "bloque le dépôt" in block, code
        assert "Comment corriger" in block, code
        assert text in block, code
        assert reverse("depot:step", args=[empty_draft.pk, step]) in block, code
    assert "Le dossier ne peut pas encore être déposé" in html
    assert 'name="confirm"' not in html  # no submission form while a blocking rule fails


def test_check_page_shows_the_formula_breakdown(porteur_client, draft):
    html = porteur_client.get(check_url(draft)).content.decode()
    # make_dossier: 10 travellers, 850 km declared, low carbon (417 €), 4 paid nights × 25 €, O = 500
    assert "Voyage (T)" in html and "4\u00a0170\u00a0€" in html
    assert "Séjour (S)" in html and "1\u00a0000\u00a0€" in html
    assert "Organisation (O)" in html and "500\u00a0€" in html
    assert "5\u00a0670\u00a0€" in html  # T + S + O
    assert "Plafond du fonds" in html and "15\u00a0000\u00a0€" in html
    assert "8\u00a0000\u00a0€" in html  # 80 % of 10 000 € eligible costs
    assert "Montant retenu" in html and "Minimum d'attribution" in html


def test_blocking_rule_prevents_submission(porteur_client, draft):
    draft.youth_ages = [14, 15, 16]  # E4: fewer than 5 young people
    draft.save()
    html = porteur_client.get(check_url(draft)).content.decode()
    assert "Le dossier ne peut pas encore être déposé" in html and 'name="confirm"' not in html
    response = porteur_client.post(submit_url(draft), {"confirm": "on"})
    assert response.status_code == 409
    assert "Le dossier ne peut pas être déposé : E4" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_advisory_rule_only_warns(porteur_client, draft, django_capture_on_commit_callbacks):
    draft.youth_ages = [14, 15, 16]
    draft.save()
    set_blocking(draft.campaign, E4=False)
    html = porteur_client.get(check_url(draft)).content.decode()
    start = html.index('id="rule-E4"')
    assert "Non respectée — avertissement" in html[start : html.index("</li>", start)]
    assert "Le dossier peut être déposé, avec des points d'attention" in html and 'name="confirm"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = porteur_client.post(submit_url(draft), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("depot:submitted", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == "submitted"
    from fonds.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="submit", object_id=str(draft.pk))
    assert event.data["payload"]["rules_version"] == 2 and event.data["payload"]["data"]["rules_version"] == 2


def test_submit_requires_explicit_confirmation(porteur_client, draft):
    response = porteur_client.post(submit_url(draft), {})
    assert response.status_code == 400
    assert "Cochez la case de confirmation pour déposer le dossier." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert porteur_client.get(submit_url(draft)).status_code == 405  # a link cannot submit


def test_submitted_page_shows_hash_and_receipt(porteur_client, draft, django_capture_on_commit_callbacks):
    from fonds.depot.content import submitted_content_sha256

    with django_capture_on_commit_callbacks(execute=True):
        porteur_client.post(submit_url(draft), {"confirm": "on"})
    html = porteur_client.get(reverse("depot:submitted", args=[draft.pk])).content.decode()
    assert submitted_content_sha256(draft) in html
    assert reverse("depot:receipt", args=[draft.pk]) in html and "Télécharger le récépissé" in html


def test_instructor_cannot_use_the_front_office(client, draft):
    from tests.factories import make_user

    client.force_login(make_user("instructeur"))
    assert client.get(reverse("depot:step", args=[draft.pk, "projet"])).status_code == 403
    assert client.post(submit_url(draft), {"confirm": "on"}).status_code == 403
    assert client.get(reverse("depot:my-dossiers"))["Location"] == reverse("dossier-list")


def test_check_lists_missing_document_after_replacement_counts_once(
    porteur_client, campaign, commune, porteur
):
    dossier = make_dossier(campaign=campaign, commune=commune, porteur=porteur)
    Document.objects.filter(dossier=dossier, kind="rib").delete()
    html = porteur_client.get(check_url(dossier)).content.decode()
    start = html.index('id="rule-E3"')
    assert "RIB de la commune" in html[start : html.index("</li>", start)]
