"""6. Withdrawing a dossier: confirmation, optional motivation, audited."""

import pytest
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status

from .conftest import at_status

pytestmark = pytest.mark.django_db


def test_withdraw_without_motivation(client, cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    client.force_login(cast.porteur)
    assert client.get(reverse("suivi:withdraw", args=[dossier.pk])).status_code == 200
    response = client.post(reverse("suivi:withdraw", args=[dossier.pk]), {"motivation": "", "confirm": "on"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    assert AuditEvent.objects.get(action="withdraw").data["payload"]["motivation"] == ""


def test_withdraw_with_motivation(client, cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    client.force_login(cast.porteur)
    client.post(
        reverse("suivi:withdraw", args=[dossier.pk]),
        {"motivation": "Projet reporté à l'an prochain.", "confirm": "on"},
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    assert (
        AuditEvent.objects.get(action="withdraw").data["payload"]["motivation"]
        == "Projet reporté à l'an prochain."
    )


def test_withdraw_requires_confirmation(client, cast, dossier):
    perform(dossier, "submit", by=cast.porteur)
    client.force_login(cast.porteur)
    response = client.post(reverse("suivi:withdraw", args=[dossier.pk]), {"motivation": "Projet reporté."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Projet reporté." in html  # nothing lost
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED


def test_withdraw_refused_once_approved(client, cast, dossier):
    at_status(dossier, Status.APPROVED)
    client.force_login(cast.porteur)
    response = client.post(reverse("suivi:withdraw", args=[dossier.pk]), {"confirm": "on"})
    assert response.status_code == 409 and "ne peut pas être retiré" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.APPROVED


def test_withdraw_other_commune_is_404(client, cast, dossier):
    client.force_login(cast.other_porteur)
    assert client.post(reverse("suivi:withdraw", args=[dossier.pk]), {"confirm": "on"}).status_code == 404
