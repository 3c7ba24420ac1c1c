"""Règlement, "Notification and payment": until the advance is paid, the mayor may renounce an award
(renonciation, motivated): the money returns to the envelope and the waiting list is promoted.
The porteur's page ``suivi:renounce`` (motivation, explicit confirmation, final); payments cancel the
unpaid advance order, or refuse once the advance is in a batch for the bank, sent or paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from fonds.audit.models import AuditEvent
from fonds.comite import envelope
from fonds.comite.testing import Committee
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused, available_transitions, perform
from fonds.dossiers.states import Status
from fonds.payments import batches as pay
from fonds.payments import execution
from fonds.payments.models import OrderState
from fonds.suivi.links import action_url
from fonds.suivi.testing import acceptance_data
from tests.factories import make_campaign, make_commune, make_dossier, make_user
from tests.payments.conftest import certified_bank, signed

from .conftest import at_status

pytestmark = pytest.mark.django_db
S = Status


def _renounce(client, dossier, **data):
    return client.post(reverse("suivi:renounce", args=[dossier.pk]), data)


def test_renunciation_until_advance_paid_frees_money_and_promotes(
    client, cast, django_capture_on_commit_callbacks
):
    """A approved (5,670 €) and its convention accepted, B on the waiting list (6,000 € envelope):
    A's mayor renounces → A's unpaid advance is cancelled, the money is back, B is promoted."""
    campaign = make_campaign(envelope=Decimal("6000.00"))
    admin, chair = make_user("admin"), make_user("comite")
    committee = Committee(admin=admin, chair=chair)
    a = make_dossier(
        campaign=campaign, commune=cast.commune, porteur=cast.porteur, proposed_amount=Decimal("5670.00")
    )
    other_commune = make_commune(population=600)
    b = make_dossier(
        campaign=campaign,
        commune=other_commune,
        porteur=make_user("porteur", commune=other_commune),
        proposed_amount=Decimal("5000.00"),
    )
    for d in (a, b):
        at_status(d, S.INSTRUCTED)
    committee.decide(a, "approve")
    assert committee.decide(b, "approve").outcome == "waitlisted"
    a.refresh_from_db()
    perform(a, "accept_agreement", by=cast.porteur, data=acceptance_data(a))
    advance = a.payment_orders.get(kind="advance")
    assert advance.state in (OrderState.TO_CERTIFY, OrderState.READY)
    assert envelope.left(campaign) == Decimal("330.00")
    client.force_login(cast.porteur)
    home = client.get(reverse("suivi:dossier", args=[a.pk])).content.decode()
    assert reverse("suivi:renounce", args=[a.pk]) in home  # offered while the advance is not paid
    with django_capture_on_commit_callbacks(execute=True):
        response = _renounce(client, a, motivation="La ville partenaire annule l'échange.", confirm="on")
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    advance.refresh_from_db()
    assert a.status == S.RENOUNCED and advance.state == OrderState.CANCELLED
    assert b.status == S.APPROVED and b.approved_amount == Decimal("5000.00")  # promoted, in ranking order
    assert envelope.left(campaign) == Decimal("1000.00")
    cancelled = AuditEvent.objects.get(action="payment_order_cancelled", object_id=str(advance.pk))
    assert cancelled.actor_id == cast.porteur.pk and cancelled.data["payload"]["renunciation"] is True
    renounced = AuditEvent.objects.get(action="renounce", object_id=str(a.pk))
    assert renounced.data["payload"]["motivation"] == "La ville partenaire annule l'échange."
    assert renounced.seq < AuditEvent.objects.get(action="promote", object_id=str(b.pk)).seq
    ack = [m for m in mail.outbox if m.subject == f"Renonciation enregistrée — dossier {a.reference}"]
    assert [m.to for m in ack] == [[cast.porteur.email]] and "revient à l'enveloppe" in ack[0].body


def test_renunciation_of_an_approved_award_without_advance_order(
    client, cast, approved, django_capture_on_commit_callbacks
):
    client.force_login(cast.porteur)
    with django_capture_on_commit_callbacks(execute=True):
        assert _renounce(client, approved, motivation="Projet abandonné.", confirm="on").status_code == 302
    approved.refresh_from_db()
    assert approved.status == S.RENOUNCED
    assert AuditEvent.objects.get(action="renounce").data["payload"]["data"]["advance_order"] is None


def test_renunciation_needs_a_motivation_and_an_explicit_confirmation(client, cast, approved):
    client.force_login(cast.porteur)
    page = client.get(reverse("suivi:renounce", args=[approved.pk]))
    html = page.content.decode().replace("&#x27;", "'")
    assert (
        page.status_code == 200
        and "La renonciation est définitive" in html
        and "revient à l'enveloppe du fonds" in html
    )
    response = _renounce(client, approved, motivation="   ", confirm="on")
    assert (
        response.status_code == 400 and "Indiquez le motif de la renonciation." in response.content.decode()
    )
    response = _renounce(client, approved, motivation="Le voyage est annulé.")
    html = response.content.decode()
    assert response.status_code == 400 and "Cochez la case pour confirmer la renonciation." in html
    assert "Le voyage est annulé." in html  # nothing lost
    approved.refresh_from_db()
    assert approved.status == S.APPROVED and not AuditEvent.objects.filter(action="renounce").exists()


def test_renunciation_refused_once_advance_sent(client, cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = dossier.payment_orders.get(kind="advance")
    order.refresh_from_db()
    batch = pay.build_batch(by=cast.finance, order_ids=[order.pk]).batch
    execution.mark_batch_sent(batch, by=cast.finance)
    with pytest.raises(TransitionRefused) as refused:
        perform(dossier, "renounce", by=cast.porteur, motivation="Trop tard ?")
    assert refused.value.http_status == 409 and refused.value.code == "advance_sent"
    assert "transmise à la banque" in refused.value.message and "Contactez le fonds" in refused.value.message
    order.refresh_from_db()
    dossier.refresh_from_db()
    assert order.state == OrderState.SENT and dossier.status == S.AGREEMENT_SIGNED
    # the porteur's pages say so before any input, and offer no form
    client.force_login(cast.porteur)
    home = client.get(reverse("suivi:dossier", args=[dossier.pk])).content.decode()
    assert reverse("suivi:renounce", args=[dossier.pk]) not in home and "Contactez le fonds" in home
    page = client.get(reverse("suivi:renounce", args=[dossier.pk]))
    assert page.status_code == 409 and 'name="motivation"' not in page.content.decode()
    assert _renounce(client, dossier, motivation="Trop tard ?", confirm="on").status_code == 409
    dossier.refresh_from_db()
    assert dossier.status == S.AGREEMENT_SIGNED


def test_renunciation_refused_while_the_advance_is_in_a_batch_for_the_bank(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = dossier.payment_orders.get(kind="advance")
    pay.build_batch(by=cast.finance, order_ids=[order.pk])
    with pytest.raises(TransitionRefused, match="lot de virements préparé pour la banque"):
        perform(dossier, "renounce", by=cast.porteur, motivation="Annulé.")
    order.refresh_from_db()
    assert order.state == OrderState.IN_BATCH


def test_no_renunciation_once_the_advance_is_paid(client, cast, advance_paid):
    client.force_login(cast.porteur)
    assert "renounce" not in {a["name"] for a in available_transitions(advance_paid, cast.porteur)}
    assert _renounce(client, advance_paid, motivation="Trop tard.", confirm="on").status_code == 409
    assert Dossier.objects.get(pk=advance_paid.pk).status == S.ADVANCE_PAID


def test_only_the_commune_porteur_renounces(client, cast, approved):
    client.force_login(cast.other_porteur)
    assert client.get(reverse("suivi:renounce", args=[approved.pk])).status_code == 404
    client.force_login(cast.instructeur)
    assert _renounce(client, approved, motivation="Non.", confirm="on").status_code == 409
    approved.refresh_from_db()
    assert approved.status == S.APPROVED


def test_generic_dossier_page_sends_the_renunciation_to_its_own_page(client, cast, approved):
    assert action_url(approved.pk, "renounce") == reverse("suivi:renounce", args=[approved.pk])
    client.force_login(cast.porteur)
    response = client.get(reverse("dossier-transition", args=[approved.pk, "renounce"]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "suivi:renounce", args=[approved.pk]
    )
