"""Batches: only ready orders with certified bank details, empty refused, the SEPA file
(pain.001.001.03, XSD-valid, deterministic, SHA-256 audited), returns and execution, the command."""

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import xmlschema
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.payments import batches, sepa
from fonds.payments.bank import certify_bank_details
from fonds.payments.batches import build_batch, cancel_batch, export_batch, next_business_day, remittance_text
from fonds.payments.common import PaymentRefused
from fonds.payments.execution import mark_batch_sent, record_execution, record_return
from fonds.payments.models import BankDetails, Batch, BatchItem, OrderState, PaymentOrder
from fonds.payments.testing import travel_to_execution_date
from tests.factories import make_dossier

from .conftest import BIC_OTHER, IBAN_OTHER, bank_given, certified_bank, signed

pytestmark = pytest.mark.django_db
OS = OrderState
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


@pytest.fixture
def ready_orders(cast):
    """Two ready advance orders (two dossiers of the commune, certified bank details)."""
    first, second = signed(cast, approved="5670.00"), signed(cast, approved="3000.00")
    certified_bank(cast, dossier=first)
    return list(PaymentOrder.objects.filter(dossier__in=[first, second]).order_by("pk"))


def test_batch_takes_only_ready_orders_with_certified_bank_details(cast, ready_orders):
    other = signed(cast, commune=cast.other_commune)  # bank details never given
    waiting = PaymentOrder.objects.get(dossier=other)
    result = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders] + [waiting.pk])
    assert [i.order_id for i in result.batch.items.order_by("position")] == [o.pk for o in ready_orders]
    assert [pk for pk, _ in result.excluded] == [waiting.pk]
    assert result.batch.count == 2 and result.batch.total == Decimal("6502.50")
    waiting.refresh_from_db()
    assert waiting.state == OS.TO_CERTIFY


def test_batch_by_filter_takes_the_whole_selection(cast, ready_orders):
    result = build_batch(by=cast.finance, filters={"commune": cast.commune.pk, "kind": "advance"})
    assert result.batch.count == 2


def test_empty_batch_refused_nothing_created(cast, ready_orders):
    with pytest.raises(PaymentRefused, match="vide"):
        build_batch(by=cast.finance, order_ids=[])
    with pytest.raises(PaymentRefused, match="Sélectionnez"):
        build_batch(by=cast.finance)
    with pytest.raises(PaymentRefused, match="vide"):
        build_batch(by=cast.finance, filters={"commune": cast.other_commune.pk})
    assert not Batch.objects.exists() and not AuditEvent.objects.filter(action="batch_built").exists()


def test_batch_built_by_finance_only(cast, ready_orders):
    for user in (cast.porteur, cast.instructeur, cast.auditeur):
        with pytest.raises(PaymentRefused) as exc:
            build_batch(by=user, order_ids=[ready_orders[0].pk])
        assert exc.value.kind == "role"


def test_order_never_in_two_live_batches(cast, ready_orders):
    first = build_batch(by=cast.finance, order_ids=[ready_orders[0].pk]).batch
    with pytest.raises(PaymentRefused, match="vide"):
        build_batch(by=cast.finance2, order_ids=[ready_orders[0].pk])
    second = build_batch(by=cast.finance2, order_ids=[o.pk for o in ready_orders]).batch
    assert [i.order_id for i in second.items.all()] == [ready_orders[1].pk]
    assert BatchItem.objects.filter(order=ready_orders[0], live=True).get().batch == first


def test_generated_file_is_valid_against_the_official_xsd(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    data = export_batch(batch, by=cast.finance)
    xmlschema.XMLSchema(sepa.XSD_PATH).validate(data.decode())  # independent of the module's cache
    root = ET.fromstring(data)
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.03}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.find("p:MsgId", NS).text == batch.message_id
    assert header.find("p:NbOfTxs", NS).text == "2" and header.find("p:CtrlSum", NS).text == "6502.50"
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.find("p:Dbtr/p:Nm", NS).text == "Fonds Jumelages Jeunesse"
    assert info.find("p:DbtrAcct/p:Id/p:IBAN", NS).text == "FR7630001007941234567890185"
    assert info.find("p:ReqdExctnDt", NS).text == batch.execution_date.isoformat()
    txs = info.findall("p:CdtTrfTxInf", NS)
    assert [t.find("p:PmtId/p:EndToEndId", NS).text for t in txs] == [o.reference for o in ready_orders]
    assert [t.find("p:Amt/p:InstdAmt", NS).text for t in txs] == ["4252.50", "2250.00"]
    assert txs[0].find("p:CdtrAcct/p:Id/p:IBAN", NS).text == "FR7630006000011234567890189"
    assert ready_orders[0].dossier.reference in txs[0].find("p:RmtInf/p:Ustrd", NS).text


def test_sepa_file_identifiers_are_fixed_by_the_batch(cast, ready_orders):
    """The header's creation time is the batch's, to the second, and the one PmtInf block is
    ``<MsgId>-1``: nothing in the file depends on when it is exported, so a regenerated file is
    byte-identical and the bank's report on the block points back at the batch."""
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    root = ET.fromstring(export_batch(batch, by=cast.finance))
    created = root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", NS).text
    local = timezone.localtime(batch.created_at)
    assert created == f"{local:%Y-%m-%dT%H:%M:%S}"
    ids = [node.text for node in root.findall("p:CstmrCdtTrfInitn/p:PmtInf/p:PmtInfId", NS)]
    assert ids == [f"{batch.message_id}-1"]


def test_invalid_file_refused_by_the_xsd_check():
    with pytest.raises(PaymentRefused, match="pas conforme"):
        sepa.validate(
            b'<?xml version="1.0"?><Document '
            b'xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>'
        )


def test_malformed_sepa_file_refused_as_not_well_formed_xml():
    with pytest.raises(PaymentRefused, match="pas un XML bien formé"):
        sepa.validate(b'<?xml version="1.0"?><Document><CstmrCdtTrfInitn>')


@pytest.mark.parametrize("pinned", ["0" * 64, "f" * 64])  # below and above the real digest
def test_sepa_check_uses_only_the_official_xsd(monkeypatch, pinned):
    """The schema file is the one shipped with sepaxml, pinned by its SHA-256: another one (an
    upgrade, a local edit) stops the check instead of validating against it."""
    monkeypatch.setattr(sepa, "_schema", None)
    monkeypatch.setattr(sepa, "XSD_SHA256", pinned)
    with pytest.raises(RuntimeError, match="unexpected SHA-256"):
        sepa.schema()


def test_sepa_remittance_transliterated_to_the_sepa_character_set(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    item = batch.items.order_by("position").first()
    type(item).objects.filter(pk=item.pk).update(remittance="Jumelage Été à Sainte-Hélène")
    root = ET.fromstring(sepa.batch_xml(batch, list(batch.items.order_by("position"))))
    first = root.find("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf", NS)
    assert first.find("p:RmtInf/p:Ustrd", NS).text == "Jumelage Ete a Sainte-Helene"


def test_batch_file_is_checked_against_the_xsd_when_built(cast, ready_orders):
    """The file leaves only once valid: a BIC that breaks the pain.001 schema's pattern, written
    straight into a batch line, makes the export refuse the file in French."""
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    item = batch.items.order_by("position").first()
    type(item).objects.filter(pk=item.pk).update(creditor_bic="bic-nul")
    with pytest.raises(PaymentRefused, match="pas conforme au schéma"):
        export_batch(batch, by=cast.finance)


def test_exporting_the_same_batch_twice_gives_the_same_bytes_and_its_hash_is_audited(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    first = export_batch(batch, by=cast.finance)
    second = export_batch(batch.pk, by=cast.finance2)
    assert first == second
    digest = hashlib.sha256(first).hexdigest()
    assert batch.file_sha256 == digest
    assert AuditEvent.objects.get(action="batch_built").data["payload"]["file_sha256"] == digest
    assert [e.data["payload"]["file_sha256"] for e in AuditEvent.objects.filter(action="batch_exported")] == [
        digest,
        digest,
    ]


def test_export_batch_command_writes_the_same_validated_file(cast, ready_orders, tmp_path):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    out = tmp_path / "lot.xml"
    call_command("export_batch", str(batch.pk), "-o", str(out))
    assert out.read_bytes() == export_batch(batch)


def test_export_batch_command_refuses_a_batch_that_is_not_ready(cast, ready_orders, tmp_path):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    cancel_batch(batch, by=cast.finance)
    with pytest.raises(CommandError, match="n'est pas prêt"):
        call_command("export_batch", str(batch.pk), "-o", str(tmp_path / "x.xml"))
    assert not (tmp_path / "x.xml").exists()
    with pytest.raises(CommandError, match="introuvable"):
        call_command("export_batch", "999999", "-o", str(tmp_path / "x.xml"))


def test_return_for_an_order_not_in_the_batch_refused(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[ready_orders[0].pk]).batch
    mark_batch_sent(batch, by=cast.finance)
    with pytest.raises(PaymentRefused, match="ne fait pas partie du lot"):
        record_return(batch, ready_orders[1], by=cast.finance, reason_code="AC04")
    with pytest.raises(PaymentRefused, match="Code motif"):
        record_return(batch, ready_orders[0], by=cast.finance, reason_code="ZZ99")
    ready_orders[1].refresh_from_db()
    ready_orders[0].refresh_from_db()
    assert ready_orders[1].state == OS.READY and ready_orders[0].state == OS.SENT
    assert not AuditEvent.objects.filter(action="payment_returned").exists()


def test_return_then_execution_pays_only_the_others(cast, ready_orders, clock):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    with pytest.raises(PaymentRefused, match="pas en attente"):
        record_return(batch, ready_orders[0], by=cast.finance, reason_code="AC04")  # not sent yet
    mark_batch_sent(batch, by=cast.finance)
    returned = record_return(batch, ready_orders[0], by=cast.finance, reason_code="AC04")
    assert returned.state == OS.RETURNED
    event = AuditEvent.objects.get(action="payment_returned")
    assert event.data["payload"]["reason_code"] == "AC04" and "FR7630006" not in event.canonical
    travel_to_execution_date(clock, batch)
    record_execution(batch, by=cast.finance)
    batch.refresh_from_db()
    states = dict(PaymentOrder.objects.filter(pk__in=[o.pk for o in ready_orders]).values_list("pk", "state"))
    assert (
        states == {ready_orders[0].pk: OS.RETURNED, ready_orders[1].pk: OS.PAID} and batch.state == "executed"
    )
    dossiers = {o.dossier.pk: o.dossier for o in ready_orders}
    for d in dossiers.values():
        d.refresh_from_db()
    assert dossiers[ready_orders[0].dossier_id].status == Status.AGREEMENT_SIGNED
    assert dossiers[ready_orders[1].dossier_id].status == Status.ADVANCE_PAID
    with pytest.raises(PaymentRefused):
        record_execution(batch, by=cast.finance)  # recorded once


def test_sent_batch_cannot_be_cancelled_and_exported_batch_can_be_redownloaded(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    data = export_batch(batch)
    mark_batch_sent(batch, by=cast.finance)
    with pytest.raises(PaymentRefused, match="ne peut plus être annulé"):
        cancel_batch(batch, by=cast.finance)
    assert export_batch(batch) == data


def test_batch_not_offered_nor_sent_after_a_creditor_changed_its_bank_details(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    dossier = ready_orders[0].dossier
    bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    with pytest.raises(PaymentRefused, match="ont changé depuis la constitution du lot"):
        export_batch(batch)
    certify_bank_details(cast.commune, by=cast.finance)  # re-certified: still the old account in the file
    with pytest.raises(PaymentRefused, match="ont changé depuis la constitution du lot"):
        mark_batch_sent(batch, by=cast.finance)
    batch.refresh_from_db()
    assert batch.state == "ready"
    cancel_batch(batch, by=cast.finance)
    rebuilt = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    assert set(rebuilt.items.values_list("creditor_iban", flat=True)) == {IBAN_OTHER}
    assert export_batch(rebuilt)


def test_batch_execution_refused_before_requested_date(cast, ready_orders, clock):
    requested = clock.today() + dt.timedelta(days=7)
    batch = build_batch(
        by=cast.finance, order_ids=[o.pk for o in ready_orders], execution_date=requested
    ).batch
    mark_batch_sent(batch, by=cast.finance)
    for today in (
        clock.today(),
        requested - dt.timedelta(days=1),
    ):  # the day it was sent, the day before the date
        clock.travel_to(today)
        with pytest.raises(PaymentRefused) as refused:
            record_execution(batch, by=cast.finance)
        assert (
            refused.value.kind == "too_early"
            and refused.value.http_status == 409
            and refused.value.rules == ["execution_date"]
        )
        assert f"à partir du {requested:%d/%m/%Y}" in refused.value.message
    batch.refresh_from_db()
    assert batch.state == "sent" and batch.executed_at is None
    assert set(
        PaymentOrder.objects.filter(pk__in=[o.pk for o in ready_orders]).values_list("state", flat=True)
    ) == {OS.SENT}
    assert not AuditEvent.objects.filter(action__in=["batch_executed", "payment_order_paid"]).exists()
    clock.travel_to(requested)  # on the requested execution date
    record_execution(batch, by=cast.finance)
    batch.refresh_from_db()
    assert batch.state == "executed" and timezone.localdate(batch.executed_at) == requested
    paid = PaymentOrder.objects.filter(pk__in=[o.pk for o in ready_orders])
    assert {timezone.localdate(o.paid_at) for o in paid} == {requested} and {o.state for o in paid} == {
        OS.PAID
    }
    payload = AuditEvent.objects.get(action="batch_executed").data["payload"]
    assert payload["execution_date"] == requested.isoformat()


def test_sepa_check_never_resolves_external_entities(cast, ready_orders, tmp_path):
    """A file handed to the XSD check is read without resolving entities (no XXE): a debtor name
    taken from a file on the server through an external entity is never filled in, so the
    document is refused — were it resolved, the file would pass as valid."""
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    valid = export_batch(batch, by=cast.finance)
    sepa.validate(valid)  # the file as generated passes
    secret = tmp_path / "nom.txt"
    secret.write_text("Fonds Jumelages Jeunesse")
    doctype = f'<!DOCTYPE Document [<!ENTITY nom SYSTEM "file://{secret}">]>'.encode()
    header, rest = valid.split(b"?>", 1)
    hostile = (
        header + b"?>" + doctype + rest.replace(b"<Nm>Fonds Jumelages Jeunesse</Nm>", b"<Nm>&nom;</Nm>", 1)
    )
    assert b"&nom;" in hostile
    with pytest.raises(PaymentRefused):
        sepa.validate(hostile)


def test_default_execution_date_is_the_next_business_day():
    """Without a requested date the bank executes the next business day: Monday to Thursday the
    day after, Friday to Sunday the Monday after."""
    monday = dt.date(2026, 12, 7)
    days = {monday + dt.timedelta(days=n): n for n in range(7)}
    expected = {0: 1, 1: 1, 2: 1, 3: 1, 4: 3, 5: 2, 6: 1}  # days to wait, by weekday
    for day, weekday in days.items():
        assert day.weekday() == weekday
        assert next_business_day(day) == day + dt.timedelta(days=expected[weekday]), day


def test_batch_execution_date_may_be_today_never_in_the_past(cast, ready_orders, clock):
    with pytest.raises(PaymentRefused, match="dans le passé") as refused:
        build_batch(
            by=cast.finance,
            order_ids=[ready_orders[0].pk],
            execution_date=clock.today() - dt.timedelta(days=1),
        )
    assert refused.value.rules == ["execution_date"]
    batch = build_batch(by=cast.finance, order_ids=[ready_orders[0].pk], execution_date=clock.today()).batch
    assert batch.execution_date == clock.today()


@pytest.mark.parametrize("bad", ["12a", None])
def test_batch_with_a_selection_that_is_not_order_numbers_refused(cast, bad):
    with pytest.raises(PaymentRefused, match="Sélection d'ordres invalide"):
        build_batch(by=cast.finance, order_ids=[bad])
    assert not Batch.objects.exists()


def test_remittance_text_names_the_fund_the_dossier_the_kind_and_the_order(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    assert [i.remittance for i in batch.items.order_by("position")] == [
        f"Fonds Jumelages Jeunesse dossier {o.dossier.reference} Avance {o.reference}" for o in ready_orders
    ]


def test_remittance_text_is_cut_to_the_140_characters_of_sepa():
    order = PaymentOrder(kind="advance", reference="AV" + "9" * 33)
    order.dossier = Dossier(reference="D" * 100)
    text = remittance_text(order)
    assert len(text) == 140
    assert text == f"Fonds Jumelages Jeunesse dossier {'D' * 100} Avance {order.reference}"[:140]


def test_batch_lines_numbered_from_one_in_the_order_of_the_orders(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in reversed(ready_orders)]).batch
    items = list(batch.items.order_by("position"))
    assert [(i.position, i.order_id) for i in items] == [(1, ready_orders[0].pk), (2, ready_orders[1].pk)]


def test_batch_reference_and_message_id_carry_the_building_time_to_the_second(cast, ready_orders, clock):
    built = dt.datetime(2026, 12, 7, 9, 15, 42, 654321, tzinfo=dt.UTC)
    clock.travel_to(built, freeze=True)
    batch = build_batch(by=cast.finance, order_ids=[ready_orders[0].pk]).batch
    batch.refresh_from_db()
    assert batch.created_at == built.replace(microsecond=0)
    token = batch.reference.removeprefix("LOT-20261207-091542-")
    assert len(token) == 8 and int(token, 16) >= 0 and token == token.upper()
    assert batch.message_id == f"FJJ20261207091542{token}"


def test_export_refused_when_the_file_no_longer_matches_the_fingerprint_recorded_at_building(
    cast, ready_orders
):
    """A batch line changed in the database after the batch was built (the amount of a transfer):
    the regenerated file, valid as it is, differs from the SHA-256 recorded at building: no export,
    whichever way the new SHA-256 compares with the recorded one (a recorded value below it, one
    above it, so that the check is « differs », never « is greater » or « is smaller »)."""
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    item = batch.items.order_by("position").first()
    BatchItem.objects.filter(pk=item.pk).update(amount=item.amount + Decimal("0.01"))
    for recorded in (batch.file_sha256, "0" * 64, "f" * 64):
        Batch.objects.filter(pk=batch.pk).update(file_sha256=recorded)
        with pytest.raises(PaymentRefused, match="empreinte enregistrée") as refused:
            export_batch(batch, by=cast.finance)
        assert refused.value.kind == "conflict"
    assert not AuditEvent.objects.filter(action="batch_exported").exists()


def test_sent_batch_file_still_downloadable_after_a_creditor_changed_its_bank_details(cast, ready_orders):
    """Once transmitted, the file is what the bank received: it is downloaded again as it was,
    whatever the commune changed since (the check on bank details guards the batches not yet sent)."""
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    data = export_batch(batch)
    mark_batch_sent(batch, by=cast.finance)
    bank_given(cast, ready_orders[0].dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    assert export_batch(batch) == data


def test_changed_bank_details_refusal_names_at_most_five_orders(cast, ready_orders):
    """The refusal counts every order whose creditor changed and names the first five (then « … »)."""
    orders = list(ready_orders)
    dossiers = [o.dossier for o in ready_orders] + [
        make_dossier(commune=cast.commune, porteur=cast.porteur) for _ in range(2)
    ]
    for dossier in dossiers:  # test setup: ready orders straight in the database
        for kind, code in (("advance", "AV1"), ("balance", "SO1")):
            if not PaymentOrder.objects.filter(dossier=dossier, kind=kind).exists():
                orders.append(
                    PaymentOrder.objects.create(
                        reference=f"{dossier.reference}-{code}",
                        dossier=dossier,
                        kind=kind,
                        amount=Decimal("100.00"),
                        state=OS.READY,
                    )
                )

    def refusal(count):
        batch = build_batch(by=cast.finance, order_ids=[o.pk for o in orders[:count]]).batch
        refs = list(batch.items.order_by("position").values_list("end_to_end_id", flat=True))
        bank_given(cast, dossiers[0], holder=f"Commune (changement {count})")
        with pytest.raises(PaymentRefused, match="ont changé") as refused:
            export_batch(batch)
        cancel_batch(batch, by=cast.finance)
        certify_bank_details(cast.commune, by=cast.finance)
        return refs, refused.value.message

    refs, message = refusal(5)
    assert f"pour 5 ordre(s) ({', '.join(refs)}) :" in message
    refs, message = refusal(6)
    assert f"pour 6 ordre(s) ({', '.join(refs[:5])} …) :" in message


def test_ready_order_of_a_commune_whose_bank_details_are_no_longer_certified_left_out(cast, ready_orders):
    """The certification is checked again when the batch is built: orders still ready while their
    commune's certification was withdrawn (outside the service) stay out, the others go in."""
    other = PaymentOrder.objects.get(dossier=signed(cast, commune=cast.other_commune))
    certified_bank(cast, commune=cast.other_commune)
    BankDetails.objects.filter(commune=cast.commune).update(certified_at=None)
    result = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders] + [other.pk])
    assert list(result.batch.items.values_list("order_id", flat=True)) == [other.pk]
    assert result.excluded == [
        (o.pk, "coordonnées bancaires de la commune non certifiées") for o in ready_orders
    ]


def test_batch_not_offered_nor_sent_once_the_certification_of_its_creditor_is_withdrawn(cast, ready_orders):
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    BankDetails.objects.filter(commune=cast.commune).update(certified_at=None)  # the details as they were
    with pytest.raises(PaymentRefused, match="ont changé depuis la constitution du lot") as refused:
        export_batch(batch)
    assert f"pour 2 ordre(s) ({', '.join(o.reference for o in ready_orders)}) :" in refused.value.message
    with pytest.raises(PaymentRefused, match="ont changé depuis la constitution du lot"):
        mark_batch_sent(batch, by=cast.finance)


def test_batch_not_offered_after_any_recertified_change_of_its_creditor(cast, ready_orders):
    """Re-certified details that differ from the batch's stop it, whichever way their fingerprint
    compares with the one recorded in the batch (a recorded value below it, one above it: the check
    is « differs », never « is greater » or « is smaller »)."""
    batch = build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders]).batch
    recorded = batch.items.get(position=1).bank_fingerprint
    bank_given(cast, ready_orders[0].dossier, holder="Commune de Saint-Exemple (nouveau titulaire)")
    certify_bank_details(cast.commune, by=cast.finance)
    for fingerprint in (recorded, "0" * 64, "f" * 64):
        batch.items.update(bank_fingerprint=fingerprint)
        with pytest.raises(PaymentRefused, match="ont changé depuis la constitution du lot"):
            export_batch(batch)


def test_orders_taken_by_another_batch_meanwhile_refuse_the_build_whole(cast, ready_orders, monkeypatch):
    """Another finance user's batch takes an order between the read of the ready orders and their
    move (nothing locks rows on SQLite): fewer orders move than were read, the build is refused
    and nothing of it is kept."""
    move_orders = batches.move_orders

    def taken_meanwhile(ids, source, target):
        PaymentOrder.objects.filter(pk=ready_orders[0].pk).update(state=OS.IN_BATCH)
        return move_orders(ids, source, target)

    monkeypatch.setattr(batches, "move_orders", taken_meanwhile)
    with pytest.raises(PaymentRefused, match="pris par un autre lot") as refused:
        build_batch(by=cast.finance, order_ids=[o.pk for o in ready_orders])
    assert refused.value.kind == "conflict"
    assert not Batch.objects.exists() and not BatchItem.objects.exists()
    assert set(
        PaymentOrder.objects.filter(pk__in=[o.pk for o in ready_orders]).values_list("state", flat=True)
    ) == {OS.READY}


def test_order_held_by_a_live_line_of_another_batch_refuses_the_build(cast, ready_orders):
    """The last guard, the unique index on live batch lines: an order read as ready while another
    batch's line holds it (that batch committed in between) refuses the build as a conflict."""
    first = build_batch(by=cast.finance, order_ids=[ready_orders[0].pk]).batch
    PaymentOrder.objects.filter(pk=ready_orders[0].pk).update(state=OS.READY)
    with pytest.raises(PaymentRefused, match="pris par un autre lot") as refused:
        build_batch(by=cast.finance2, order_ids=[o.pk for o in ready_orders])
    assert refused.value.kind == "conflict"
    assert list(Batch.objects.all()) == [first]
    assert PaymentOrder.objects.get(pk=ready_orders[1].pk).state == OS.READY


def test_batch_of_more_than_256_orders_built_whole(cast, ready_orders):
    """No size limit on a batch: 258 ready orders (two per dossier, set up straight in the
    database) all go into one batch, every one counted as moved."""
    dossiers = []
    for n in range(127):
        clone = Dossier.objects.get(pk=ready_orders[0].dossier_id)
        clone.pk, clone.reference = None, f"FJJ-T-{n:06d}"
        dossiers.append(clone)
    dossiers = Dossier.objects.bulk_create(dossiers) + [o.dossier for o in ready_orders]
    PaymentOrder.objects.bulk_create(
        PaymentOrder(
            reference=f"{d.reference}-{code}", dossier=d, kind=kind, amount=Decimal("10.00"), state=OS.READY
        )
        for d in dossiers
        for kind, code in (("advance", "AV1"), ("balance", "SO1"))
        if not (kind == "advance" and d in dossiers[-2:])
    )
    ids = list(PaymentOrder.objects.filter(state=OS.READY).values_list("pk", flat=True))
    assert len(ids) == 258
    batch = build_batch(by=cast.finance, order_ids=ids).batch
    assert batch.count == 258 and batch.items.count() == 258
    assert PaymentOrder.objects.filter(state=OS.IN_BATCH).count() == 258
