"""The dossier's front-office page: what the commune must do next, from the allowed transitions."""

import pytest
from django.urls import NoReverseMatch, reverse

from fonds.dossiers.services import perform

pytestmark = pytest.mark.django_db


def test_dossier_home_shows_the_next_step_of_the_commune(client, cast, approved):
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:dossier", args=[approved.pk])).content.decode()
    assert (
        "Lire et accepter la convention" in html and reverse("suivi:convention", args=[approved.pk]) in html
    )
    assert "Retirer le dossier" not in html  # not withdrawable once approved


def test_dossier_home_offers_withdrawal_while_withdrawable(client, cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:dossier", args=[dossier.pk])).content.decode()
    assert reverse("suivi:withdraw", args=[dossier.pk]) in html and "Aucune action n'est attendue" in html


def test_dossier_home_staff_sees_no_commune_action_and_other_commune_404(client, cast, approved):
    client.force_login(cast.instructeur)
    html = client.get(reverse("suivi:dossier", args=[approved.pk])).content.decode()
    assert "Lire et accepter la convention" not in html
    client.force_login(cast.other_porteur)
    assert client.get(reverse("suivi:dossier", args=[approved.pk])).status_code == 404


def test_corrections_link_to_the_draft_builder_step_or_plain_text(client, cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    perform(dossier, "start_instruction", by=cast.instructeur)
    perform(
        dossier,
        "request_corrections",
        by=cast.instructeur,
        motivation="Précisez les âges.",
        data={"fields": ["youth_ages"], "documents": ["rib"]},
    )
    client.force_login(cast.porteur)
    html = client.get(reverse("suivi:corrections", args=[dossier.pk])).content.decode()
    try:
        from fonds.conversation.items import step_url as _step_url

        expected = _step_url(dossier.pk, "participants")
        reverse("depot:step", args=(dossier.pk, "participants"))
    except NoReverseMatch:
        expected = None
    if expected:
        assert f'href="{expected}"' in html and "Corriger dans l'étape « Les participants »" in html
    else:
        assert "Étape « Les participants » du dossier" in html


def test_action_url_points_porteur_transitions_to_the_front_office_pages():
    from fonds.suivi.links import action_url

    assert action_url(7, "accept_agreement") == "/suivi/7/convention/"
    assert action_url(7, "submit_report") == "/suivi/7/rapport/"
    assert (
        action_url(7, "resubmit") == "/suivi/7/corrections/"
        and action_url(7, "withdraw") == "/suivi/7/retrait/"
    )
    assert action_url(7, "approve") is None
