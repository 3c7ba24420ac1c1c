"""A new RIB after submission (same content checks as every upload), and finance's rejection of
bank details that do not match the RIB."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fonds.audit.models import AuditEvent
from fonds.dossiers.documents import add_document
from fonds.dossiers.models import Document
from fonds.payments import bank as bank_module
from fonds.payments.bank import certify_bank_details, reject_bank_details, set_bank_details, upload_rib
from fonds.payments.batches import build_batch
from fonds.payments.common import PaymentRefused
from fonds.payments.models import BankDetails, OrderState, PaymentOrder
from fonds.suivi.testing import SIGNED_LIST_PDF
from tests.dossiers.test_upload_bombs import png
from tests.factories import make_dossier

from .conftest import (
    BIC_OK,
    BIC_OTHER,
    IBAN_OK,
    IBAN_OTHER,
    bank_given,
    certified_bank,
    given_details,
    rib_of,
    signed,
)

pytestmark = pytest.mark.django_db
OS = OrderState
NEW_RIB = SIGNED_LIST_PDF.replace(b"612 792", b"595 842")  # another valid one-page PDF (A4)
PNG_RIB = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_new_rib_uploaded_after_submission_stored_as_rib_document_and_audited_with_sha256(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    old = rib_of(dossier)
    with pytest.raises(PermissionDenied):  # the dossiers' upload only takes drafts / corrections
        add_document(dossier, by=cast.porteur, kind="rib", name="rib.pdf", data=NEW_RIB)
    bank = upload_rib(cast.commune, by=cast.porteur, name="nouveau RIB.pdf", data=NEW_RIB)
    new = bank.rib_document
    assert new.pk != old.pk and new.kind == Document.Kind.RIB and new.dossier_id == dossier.pk
    assert new.content_type == "application/pdf" and new.file.read() == NEW_RIB
    old.refresh_from_db()
    assert old.replaced_by_id == new.pk  # the old RIB is kept (versioned), not deleted
    uploaded = next(
        e
        for e in AuditEvent.objects.filter(action="document_uploaded", object_id=str(dossier.pk))
        if e.data["payload"]["document"] == new.pk
    )
    assert uploaded.data["payload"]["sha256"] == new.sha256 and uploaded.data["payload"]["replaces"] == {
        "document": old.pk,
        "sha256": old.sha256,
    }
    changed = AuditEvent.objects.get(action="bank_details_changed")
    payload = changed.data["payload"]
    assert (
        payload["rib_sha256"] == new.sha256
        and payload["before"]["rib_sha256"] == old.sha256
        and payload["rib_changed"] is True
    )


def test_new_rib_after_certification_blocks_payments_until_recertified(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    order = PaymentOrder.objects.get(dossier=dossier)
    assert order.state == OS.READY
    bank = upload_rib(cast.commune, by=cast.porteur, name="rib.pdf", data=NEW_RIB)
    order.refresh_from_db()
    assert not bank.is_certified and (bank.iban, bank.version) == (IBAN_OK.replace(" ", ""), 2)
    assert order.state == OS.TO_CERTIFY
    with pytest.raises(PaymentRefused, match="vide"):
        build_batch(by=cast.finance, order_ids=[order.pk])
    certify_bank_details(cast.commune, by=cast.finance)
    order.refresh_from_db()
    assert order.state == OS.READY


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "vide"),
        (b"PK\x03\x04 not a pdf", "PDF, JPEG et PNG"),
        (SIGNED_LIST_PDF + b"<script>alert(1)</script>", "autre format"),
        (b"%PDF-1.4\n this is no pdf at all", "illisible"),
        (
            SIGNED_LIST_PDF.replace(
                b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"
            ),
            "contenu actif",
        ),
    ],
)
def test_new_rib_goes_through_the_upload_content_checks_nothing_changed(cast, data, message):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    before = (Document.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        upload_rib(cast.commune, by=cast.porteur, name="rib.pdf", data=data)
    assert message in " ".join(exc.value.message_dict["rib_file"])
    assert (Document.objects.count(), AuditEvent.objects.count()) == before
    assert BankDetails.objects.get().is_certified


def test_new_rib_over_the_campaign_size_limit_refused(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    limit = dossier.campaign.rules.params["uploads"]["max_file_mb"]
    big = SIGNED_LIST_PDF + b"%" + b"0" * (int(limit) * 1024 * 1024)
    with pytest.raises(ValidationError, match=f"dépasse {limit} Mo"):
        upload_rib(cast.commune, by=cast.porteur, name="rib.pdf", data=big)


def test_new_rib_only_by_the_communes_porteur_or_finance(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    for user in (cast.other_porteur, cast.instructeur, cast.auditeur):
        with pytest.raises(PaymentRefused) as exc:
            upload_rib(cast.commune, by=user, name="rib.pdf", data=NEW_RIB)
        assert exc.value.kind == "role"
    assert BankDetails.objects.get().is_certified


def test_first_bank_details_given_with_an_uploaded_rib(cast):
    dossier = signed(cast)
    bank = set_bank_details(
        cast.commune,
        by=cast.porteur,
        iban=IBAN_OTHER,
        bic=BIC_OTHER,
        holder="Commune",
        rib_file=("rib.png", PNG_RIB),
        dossier=dossier,
    )
    assert bank.rib_document.content_type == "image/png" and bank.rib_document.dossier_id == dossier.pk
    assert (
        AuditEvent.objects.get(action="bank_details_set").data["payload"]["rib_sha256"]
        == bank.rib_document.sha256
    )


def test_bad_iban_with_an_uploaded_rib_stores_nothing(cast):
    dossier = signed(cast)
    count = Document.objects.count()
    with pytest.raises(ValidationError) as exc:
        set_bank_details(
            cast.commune,
            by=cast.porteur,
            iban="FR76 0000",
            bic=BIC_OK,
            holder="Commune",
            rib_file=("rib.pdf", NEW_RIB),
            dossier=dossier,
        )
    assert "iban" in exc.value.message_dict
    assert Document.objects.count() == count and not BankDetails.objects.exists()


# ---- rejection by finance ---------------------------------------------------------------------


def test_finance_rejects_bank_details_with_a_motivation_audited_and_the_porteur_emailed(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    given_details(cast)
    with pytest.raises(PaymentRefused) as exc:
        reject_bank_details(cast.commune, by=cast.finance, motivation="  ")
    assert (
        exc.value.kind == "motivation"
        and not AuditEvent.objects.filter(action="bank_details_rejected").exists()
    )
    with django_capture_on_commit_callbacks(execute=True):
        bank = reject_bank_details(
            cast.commune, by=cast.finance, motivation="Le titulaire du RIB est la trésorerie, pas la mairie."
        )
    assert bank.is_rejected and not bank.is_certified
    event = AuditEvent.objects.get(action="bank_details_rejected")
    assert event.data["payload"]["motivation"] == "Le titulaire du RIB est la trésorerie, pas la mairie."
    assert IBAN_OK.replace(" ", "") not in event.canonical
    assert [m.to for m in mailoutbox] == [[cast.porteur.email]]
    assert "trésorerie, pas la mairie" in mailoutbox[0].body and "FR76 **** 0189" in mailoutbox[0].body
    assert PaymentOrder.objects.get().state == OS.TO_CERTIFY


def test_rejection_only_by_finance_and_not_twice_nor_of_certified_details(cast):
    given_details(cast)
    for user in (cast.porteur, cast.instructeur, cast.auditeur):
        with pytest.raises(PaymentRefused) as exc:
            reject_bank_details(cast.commune, by=user, motivation="Non.")
        assert exc.value.kind == "role"
    reject_bank_details(cast.commune, by=cast.finance, motivation="IBAN différent du RIB.")
    with pytest.raises(PaymentRefused, match="déjà rejetées"):
        reject_bank_details(cast.commune, by=cast.finance, motivation="Encore.")
    certify_bank_details(cast.commune, by=cast.finance)  # finance changes its mind after a call
    bank = BankDetails.objects.get()
    assert bank.is_certified and not bank.is_rejected and bank.rejection_reason == ""
    with pytest.raises(PaymentRefused, match="certifiées"):
        reject_bank_details(cast.commune, by=cast.finance, motivation="Trop tard.")


def test_correction_by_the_commune_clears_the_rejection_kept_in_the_trail(cast):
    dossier = given_details(cast)
    reject_bank_details(cast.commune, by=cast.finance, motivation="IBAN différent du RIB.")
    bank = bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    assert not bank.is_rejected and bank.rejected_at is None and bank.version == 2
    assert AuditEvent.objects.get(action="bank_details_changed").data["payload"]["was_rejected"] is True
    assert AuditEvent.objects.filter(action="bank_details_rejected").count() == 1


def test_rejection_email_not_sent_when_the_details_changed_meanwhile(cast, mailoutbox):
    from fonds.payments.tasks import notify_bank_rejected

    dossier = given_details(cast)
    bank = reject_bank_details(cast.commune, by=cast.finance, motivation="IBAN différent du RIB.")
    mailoutbox.clear()
    bank_given(cast, dossier, iban=IBAN_OTHER, bic=BIC_OTHER)
    assert notify_bank_rejected(bank.pk, bank.version) == 0 and mailoutbox == []


def test_rejection_motivation_of_at_most_5000_characters(cast):
    given_details(cast)
    with pytest.raises(PaymentRefused) as exc:
        reject_bank_details(cast.commune, by=cast.finance, motivation="x" * 5001)
    assert exc.value.kind == "motivation" and not BankDetails.objects.get().is_rejected
    bank = reject_bank_details(cast.commune, by=cast.finance, motivation="x" * 5000)
    assert bank.is_rejected and bank.rejection_reason == "x" * 5000


# ---- where a new RIB is filed, and what it may weigh ------------------------------------------


def _two_dossiers(cast):
    """Two dossiers of the commune, the older one first."""
    return [make_dossier(campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur) for _ in "12"]


def test_new_rib_filed_on_the_dossier_named_if_it_is_the_communes_else_beside_the_current_rib(cast):
    older, newer = _two_dossiers(cast)
    bank_given(cast, older)
    foreign = make_dossier(commune=cast.other_commune, porteur=cast.other_porteur)
    bank = upload_rib(cast.commune, by=cast.porteur, name="rib.pdf", data=NEW_RIB, dossier=foreign)
    assert bank.rib_document.dossier_id == older.pk
    bank = upload_rib(cast.commune, by=cast.porteur, name="rib.png", data=PNG_RIB, dossier=newer)
    assert bank.rib_document.dossier_id == newer.pk


def test_first_rib_given_without_a_dossier_filed_on_the_communes_latest_dossier(cast):
    _older, newer = _two_dossiers(cast)
    bank = set_bank_details(
        cast.commune,
        by=cast.porteur,
        iban=IBAN_OK,
        bic=BIC_OK,
        holder="Commune",
        rib_file=("rib.png", PNG_RIB),
    )
    assert bank.rib_document.dossier_id == newer.pk


def test_new_rib_keeps_the_name_it_was_uploaded_under(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    bank = upload_rib(cast.commune, by=cast.porteur, name="RIB mairie 2026.pdf", data=NEW_RIB)
    assert bank.rib_document.original_name == "RIB mairie 2026.pdf"


MB = 1024 * 1024


@pytest.mark.parametrize("replacing", [True, False], ids=["replacing-a-rib", "first-rib-of-the-dossier"])
def test_new_rib_refused_beyond_the_dossier_size_limit_the_replaced_rib_not_counted(cast, replacing):
    dossier = make_dossier(
        campaign=cast.campaign, commune=cast.commune, porteur=cast.porteur, complete=replacing
    )
    rules = cast.campaign.rules
    rules.new_version({**rules.params, "uploads": {**rules.params["uploads"], "max_dossier_mb": 1}})
    current = Document.objects.filter(dossier=dossier, replaced_by__isnull=True)
    assert current.filter(kind="rib").exists() is replacing
    room = MB - sum(current.exclude(kind="rib").values_list("size", flat=True))

    def give(size):
        png = PNG_RIB[:8] + b"\x00" * (size - 8)
        return set_bank_details(
            cast.commune,
            by=cast.porteur,
            iban=IBAN_OK,
            bic=BIC_OK,
            holder="Commune",
            rib_file=("rib.png", png),
            dossier=dossier,
        )

    with pytest.raises(ValidationError) as refused:
        give(room + 1)
    assert refused.value.message_dict == {"rib_file": ["Le total des pièces du dossier dépasserait 1 Mo."]}
    assert give(room).rib_document.size == room


def test_rib_of_a_change_that_fails_leaves_no_file_behind(cast, settings, monkeypatch):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)

    def failing(*args, **kwargs):
        raise RuntimeError("panne pendant l'enregistrement")

    monkeypatch.setattr(bank_module, "_apply_bank_details", failing)
    with pytest.raises(RuntimeError):
        upload_rib(cast.commune, by=cast.porteur, name="rib.pdf", data=NEW_RIB)
    files = [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert files and not any(path.read_bytes() == NEW_RIB for path in files)


def test_new_rib_checked_against_the_campaigns_decompression_limits_as_every_upload(cast):
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    rib = png(1500, 1000)  # 1.5 megapixels: within the default limit, beyond the campaign's
    rules = dossier.campaign.rules
    rules.new_version({**rules.params, "uploads": {**rules.params["uploads"], "max_image_megapixels": 1}})
    dossier.rules_version = None  # the dossier follows the campaign's new version
    dossier.save(update_fields=["rules_version"])
    with pytest.raises(ValidationError) as refused:
        upload_rib(cast.commune, by=cast.porteur, name="rib.png", data=rib)
    assert "au-delà de 1 millions de pixels" in " ".join(refused.value.message_dict["rib_file"])
    assert BankDetails.objects.get().is_certified
