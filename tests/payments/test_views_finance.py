"""Finance back-office pages of the payments: who may reach them, the orders list and its filters,
certification against the RIB, batches from the whole filtered selection, the SEPA file, returns,
execution, final-report acceptance and recovery decisions — every change through a service."""

import datetime as dt
import hashlib
import html as htmllib
import itertools
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fonds.dossiers.states import Status
from fonds.payments.batches import build_batch
from fonds.payments.execution import mark_batch_sent, record_return
from fonds.payments.models import (
    BankDetails,
    Batch,
    BatchState,
    OrderKind,
    OrderState,
    PaymentOrder,
    Settlement,
)
from fonds.payments.recovery import answer_recovery
from fonds.payments.settlement import accept_final_report
from fonds.payments.testing import travel_to_execution_date
from tests.factories import make_campaign, make_commune, make_dossier, make_user

from .conftest import BIC_OK, IBAN_OK, bank_given, certified_bank, pay_through_batch, report_submitted, signed

pytestmark = pytest.mark.django_db
OS = OrderState
D = Decimal


def _html(response) -> str:
    return htmllib.unescape(response.content.decode())


def _login(client, user):
    client.force_login(user)
    return client


def _ready(cast, **kwargs):
    """A signed dossier of the cast's commune whose advance order is ready (bank certified)."""
    dossier = signed(cast, **kwargs)
    if not BankDetails.objects.filter(commune=dossier.commune, certified_at__isnull=False).exists():
        certified_bank(cast, commune=dossier.commune, dossier=dossier)
    return PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE)


_ORDER_SEQ = itertools.count(1)


def _order(dossier, kind="advance", amount="100.00", state=OS.READY):
    """Test data for the list only (real orders are created by the services)."""
    return PaymentOrder.objects.create(
        reference=f"T-{dossier.pk}-{kind}-{next(_ORDER_SEQ)}",
        dossier=dossier,
        kind=kind,
        amount=D(amount),
        state=state,
    )


@pytest.fixture
def world(cast):
    order = _ready(cast)
    return {"order": order, "dossier": order.dossier}


def _get_urls(world):
    order, dossier = world["order"], world["dossier"]
    batch = build_batch(by=make_user("finance"), order_ids=[order.pk]).batch
    return [
        reverse("payments:orders"),
        reverse("payments:order", args=[order.pk]),
        reverse("payments:batches"),
        reverse("payments:batch", args=[batch.pk]),
        reverse("payments:build-batch"),
        reverse("payments:bank-list"),
        reverse("payments:bank", args=[dossier.commune_id]),
        reverse("payments:bank-rib", args=[dossier.commune_id]),
        reverse("payments:reports"),
    ]


# ---- who may come -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["instructeur", "comite", "porteur"])
def test_permissions_instructor_committee_and_porteur_get_403_on_every_finance_page(
    client, cast, world, role
):
    user = cast.porteur if role == "porteur" else make_user(role)
    _login(client, user)
    for url in _get_urls(world):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Accès réservé" in _html(response)
    assert (
        client.post(
            reverse("payments:bank", args=[world["dossier"].commune_id]), {"confirm": "on"}
        ).status_code
        == 403
    )


def test_permissions_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("payments:orders"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("role", ["auditeur", "admin"])
def test_permissions_auditor_and_admin_read_every_page_but_never_post(client, cast, world, role):
    _login(client, make_user(role))
    for url in _get_urls(world):
        assert client.get(url).status_code == 200, url
    BankDetails.objects.filter(commune=world["dossier"].commune).update(certified_at=None)
    response = client.post(reverse("payments:bank", args=[world["dossier"].commune_id]), {"confirm": "on"})
    assert response.status_code == 403 and "Lecture seule" in _html(response)
    response = client.post(
        reverse("payments:order-action", args=[world["order"].pk, "cancel"]),
        {"motivation": "x", "confirm": "on"},
    )
    assert response.status_code == 403
    assert not BankDetails.objects.get(commune=world["dossier"].commune).certified_at
    assert PaymentOrder.objects.get(pk=world["order"].pk).state != OS.CANCELLED


def test_navigation_shows_paiements_to_finance_admin_and_auditor_only(client, cast):
    for role, shown in (("finance", True), ("admin", True), ("auditeur", True), ("instructeur", False)):
        _login(client, make_user(role))
        html = _html(client.get(reverse("task-list")))
        assert (f'href="{reverse("payments:orders")}"' in html) is shown, role


# ---- the orders list ----------------------------------------------------------------------------


def test_orders_list_filters_by_state_kind_campaign_departement_and_amount(client, cast):
    campaign = make_campaign()
    nord = make_commune("59001", name="Nordville", departement="59")
    sud = make_commune("13001", name="Sudville", departement="13")
    d1 = make_dossier(campaign=campaign, commune=nord, complete=False)
    d2 = make_dossier(commune=sud, complete=False)
    a = _order(d1, "advance", "4252.50", OS.READY)
    b = _order(d1, "balance", "900.00", OS.TO_CERTIFY)
    c = _order(d2, "advance", "3000.00", OS.PAID)
    _login(client, cast.finance)

    def refs(**params):
        response = client.get(reverse("payments:orders"), params)
        assert response.status_code == 200
        return {ref for ref in (a.reference, b.reference, c.reference) if ref in _html(response)}

    assert refs() == {a.reference, b.reference, c.reference}
    assert refs(state=["ready", "paid"]) == {a.reference, c.reference}
    assert refs(kind="balance") == {b.reference}
    assert refs(campaign=campaign.pk) == {a.reference, b.reference}
    assert refs(departement="13") == {c.reference}
    assert refs(amount_min="1000", amount_max="3500") == {c.reference}
    assert refs(q="Nordville") == {a.reference, b.reference}


def test_orders_list_invalid_filters_select_nothing_and_say_why_in_french(client, cast):
    _order(make_dossier(complete=False), "advance", "100.00")
    _login(client, cast.finance)
    response = client.get(
        reverse("payments:orders"), {"amount_min": "10.005", "departement": "XYZ", "amount_max": "abc"}
    )
    html = _html(response)
    assert response.status_code == 400
    assert "Aucun ordre de paiement ne correspond" in html and "Filtres invalides" in html
    assert "deux décimales au plus" in html and "code de département" in html
    assert 'value="10.005"' in html  # nothing lost: the typed value is shown again
    response = client.get(reverse("payments:orders"), {"amount_min": "500", "amount_max": "100"})
    assert response.status_code == 400 and "supérieur ou égal au montant minimal" in _html(response)


def test_orders_list_query_count_does_not_grow_with_rows_or_page_size(
    client, cast, django_assert_max_num_queries
):
    _login(client, cast.finance)

    def more(n):
        for i in range(n):
            d = make_dossier(commune=make_commune(), complete=False)
            _order(d, "advance", f"{100 + i}.00")
            _order(d, "balance", "50.00", OS.TO_CERTIFY)

    more(15)  # 30 orders: two pages of 25 (rows, count and selection totals all queried)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("payments:orders"), {"taille": "25"}).status_code == 200
    more(45)
    for size in ("25", "200"):
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(
                reverse("payments:orders"),
                {"taille": size, "state": ["ready", "to_certify"], "sort": "-amount"},
            )
        assert response.status_code == 200
    assert "120 ordres" in _html(response)


# ---- bank details certification ----------------------------------------------------------------


def test_certify_bank_details_shows_the_rib_inline_and_needs_the_confirmation(client, cast):
    dossier = signed(cast)
    bank_given(cast, dossier, holder="Commune de Saint-Exemple")
    order = PaymentOrder.objects.get(dossier=dossier)
    assert order.state == OS.TO_CERTIFY
    _login(client, cast.finance)
    listing = _html(client.get(reverse("payments:bank-list")))
    assert cast.commune.name in listing
    url = reverse("payments:bank", args=[cast.commune.pk])
    html = _html(client.get(url))
    assert reverse("payments:bank-rib", args=[cast.commune.pk]) in html and "<iframe" in html
    assert "FR76 3000 6000 0112 3456 7890 189" in html and BIC_OK in html
    response = client.post(url, {})
    assert response.status_code == 400 and "Cochez la case pour confirmer" in _html(response)
    assert BankDetails.objects.get(commune=cast.commune).certified_at is None
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    bank = BankDetails.objects.get(commune=cast.commune)
    assert bank.is_certified and bank.certified_by == cast.finance
    order.refresh_from_db()
    assert order.state == OS.READY
    response = client.post(url, {"confirm": "on"})  # already certified: the service refuses, in French
    assert response.status_code == 409 and "déjà certifiées" in _html(response)


def test_rib_inline_is_served_only_to_finance_staff_and_framable_by_this_site_only(client, cast):
    dossier = signed(cast)
    bank_given(cast, dossier, holder="Commune de Saint-Exemple")
    url = reverse("payments:bank-rib", args=[cast.commune.pk])
    for user in (cast.porteur, cast.instructeur):
        assert _login(client, user).get(url).status_code == 403
    response = _login(client, cast.finance).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["X-Frame-Options"] == "SAMEORIGIN"
        and "frame-ancestors 'self'" in response["Content-Security-Policy"]
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("payments:bank-rib", args=["00000"])).status_code == 404


# ---- batches ------------------------------------------------------------------------------------


def test_build_batch_confirms_count_and_total_of_the_whole_filtered_selection(client, cast):
    orders = [_ready(cast, approved=amount) for amount in ("1000.00", "2000.00", "3000.00")]
    waiting = signed(cast, commune=cast.other_commune)  # not certified: left out of the batch
    _login(client, cast.finance)
    listing = client.get(
        reverse("payments:orders"), {"state": ["ready", "to_certify"], "taille": "25", "page": "1"}
    )
    html = _html(listing)
    assert "dont 3 prêts à payer" in html
    link = re.search(r'id="build-batch" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    confirm = client.get(link)
    page = _html(confirm)
    assert confirm.status_code == 200
    assert re.search(r"3 virements pour un total de 4\s500\s€", page)  # 750 + 1 500 + 2 250
    assert confirm.context["summary"]["ready_total"] == D("4500.00")
    selection = confirm.context["selection"]
    # without the confirmation box: nothing is built
    response = client.post(
        reverse("payments:build-batch"),
        {
            "selection": selection,
            "execution_date": confirm.context["form"].initial["execution_date"].isoformat(),
            "expected_count": "3",
            "expected_total": "4500.00",
        },
    )
    assert response.status_code == 400 and not Batch.objects.exists()
    assert "Cochez la case pour confirmer" in _html(response)
    response = client.post(
        reverse("payments:build-batch"),
        {
            "selection": selection,
            "execution_date": confirm.context["form"].initial["execution_date"].isoformat(),
            "expected_count": "3",
            "expected_total": "4500.00",
            "confirm": "on",
        },
    )
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:batch", args=[batch.pk])
    assert batch.count == 3 and batch.total == D("4500.00")
    assert {i.order_id for i in batch.items.all()} == {o.pk for o in orders}
    assert PaymentOrder.objects.get(dossier=waiting).state == OS.TO_CERTIFY


def test_build_batch_shows_the_confirmation_again_when_the_selection_changed(client, cast):
    _ready(cast, approved="1000.00")
    _login(client, cast.finance)
    confirm = client.get(reverse("payments:build-batch"), {"selection": "state=ready"})
    later = _ready(cast, approved="2000.00")  # another order became ready meanwhile
    response = client.post(
        reverse("payments:build-batch"),
        {
            "selection": "state=ready",
            "execution_date": confirm.context["form"].initial["execution_date"].isoformat(),
            "expected_count": "1",
            "expected_total": "750.00",
            "confirm": "on",
        },
    )
    assert response.status_code == 409 and not Batch.objects.exists()
    assert "La sélection a changé" in _html(response) and "2 virements" in _html(response)
    assert PaymentOrder.objects.get(pk=later.pk).state == OS.READY


def test_build_batch_with_nothing_ready_offers_nothing_to_confirm(client, cast):
    signed(cast)  # to certify
    _login(client, cast.finance)
    response = client.get(reverse("payments:build-batch"), {"selection": ""})
    assert "Aucun ordre prêt à payer" in _html(response) and 'name="confirm"' not in _html(response)
    response = client.post(
        reverse("payments:build-batch"),
        {
            "selection": "",
            "execution_date": "2099-01-05",
            "expected_count": "0",
            "expected_total": "0",
            "confirm": "on",
        },
    )
    assert response.status_code == 400 and not Batch.objects.exists()
    assert "Le lot serait vide" in _html(response)


def test_batch_page_offers_the_validated_file_and_its_sha256_identical_on_every_download(client, cast):
    order = _ready(cast)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    _login(client, cast.finance)
    html = _html(client.get(reverse("payments:batch", args=[batch.pk])))
    assert batch.file_sha256 in html and order.reference in html
    first = client.get(reverse("payments:batch-file", args=[batch.pk]))
    second = client.get(reverse("payments:batch-file", args=[batch.pk]))
    assert first.status_code == 200 and first["Content-Type"] == "application/xml"
    assert f'filename="{batch.reference}.xml"' in first["Content-Disposition"]
    assert first.content == second.content and hashlib.sha256(first.content).hexdigest() == batch.file_sha256
    assert b"pain.001.001.03" in first.content and order.reference.encode() in first.content


def test_batch_sent_then_one_return_with_its_reason_code_then_execution_pays_the_rest(client, cast, clock):
    kept, returned = _ready(cast, approved="1000.00"), _ready(cast, approved="2000.00")
    batch = build_batch(by=cast.finance, order_ids=[kept.pk, returned.pk]).batch
    _login(client, cast.finance)
    url = reverse("payments:batch-action", args=[batch.pk, "transmis"])
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"confirm": "on"}).status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.SENT
    page = _html(client.get(reverse("payments:batch", args=[batch.pk])))
    for code in ("AC01", "AC04", "AC06", "AG01", "MD07", "MS02", "MS03", "RC01", "RR01"):
        assert f'value="{code}"' in page, code
    response = client.post(
        reverse("payments:batch-return", args=[batch.pk]),
        {"end_to_end_id": returned.reference.lower(), "reason_code": "AC04", "confirm": "on"},
    )
    assert response.status_code == 302
    returned.refresh_from_db()
    assert returned.state == OS.RETURNED and returned.return_code == "AC04"
    travel_to_execution_date(clock, batch)  # the bank executes the batch on its requested date
    execution = client.get(reverse("payments:batch-action", args=[batch.pk, "execution"]))
    assert [i.order_id for i in execution.context["pending_items"]] == [kept.pk] and execution.context[
        "pending"
    ]["count"] == 1
    assert (
        client.post(
            reverse("payments:batch-action", args=[batch.pk, "execution"]), {"confirm": "on"}
        ).status_code
        == 302
    )
    kept.refresh_from_db()
    batch.refresh_from_db()
    assert kept.state == OS.PAID and batch.state == BatchState.EXECUTED
    assert kept.dossier.__class__.objects.get(pk=kept.dossier_id).status == Status.ADVANCE_PAID


def test_return_of_an_order_not_in_the_batch_is_refused_in_french_and_changes_nothing(client, cast):
    in_batch, other = _ready(cast, approved="1000.00"), _ready(cast, approved="2000.00")
    batch = build_batch(by=cast.finance, order_ids=[in_batch.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    _login(client, cast.finance)
    response = client.post(
        reverse("payments:batch-return", args=[batch.pk]),
        {"end_to_end_id": other.reference, "reason_code": "AC04", "confirm": "on"},
    )
    assert response.status_code == 400 and f"ne fait pas partie du lot {batch.reference}" in _html(response)
    assert f'value="{other.reference}"' in _html(response)  # nothing lost
    response = client.post(
        reverse("payments:batch-return", args=[batch.pk]),
        {"end_to_end_id": "FJJ-0000-000000-AV1", "reason_code": "AC04", "confirm": "on"},
    )
    assert response.status_code == 400 and "Aucun ordre de paiement ne porte la référence" in _html(response)
    response = client.post(
        reverse("payments:batch-return", args=[batch.pk]),
        {"end_to_end_id": in_batch.reference, "reason_code": "ZZ99", "confirm": "on"},
    )
    assert response.status_code == 400 and "Code motif inconnu" in _html(response)
    for order in (in_batch, other):
        order.refresh_from_db()
    assert in_batch.state == OS.SENT and other.state == OS.READY


def test_cancel_batch_before_transmission_releases_its_orders(client, cast):
    order = _ready(cast)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    _login(client, cast.finance)
    assert (
        client.post(
            reverse("payments:batch-action", args=[batch.pk, "annuler"]), {"confirm": "on"}
        ).status_code
        == 302
    )
    batch.refresh_from_db()
    order.refresh_from_db()
    assert batch.state == BatchState.CANCELLED and order.state == OS.READY
    response = client.get(reverse("payments:batch-file", args=[batch.pk]))
    assert response.status_code == 302  # the file of a cancelled batch is not offered
    response = client.post(reverse("payments:batch-action", args=[batch.pk, "execution"]), {"confirm": "on"})
    assert response.status_code == 409


def test_returned_order_is_reissued_only_after_new_bank_details_are_certified(client, cast):
    order = _ready(cast)
    batch = build_batch(by=cast.finance, order_ids=[order.pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    record_return(batch, order, by=cast.finance, reason_code="AC01")
    _login(client, cast.finance)
    url = reverse("payments:order-action", args=[order.pk, "reissue"])
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 400 and "n'ont pas changé depuis le rejet" in _html(response)
    from .conftest import BIC_OTHER, IBAN_OTHER

    certified_bank(cast, dossier=order.dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    assert client.post(url, {"confirm": "on"}).status_code == 302
    order.refresh_from_db()
    assert order.state == OS.READY


# ---- final report and recovery ------------------------------------------------------------------


def _paid_advance(cast, **kwargs):
    order = _ready(cast, **kwargs)
    pay_through_batch(cast, order)
    order.dossier.refresh_from_db()
    return order.dossier


def test_accept_final_report_shows_the_balance_breakdown_then_creates_the_balance_order(client, cast):
    dossier = report_submitted(cast, _paid_advance(cast))
    _login(client, cast.finance)
    assert dossier.reference in _html(client.get(reverse("payments:reports")))
    url = reverse("payments:report", args=[dossier.pk])
    page = client.get(url)
    html = _html(page)
    balance = page.context["balance"]
    assert (
        "Subvention définitive" in html and "Avance versée" in html and "Solde à verser à la commune" in html
    )
    assert balance.balance > 0
    assert client.post(url, {}).status_code == 400 and not Settlement.objects.exists()
    assert client.post(url, {"confirm": "on"}).status_code == 302
    settlement = Settlement.objects.get(dossier=dossier)
    assert settlement.balance == balance.balance and settlement.accepted_by == cast.finance
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.BALANCE)
    assert order.amount == balance.balance and order.state == OS.READY
    after = client.get(url)
    assert after.status_code == 200 and "Rapport validé" in _html(after)
    again = client.post(url, {"confirm": "on"})  # once only
    assert again.status_code == 409 and "déjà validé" in _html(again)
    assert PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE).count() == 1


@pytest.fixture
def recovery(cast):
    dossier = report_submitted(cast, _paid_advance(cast), youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    accept_final_report(dossier, cast.finance)
    return PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)


def test_negative_balance_page_announces_the_recovery_and_the_contradictory_step(client, cast):
    dossier = report_submitted(cast, _paid_advance(cast), youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    _login(client, cast.finance)
    html = _html(client.get(reverse("payments:report", args=[dossier.pk])))
    assert "Trop-perçu à reverser" in html and "15 jours" in html
    client.post(reverse("payments:report", args=[dossier.pk]), {"confirm": "on"})
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    assert order.state == OS.CONTRADICTORY
    assert order.reference in _html(client.get(reverse("payments:reports")))


def test_finance_makes_a_recovery_final_after_reading_the_answer(client, cast, recovery):
    answer_recovery(recovery, cast.porteur, "Deux jeunes malades ont renoncé la veille du départ.")
    _login(client, cast.finance)
    url = reverse("payments:order-action", args=[recovery.pk, "make_final"])
    assert "malades" in _html(client.get(url))
    assert (
        client.post(url, {"motivation": "Les frais ne sont pas justifiés.", "confirm": "on"}).status_code
        == 302
    )
    recovery.refresh_from_db()
    assert recovery.state == OS.FINAL and recovery.motivation == "Les frais ne sont pas justifiés."
    assert (
        client.post(
            reverse("payments:order-action", args=[recovery.pk, "record_recovered"]), {"confirm": "on"}
        ).status_code
        == 302
    )
    recovery.refresh_from_db()
    assert (
        recovery.state == OS.PAID
        and recovery.dossier.__class__.objects.get(pk=recovery.dossier_id).status == Status.CLOSED
    )


def test_cancelling_a_recovery_needs_a_motivation_and_closes_the_dossier(client, cast, recovery):
    _login(client, cast.finance)
    url = reverse("payments:order-action", args=[recovery.pk, "cancel"])
    response = client.post(url, {"motivation": "  ", "confirm": "on"})
    assert response.status_code == 400 and "Écrivez la motivation" in _html(response)
    recovery.refresh_from_db()
    assert recovery.state == OS.CONTRADICTORY
    assert (
        client.post(
            url, {"motivation": "Les observations du maire sont fondées.", "confirm": "on"}
        ).status_code
        == 302
    )
    recovery.refresh_from_db()
    assert recovery.state == OS.CANCELLED
    assert recovery.dossier.__class__.objects.get(pk=recovery.dossier_id).status == Status.CLOSED
    response = client.post(
        reverse("payments:order-action", args=[recovery.pk, "make_final"]), {"confirm": "on"}
    )
    assert response.status_code == 409


def test_order_page_lists_only_the_actions_its_state_allows(client, cast, recovery, clock):
    _login(client, cast.finance)
    html = _html(client.get(reverse("payments:order", args=[recovery.pk])))
    assert (
        reverse("payments:order-action", args=[recovery.pk, "make_final"]) not in html
    )  # the mayor has 15 days
    assert "pourra l'être dès la réponse du maire" in html
    clock.advance(days=15)
    html = _html(client.get(reverse("payments:order", args=[recovery.pk])))
    assert reverse("payments:order-action", args=[recovery.pk, "make_final"]) in html
    assert reverse("payments:order-action", args=[recovery.pk, "cancel"]) in html
    assert reverse("payments:order-action", args=[recovery.pk, "reissue"]) not in html
    assert reverse("payments:order-action", args=[recovery.pk, "write_off"]) not in html
    assert client.get(reverse("payments:order-action", args=[recovery.pk, "unknown"])).status_code == 404


def test_batch_page_and_worklists_query_counts_do_not_grow_with_their_rows(
    client, cast, django_assert_max_num_queries
):
    first = _ready(cast, approved="1000.00")
    batch = build_batch(by=cast.finance, order_ids=[first.pk]).batch
    _login(client, cast.finance)
    urls = [
        reverse("payments:batch", args=[batch.pk]),
        reverse("payments:bank-list"),
        reverse("payments:reports"),
        reverse("payments:batches"),
    ]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(15) as few:
            assert client.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    more = [_ready(cast, approved=f"{1000 + i}.00") for i in range(6)]
    big = build_batch(by=cast.finance, order_ids=[o.pk for o in more]).batch
    for i in range(4):
        commune = make_commune()
        d = make_dossier(commune=commune, complete=False)
        BankDetails.objects.create(
            commune=commune, iban=IBAN_OK.replace(" ", ""), bic=BIC_OK, holder=f"Commune {i}"
        )
        _order(d, "advance", "10.00", OS.TO_CERTIFY)
    urls[0] = reverse("payments:batch", args=[big.pk])
    counts[urls[0]] = counts.pop(reverse("payments:batch", args=[batch.pk]))
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    assert len(client.get(urls[0]).context["items"].rows) == 6


# ---- dates that cannot lie: the screens neither offer nor accept a step before its date ------------


def test_recovery_screen_offers_make_final_only_after_answer_or_15_days(client, cast, recovery, clock):
    _login(client, cast.finance)
    page = reverse("payments:order", args=[recovery.pk])
    action = reverse("payments:order-action", args=[recovery.pk, "make_final"])
    due = f"{timezone.localtime(recovery.answer_due):%d/%m/%Y à %H:%M}"
    html = _html(client.get(page))
    assert action not in html and f"observations jusqu'au {due}" in html
    response = client.get(action)
    assert response.status_code == 409 and "ne peut pas encore être rendu exécutoire" in _html(response)
    assert 'name="confirm"' not in _html(response)
    response = client.post(action, {"motivation": "Trop tôt.", "confirm": "on"})
    assert response.status_code == 409
    recovery.refresh_from_db()
    assert recovery.state == OS.CONTRADICTORY
    clock.advance(days=2)
    answer_recovery(recovery, cast.porteur, "Deux désistements de dernière minute.")
    assert action in _html(client.get(page))  # the answer is in: finance may decide
    assert client.post(action, {"motivation": "Réponse examinée.", "confirm": "on"}).status_code == 302
    recovery.refresh_from_db()
    assert recovery.state == OS.FINAL


def test_batch_screen_hides_execution_before_requested_date(client, cast, clock):
    order = _ready(cast)
    requested = clock.today() + dt.timedelta(days=5)
    batch = build_batch(by=cast.finance, order_ids=[order.pk], execution_date=requested).batch
    mark_batch_sent(batch, by=cast.finance)
    _login(client, cast.finance)
    action = reverse("payments:batch-action", args=[batch.pk, "execution"])
    html = _html(client.get(reverse("payments:batch", args=[batch.pk])))
    assert action not in html and f"pourra être enregistrée à partir du {requested:%d/%m/%Y}" in html
    response = client.get(action)
    assert response.status_code == 409 and "avant sa date d'exécution demandée" in _html(response)
    assert client.post(action, {"confirm": "on"}).status_code == 409
    batch.refresh_from_db()
    assert batch.state == BatchState.SENT
    clock.travel_to(requested)
    assert action in _html(client.get(reverse("payments:batch", args=[batch.pk])))
    assert client.post(action, {"confirm": "on"}).status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.EXECUTED


def test_report_screen_refuses_acceptance_before_project_end(client, cast, clock):
    dossier = report_submitted(cast, _paid_advance(cast))
    clock.travel_to(dossier.end_date - dt.timedelta(days=1))  # seen from before the project's end
    _login(client, cast.finance)
    url = reverse("payments:report", args=[dossier.pk])
    html = _html(client.get(url))
    assert "ne peut pas être validé avant la fin du projet" in html and "Valider le rapport final" not in html
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 409 and f"à partir du {dossier.end_date:%d/%m/%Y}" in _html(response)
    assert not Settlement.objects.filter(dossier=dossier).exists()
