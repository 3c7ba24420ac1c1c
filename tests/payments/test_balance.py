"""The balance when finance accepts the final report: under-spend, over-spend, fewer participants,
no advance, nothing due, a recovery; the dossier follows (settle)."""

import datetime as dt
from decimal import Decimal

import pytest

from fonds.audit.models import AuditEvent
from fonds.dossiers.services import TransitionRefused, perform
from fonds.dossiers.states import Forum, Status
from fonds.payments.common import PaymentRefused
from fonds.payments.models import OrderKind, OrderState, PaymentOrder, Settlement
from fonds.payments.orders import cancel_order
from fonds.payments.settlement import accept_final_report, can_reissue_balance, reissue_balance_order
from tests.factories import make_dossier

from .conftest import at_status, certified_bank, pay_through_batch, report_submitted, signed

pytestmark = pytest.mark.django_db
D = Decimal
OS = OrderState


def lines(eligible_total: str, *, ineligible: str = "300.00"):
    total = D(eligible_total)
    return [
        {
            "kind": "expense",
            "category": "travel",
            "label": "Train",
            "amount": (total * D("0.6")).quantize(D("0.01")),
            "eligible": True,
        },
        {
            "kind": "expense",
            "category": "accommodation",
            "label": "",
            "amount": total - (total * D("0.6")).quantize(D("0.01")),
            "eligible": True,
        },
        {
            "kind": "expense",
            "category": "other_expense",
            "label": "Cadeaux",
            "amount": D(ineligible),
            "eligible": False,
        },
        {"kind": "income", "category": "own_share", "label": "", "amount": D("2000.00"), "eligible": False},
    ]


def advance_paid(cast, approved="5670.00"):
    dossier = signed(cast, approved=approved)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.ADVANCE))
    dossier.refresh_from_db()
    assert dossier.status == Status.ADVANCE_PAID
    return dossier


def test_balance_as_planned_is_paid_then_the_dossier_is_closed(cast):
    dossier = report_submitted(cast, advance_paid(cast))
    settlement = accept_final_report(dossier, cast.finance)
    assert (settlement.final_grant, settlement.advance, settlement.balance) == (
        D("5670.00"),
        D("4252.50"),
        D("1417.50"),
    )
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.BALANCE)
    assert order.amount == D("1417.50") and order.state == OS.READY and order.reference.endswith("-SO1")
    dossier.refresh_from_db()
    assert dossier.status == Status.REPORT_SUBMITTED  # settled when the balance is paid
    pay_through_batch(cast, order)
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    settle = AuditEvent.objects.get(action="settle", object_id=str(dossier.pk))
    assert settle.data["payload"]["data"]["balance"] == "1417.50"


def test_balance_under_spend_limited_to_80_pct_of_actual_eligible_costs(cast):
    dossier = report_submitted(cast, advance_paid(cast), lines=lines("6000.00"))
    settlement = accept_final_report(dossier, cast.finance)
    # 80 % × 6,000 = 4,800 < formula 5,670: final grant 4,800 − advance 4,252.50
    assert settlement.final_grant == D("4800.00") and settlement.balance == D("547.50")
    assert PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.BALANCE).amount == D("547.50")


def test_balance_over_spend_capped_by_the_approved_amount(cast):
    dossier = report_submitted(cast, advance_paid(cast, approved="5000.00"), lines=lines("20000.00"))
    settlement = accept_final_report(dossier, cast.finance)
    # formula on actual figures 5,670 (80 % of 20,000 = 16,000 does not bind) > approved 5,000
    assert settlement.breakdown["formula_amount"] == "5670.00"
    assert (
        settlement.final_grant == D("5000.00")
        and settlement.advance == D("3750.00")
        and settlement.balance == D("1250.00")
    )


def test_balance_fewer_participants_gives_a_recovery_after_a_contradictory_step(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = report_submitted(cast, advance_paid(cast), youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])
    with django_capture_on_commit_callbacks(execute=True):
        settlement = accept_final_report(dossier, cast.finance)
    # T = 6 travellers × 417 = 2,502 ; S = 4 nights × 6 × 25 = 600 ; O = 500 → 3,602 − 4,252.50
    assert settlement.final_grant == D("3602.00") and settlement.balance == D("-650.50")
    dossier.refresh_from_db()
    assert dossier.status == Status.RECOVERY_PENDING
    order = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.RECOVERY)
    assert (
        order.amount == D("650.50") and order.state == OS.CONTRADICTORY and order.reference.endswith("-RV1")
    )
    days = dossier.campaign.rules.params["deadlines"]["recovery_answer_days"]
    assert order.answer_due - order.created_at == dt.timedelta(days=days)  # from the notice's date
    assert [m.to for m in mailoutbox] == [[cast.porteur.email]]
    assert "650,50\u00a0€" in mailoutbox[0].subject and order.reference in mailoutbox[0].body


def test_balance_zero_settles_the_dossier_at_once(cast):
    dossier = advance_paid(cast, approved="4000.00")  # advance 3,000
    dossier = report_submitted(cast, dossier, lines=lines("3750.00"))  # 80 % × 3,750 = 3,000
    settlement = accept_final_report(dossier, cast.finance)
    assert settlement.balance == D("0.00")
    dossier.refresh_from_db()
    assert dossier.status == Status.CLOSED
    assert not PaymentOrder.objects.filter(
        dossier=dossier, kind__in=[OrderKind.BALANCE, OrderKind.RECOVERY]
    ).exists()


def test_balance_of_a_single_euro_is_paid_by_a_balance_order_like_any_positive_balance(cast):
    """Any positive balance, however small, is paid to the commune by a balance order (re-issued
    if that order is cancelled); only a nil balance settles the dossier at once."""
    dossier = advance_paid(cast, approved="4000.00")  # advance 3,000
    dossier = report_submitted(cast, dossier, lines=lines("3751.25"))  # 80 % × 3,751.25 = 3,001
    settlement = accept_final_report(dossier, cast.finance)
    assert settlement.balance == D("1.00")
    first = PaymentOrder.objects.get(dossier=dossier, kind=OrderKind.BALANCE)
    assert first.amount == D("1.00") and not PaymentOrder.objects.filter(kind=OrderKind.RECOVERY).exists()
    cancel_order(first, by=cast.finance, motivation="Virement groupé avec un autre dossier, à refaire.")
    assert can_reissue_balance(dossier)
    again = reissue_balance_order(dossier, by=cast.finance, motivation="Solde dû à la commune.")
    assert again.amount == D("1.00") and again.reference.endswith("-SO2")
    dossier.refresh_from_db()
    assert dossier.status == Status.REPORT_SUBMITTED  # settled when the balance is paid


def test_balance_without_advance_pays_the_whole_final_grant(cast):
    dossier = signed(cast)
    advance = PaymentOrder.objects.get(dossier=dossier)
    cancel_order(advance, by=cast.finance, motivation="La commune renonce à l'avance.")
    dossier.refresh_from_db()
    assert dossier.status == Status.ADVANCE_PAID  # the dossier goes on without advance
    dossier = report_submitted(cast, dossier)
    settlement = accept_final_report(dossier, cast.finance)
    assert settlement.advance == D("0.00") and settlement.balance == D("5670.00")
    assert "Aucune avance versée." in settlement.lines


def test_final_report_accepted_once_by_finance_only(cast):
    dossier = report_submitted(cast, advance_paid(cast))
    for user in (cast.porteur, cast.instructeur, cast.auditeur):
        with pytest.raises(PaymentRefused):
            accept_final_report(dossier, user)
    accept_final_report(dossier, cast.finance)
    with pytest.raises(PaymentRefused, match="déjà validé"):
        accept_final_report(dossier, cast.finance)
    assert (
        Settlement.objects.count() == 1 and PaymentOrder.objects.filter(kind=OrderKind.BALANCE).count() == 1
    )


def test_final_report_refused_while_the_advance_is_being_paid(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    perform(
        dossier, "pay_advance", by=cast.finance, forum=Forum.PAYMENTS
    )  # fired out of turn while the order is still ready
    dossier = report_submitted(cast, dossier)
    with pytest.raises(PaymentRefused, match="pas encore payée"):
        accept_final_report(dossier, cast.finance)
    assert not Settlement.objects.exists()


def test_final_report_refused_before_it_is_submitted(cast):
    """Finance accepts a final report only once the porteur has submitted it; the refusal names the
    dossier's status (a dossier with its advance paid, one still on the waiting list)."""
    dossier = advance_paid(cast)
    with pytest.raises(PaymentRefused, match="Avance versée"):
        accept_final_report(dossier, cast.finance)
    waiting = at_status(
        make_dossier(campaign=dossier.campaign, commune=cast.other_commune), Status.WAITLISTED
    )
    with pytest.raises(PaymentRefused) as refused:
        accept_final_report(waiting, cast.finance)
    assert refused.value.kind == "status" and "« Liste complémentaire »" in refused.value.message


def test_balance_refused_before_project_end(cast, clock):
    dossier = report_submitted(cast, advance_paid(cast))  # filed the day after the project's last day
    # seen from the day before that last day (a report filed under the old rule, issue 13)
    clock.travel_to(dossier.end_date - dt.timedelta(days=1))
    with pytest.raises(PaymentRefused) as refused:
        accept_final_report(dossier, cast.finance)
    assert (
        refused.value.kind == "too_early"
        and refused.value.http_status == 409
        and refused.value.rules == ["project_not_ended"]
    )
    assert "ne peut pas être validé avant la fin du projet" in refused.value.message
    assert f"à partir du {dossier.end_date:%d/%m/%Y}" in refused.value.message
    with pytest.raises(TransitionRefused) as settle:
        perform(dossier, "settle", by=cast.finance, data={"balance": "1417.50"}, forum=Forum.PAYMENTS)
    assert settle.value.kind == "too_early" and settle.value.http_status == 409
    dossier.refresh_from_db()
    assert dossier.status == Status.REPORT_SUBMITTED and not Settlement.objects.exists()
    assert not PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE).exists()
    assert not AuditEvent.objects.filter(action__in=["final_report_accepted", "settle"]).exists()
    clock.travel_to(dossier.end_date)  # the project's last day: the trip has happened
    assert accept_final_report(dossier, cast.finance).balance == D("1417.50")
