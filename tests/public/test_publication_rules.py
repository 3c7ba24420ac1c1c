"""The publication rules of issue 22: what is public, from when, and what never is."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from fonds.dossiers.states import Status
from fonds.public import cache as public_cache
from fonds.public import publishing, rules
from tests.factories import make_commune, make_dossier, make_user

from .conftest import at, public_project

pytestmark = pytest.mark.django_db

LIST = reverse("public:list")


def listed(client, query="") -> str:
    return client.get(LIST + query).content.decode()


@pytest.mark.parametrize(
    "status",
    [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.IN_INSTRUCTION,
        Status.INSTRUCTED,
        Status.IN_COMMITTEE,
        Status.APPROVED,
        Status.WAITLISTED,
        Status.REJECTED,
    ],
)
def test_nothing_is_public_before_the_convention_is_accepted(client, status):
    dossier = public_project(status)
    assert dossier.reference not in listed(client)
    assert client.get(reverse("public:detail", args=[dossier.reference])).status_code == 404
    assert client.get(reverse("public-api:project", args=[dossier.reference])).status_code == 404
    assert client.get(reverse("public-api:projects")).json()["count"] == 0


@pytest.mark.parametrize(
    "status",
    [
        Status.AGREEMENT_SIGNED,
        Status.ADVANCE_PAID,
        Status.REPORT_SUBMITTED,
        Status.RECOVERY_PENDING,
        Status.CLOSED,
    ],
)
def test_a_project_is_public_once_its_convention_is_accepted(client, status):
    dossier = public_project(status)
    assert dossier.reference in listed(client)
    assert client.get(reverse("public:detail", args=[dossier.reference])).status_code == 200
    assert client.get(reverse("public-api:projects")).json()["results"][0]["reference"] == dossier.reference


@pytest.mark.parametrize("status", [Status.RENOUNCED, Status.LAPSED])
def test_a_renounced_or_lapsed_award_leaves_the_list(client, settings, status):
    settings.FJJ_PUBLIC_CACHE_SECONDS = 0
    dossier = public_project()
    assert dossier.reference in listed(client)
    at(dossier, status)
    assert dossier.reference not in listed(client)
    assert client.get(reverse("public:detail", args=[dossier.reference])).status_code == 404


def test_the_accepted_convention_makes_the_project_public(client, settings):
    """Through the real transition: the mayor accepts the convention, the project is listed."""
    from fonds.dossiers.services import perform
    from fonds.suivi.testing import acceptance_data

    settings.FJJ_PUBLIC_CACHE_SECONDS = 0
    commune = make_commune()
    mayor = make_user("porteur", commune=commune)
    dossier = at(
        make_dossier(commune=commune, porteur=mayor), Status.APPROVED, approved_amount=Decimal("4000")
    )
    assert dossier.reference not in listed(client)
    perform(dossier, "accept_agreement", by=mayor, data=acceptance_data(dossier))
    assert dossier.reference in listed(client)


def test_the_page_shows_counts_never_ages_or_names(client):
    dossier = public_project(youth_ages=[13, 14, 15], leader_ages=[47])
    url = reverse("public:detail", args=[dossier.reference])
    page = client.get(url).content.decode()
    assert "3 jeunes et 1 accompagnateur" in page
    # Other ages, same counts: the page must not change by one byte (a search for « 47 » alone
    # would also find it in the generated names and numbers of the fixtures).
    type(dossier).objects.filter(pk=dossier.pk).update(youth_ages=[16, 17, 12], leader_ages=[61])
    public_cache.bump()
    assert client.get(url).content.decode() == page
    data = client.get(reverse("public-api:project", args=[dossier.reference])).json()
    assert (data["young_people"], data["leaders"]) == (3, 1)
    assert "ages" not in str(sorted(data))


def test_the_amount_paid_is_shown_once_the_dossier_is_settled(client):
    open_one = public_project(Status.ADVANCE_PAID)
    settled = public_project(Status.CLOSED)
    _pay(settled, advance="2835.00", balance="2000.00")
    data = {p["reference"]: p for p in client.get(reverse("public-api:projects")).json()["results"]}
    assert data[open_one.reference]["amount_paid"] is None
    assert data[settled.reference]["amount_paid"] == "4835.00"
    assert data[settled.reference]["amount_awarded"] == "5670.00"


def _pay(dossier, *, advance, balance):
    from fonds.payments.models import OrderKind, OrderState, PaymentOrder

    for i, (kind, amount) in enumerate([(OrderKind.ADVANCE, advance), (OrderKind.BALANCE, balance)]):
        PaymentOrder.objects.create(
            reference=f"T{dossier.pk}-{i}", dossier=dossier, kind=kind, amount=Decimal(amount)
        )
    PaymentOrder.objects.filter(dossier=dossier).update(state=OrderState.PAID)


def test_the_stable_address_of_a_project_is_its_reference(client):
    dossier = public_project()
    assert reverse("public:detail", args=[dossier.reference]) == f"/projets/{dossier.reference}/"
    assert str(dossier.pk) not in reverse("public:detail", args=[dossier.reference]).replace(
        dossier.reference, ""
    )


def test_a_hidden_summary_is_not_public(client, settings):
    settings.FJJ_PUBLIC_CACHE_SECONDS = 0
    commune = make_commune()
    mayor = make_user("porteur", commune=commune)
    dossier = public_project(commune=commune)
    publishing.save_texts(dossier, by=mayor, summary="Un échange autour du théâtre.")
    assert "Un échange autour du théâtre." in listed(client)
    publishing.set_hidden(dossier, by=make_user("admin"), hidden=True, motivation="Propos hors sujet.")
    assert "Un échange autour du théâtre." not in listed(client)
    assert rules.project(dossier.reference).summary == ""
    assert dossier.reference in listed(client)  # the project itself stays public
