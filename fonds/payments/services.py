"""Payments — every state change of bank details, payment orders and batches (the public API).

Each function runs in ONE ``transaction.atomic()``, locks the rows it changes with
``select_for_update`` and appends its audit event(s) in that transaction. Refusals raise
``PaymentRefused`` (a ``TransitionRefused``: the API maps it like the dossier transitions, the UI
shows ``.message``) and change nothing; bad bank details raise Django's ``ValidationError`` with
one message per field (``iban``, ``bic``, ``holder``, ``siret``, ``rib_document``) so a form can show them.

The dossier follows through ``fonds.dossiers.services.perform``:
``pay_advance`` when the advance order is paid, ``settle`` (``data={"balance": ...}``) when the
balance order is paid or nothing is due, ``recover`` when the recovery order is paid, written off
or cancelled (nothing more to recover in each case). A bank return recorded after the batch's
execution sends the paid order back to ``returned`` without reverting the dossier (see
``record_return``: the re-issued order's payment does not fire ``pay_advance``/``settle`` twice);
a cancelled balance order is replaced with ``reissue_balance_order``.

Audit payloads never carry an IBAN in clear: ``iban_masked`` (``FR76 **** 1234``) and
``iban_sha256`` (hash of the normalised IBAN) only. The town hall's SIRET is public data (the
SIRENE register): bank-details payloads carry it in clear (``siret``; ``before.siret`` on a change).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain as audit
from fonds.dossiers.services import TransitionRefused
from fonds.formats import parse_amount as read_amount
from fonds.ops import outbox
from fonds.suivi.report_dates import TOO_EARLY, refuse_on_dates

from .models import (
    OUTGOING_KINDS,
    Batch,
    BatchItem,
    BatchState,
    BankDetails,
    ItemOutcome,
    OrderKind,
    OrderState,
    PaymentOrder,
    Settlement,
    iban_sha256,
    mask_iban,
)
from fonds import clock

CENT = Decimal("0.01")
O = OrderState

#: ISO 20022 / EPC return reason codes the bank sends back for a credit transfer (French labels)
RETURN_REASONS: dict[str, str] = {
    "AC01": "Numéro de compte (IBAN) incorrect",
    "AC04": "Compte clôturé",
    "AC06": "Compte bloqué",
    "AG01": "Opération interdite sur ce type de compte",
    "AG02": "Code opération invalide",
    "AM04": "Provision insuffisante",
    "AM05": "Opération en double",
    "BE04": "Adresse du créancier manquante ou incorrecte",
    "FF01": "Format de fichier invalide",
    "MD07": "Titulaire du compte décédé",
    "MS02": "Motif non communiqué (à l'initiative du client)",
    "MS03": "Motif non communiqué (à l'initiative de la banque)",
    "RC01": "BIC incorrect",
    "RR01": "Compte ou identification du donneur d'ordre manquant",
    "RR02": "Nom ou adresse du donneur d'ordre manquant",
    "RR03": "Nom ou adresse du bénéficiaire manquant",
    "RR04": "Motif réglementaire",
}


@dataclass
class PaymentRefused(TransitionRefused):
    """A refused payment operation (kind: status | role | condition | not_found | conflict | too_early).

    ``too_early`` (HTTP 409): a step whose date has not come — a recovery made final before the
    mayor's answer or the end of the answer period, a batch recorded as executed before its
    requested execution date, a final report accepted before the project's end.
    """

    HTTP = {**TransitionRefused.HTTP, TOO_EARLY: 409}


@dataclass
class BuildResult:
    batch: Batch
    #: orders asked for but left out, with the reason (French): ``[(order_id, reason), ...]``
    excluded: list[tuple[int, str]] = field(default_factory=list)


# ---- helpers ------------------------------------------------------------------------------------

def _require(by, *roles) -> str:
    held = roles_of(by) if by is not None else frozenset()
    for role in roles:
        if role in held:
            return role
    raise PaymentRefused("role", "Votre rôle ne vous permet pas cette opération de paiement.")


def _is_commune_porteur(by, commune_id) -> bool:
    return by is not None and Role.PORTEUR in roles_of(by) and by.commune_id == commune_id


def parse_amount(value, label: str = "montant") -> Decimal:
    """A strictly positive amount with at most two decimals, or ``PaymentRefused`` (French)."""
    try:
        amount = read_amount(value)
    except (InvalidOperation, ValueError, TypeError):
        raise PaymentRefused("condition", f"{label.capitalize()} invalide : indiquez un nombre en euros (par exemple 1250,50).", rules=["amount"])
    if not amount.is_finite():
        raise PaymentRefused("condition", f"{label.capitalize()} invalide : indiquez un nombre en euros.", rules=["amount"])
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise PaymentRefused("condition", f"Le {label} a plus de deux décimales : un montant en euros s'exprime au centime près.", rules=["amount"])
    if amount <= 0:
        raise PaymentRefused("condition", f"Le {label} doit être strictement positif (un ordre de paiement nul ou négatif est refusé).", rules=["amount"])
    return amount.quantize(CENT)


def _bank_payload(bank: BankDetails) -> dict:
    return {
        "commune": bank.commune_id,
        "iban_masked": mask_iban(bank.iban),
        "iban_sha256": iban_sha256(bank.iban),
        "bic": bank.bic,
        "holder": bank.holder,
        "siret": bank.siret,
        "rib_document": bank.rib_document_id,
        "rib_sha256": bank.rib_document.sha256 if bank.rib_document_id else "",
        "version": bank.version,
    }


def _order_payload(order: PaymentOrder, **extra) -> dict:
    return {
        "reference": order.reference,
        "dossier": order.dossier.reference if "dossier" in order._state.fields_cache else order.dossier_id,
        "kind": order.kind,
        "amount": order.amount,
        "state": order.state,
        **extra,
    }


def _lock_order(order) -> PaymentOrder:
    pk = order.pk if isinstance(order, PaymentOrder) else order
    locked = PaymentOrder.objects.select_for_update(of=("self",)).select_related("dossier").filter(pk=pk).first()
    if locked is None:
        raise PaymentRefused("not_found", "Ordre de paiement introuvable.")
    return locked


def _lock_batch(batch) -> Batch:
    pk = batch.pk if isinstance(batch, Batch) else batch
    locked = Batch.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise PaymentRefused("not_found", "Lot de virements introuvable.")
    return locked


def _refresh(obj, locked):
    if obj is not locked and hasattr(obj, "refresh_from_db"):
        obj.refresh_from_db()
    return locked


def _transition(order: PaymentOrder, name: str, *args, **kwargs) -> str:
    """Fire the order's FSM transition ``name`` or refuse with a French message; returns the source state."""
    from django_fsm import can_proceed

    method = getattr(order, name)
    if not can_proceed(method):
        raise PaymentRefused("status", f"Opération impossible : l'ordre {order.reference} est « {order.get_state_display()} ».")
    source = order.state
    method(*args, **kwargs)
    return source


def _next_reference(dossier, kind: str) -> str:
    code = {OrderKind.ADVANCE: "AV", OrderKind.BALANCE: "SO", OrderKind.RECOVERY: "RV"}[kind]
    n = PaymentOrder.objects.filter(dossier=dossier, kind=kind).count() + 1
    return f"{dossier.reference}-{code}{n}"


def _perform(dossier, name: str, by, *, motivation: str = "", data: dict | None = None, expected: str | None = None):
    """Move the dossier along (only if it is where the payment flow expects it; returns the transition or None)."""
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.services import perform
    from fonds.dossiers.states import Forum

    status = Dossier.objects.filter(pk=dossier.pk).values_list("status", flat=True).first()
    if expected is not None and status != expected:
        return None
    perform(dossier.pk, name, by=by, motivation=motivation, data=data, forum=Forum.PAYMENTS)
    return name


# ---- bank details -------------------------------------------------------------------------------

def validate_bank_details(iban: str, bic: str, holder: str) -> tuple[str, str, str]:
    """Normalised ``(iban, bic, holder)`` checked with schwifty; ``ValidationError`` per field (French)."""
    from schwifty import BIC, IBAN
    from schwifty.exceptions import SchwiftyException

    errors: dict[str, str] = {}
    iban_obj = bic_obj = None
    try:
        iban_obj = IBAN(str(iban or ""))
    except (SchwiftyException, ValueError):
        errors["iban"] = "IBAN invalide : vérifiez le numéro recopié du RIB (27 caractères pour un compte français, commençant par FR76)."
    if iban_obj is not None and iban_obj.country_code not in SEPA_COUNTRIES:
        errors["iban"] = "Cet IBAN n'appartient pas à la zone SEPA : un virement SEPA n'est pas possible."
    try:
        bic_obj = BIC(str(bic or "").strip())
    except (SchwiftyException, ValueError):
        errors["bic"] = "BIC invalide : 8 ou 11 caractères (par exemple BDFEFRPPCCT), tels qu'ils figurent sur le RIB."
    holder = " ".join(str(holder or "").split())
    if len(holder) < 2 or len(holder) > 70:
        errors["holder"] = "Indiquez le titulaire du compte tel qu'il figure sur le RIB (70 caractères au plus)."
    if iban_obj is not None and bic_obj is not None and "bic" not in errors and "iban" not in errors:
        if str(bic_obj.country_code) != str(iban_obj.country_code) and not (iban_obj.country_code in FR_TERRITORIES and bic_obj.country_code in FR_TERRITORIES):
            errors["bic"] = "Le BIC ne correspond pas au pays de l'IBAN : vérifiez les deux sur le RIB."
    if errors:
        raise ValidationError(errors)
    return iban_obj.compact, str(bic_obj.compact), holder


#: countries whose IBANs can receive a SEPA credit transfer (EEA + SEPA non-EEA members)
SEPA_COUNTRIES = frozenset(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL NO PL PT RO SE SI SK SM VA".split()
    + "GF GP MQ RE YT PM BL MF NC PF WF".split()
)
FR_TERRITORIES = frozenset("FR GF GP MQ RE YT PM BL MF NC PF WF MC".split())


def bank_details_for(commune) -> BankDetails | None:
    """The commune's bank details, or None."""
    commune_id = getattr(commune, "pk", commune)
    return BankDetails.objects.select_related("rib_document").filter(commune_id=commune_id).first()


def set_bank_details(commune, *, by, iban: str, bic: str, holder: str, siret: str | None = None, rib_document=None, rib_file: tuple[str, bytes] | None = None, dossier=None) -> BankDetails:
    """Record (or change) the commune's IBAN, BIC, holder name, town-hall SIRET and the RIB they come from.

    ``siret``: checked by ``fonds.referentiel.siret.validate_siret`` against the commune's SIREN
    (spaces stripped; ``ValidationError`` on ``siret``); ``None`` keeps the current SIRET (blank
    for new details: the porteur's form requires it, the API lets a client leave it out). A
    change of SIRET alone is a change like any other: it voids the certification and suspends
    the ready orders until finance re-certifies (finance certifies the details as a whole, and
    one rule is simpler to explain and to audit than two).

    Who: a porteur of the commune, or finance. The RIB is either ``rib_document``, a ``Document``
    (kind ``rib``) of one of the commune's dossiers, or ``rib_file=(name, bytes)``: a NEW RIB,
    uploaded here whatever the state of the dossiers (``add_document`` only accepts uploads on a
    draft or a dossier under corrections; a commune's account changes after submission too) —
    see ``upload_rib``. A RIB is required the first time. Invalid values: ``ValidationError`` per
    field (``rib_file`` for the upload), nothing saved. A change of IBAN/BIC/holder/SIRET **or of RIB**
    after certification voids the certification and moves the commune's ready orders back to
    ``to_certify`` (payments blocked until re-certified); the event ``bank_details_changed``
    records ``was_certified``, the masked IBANs and the previous RIB (id and SHA-256). Any change
    also clears a rejection by finance (``reject_bank_details``: it is kept in the trail). Saving
    the same values again changes nothing (no event).
    """
    from fonds.dossiers.models import Document

    commune_id = getattr(commune, "pk", commune)
    role = _bank_role(by, commune_id)
    errors = {}
    try:
        iban, bic, holder = validate_bank_details(iban, bic, holder)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if siret is not None:
        from fonds.referentiel.models import Commune
        from fonds.referentiel.siret import validate_siret

        siren = Commune.objects.filter(pk=commune_id).values_list("siren", flat=True).first() or ""
        try:
            siret = validate_siret(siret, siren)
        except ValidationError as exc:
            errors["siret"] = exc.messages
    upload = None
    if rib_file is not None:
        try:
            upload = _checked_rib_upload(commune_id, dossier, *rib_file)
        except ValidationError as exc:
            errors["rib_file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    doc = None
    if rib_document is not None and upload is None:
        doc_id = getattr(rib_document, "pk", rib_document)
        doc = Document.objects.filter(pk=doc_id, kind=Document.Kind.RIB, dossier__commune_id=commune_id).first()
        if doc is None:
            raise ValidationError({"rib_document": "Ce RIB n'est pas une pièce d'un dossier de la commune."})
    stored: list[str] = []
    try:
        with transaction.atomic():
            if upload is not None:
                doc = _store_rib(upload, by=by, role=role, stored=stored)
            return _apply_bank_details(commune_id, by, role, iban=iban, bic=bic, holder=holder, siret=siret, doc=doc)
    except BaseException:
        _delete_stored(stored)
        raise


def upload_rib(commune, *, by, name: str, data: bytes, dossier=None) -> BankDetails:
    """A new RIB for the commune's current bank details (same IBAN, BIC and holder), at any stage.

    The file goes through the same content checks as every upload (``fonds.dossiers.documents``:
    sniffed PDF/JPEG/PNG, ``_check_pdf`` / ``_check_image``, the campaign's size limits) and is
    stored as a ``Document`` of kind ``rib`` on ``dossier`` (default: the dossier of the current
    RIB, else the commune's latest dossier); the RIB it replaces on that dossier keeps its row
    (``replaced_by``) and both SHA-256 are in the trail (``document_uploaded`` on the dossier,
    ``bank_details_changed`` on the bank details). Like a change of IBAN, a new RIB after
    certification voids it and suspends the commune's ready orders until finance re-certifies.
    No bank details yet: ``ValidationError`` (give them with ``set_bank_details(rib_file=...)``).
    """
    commune_id = getattr(commune, "pk", commune)
    bank = bank_details_for(commune_id)
    if bank is None:
        raise ValidationError({"iban": "Indiquez d'abord l'IBAN, le BIC et le titulaire du compte, avec le RIB."})
    return set_bank_details(commune_id, by=by, iban=bank.iban, bic=bank.bic, holder=bank.holder, rib_file=(name, data), dossier=dossier)


def _bank_role(by, commune_id) -> str:
    if _is_commune_porteur(by, commune_id):
        return Role.PORTEUR
    return _require(by, Role.FINANCE)


@dataclass
class _RibUpload:
    dossier: object
    name: str
    data: bytes
    digest: str
    sniffed: object
    limits: dict


def rib_dossier_for(commune_id, dossier=None):
    """The dossier a new RIB is filed on: ``dossier`` (if it is the commune's), else the dossier of
    the current RIB, else the commune's latest dossier; None when the commune has no dossier."""
    from fonds.dossiers.models import Dossier

    qs = Dossier.objects.filter(commune_id=commune_id).select_related("campaign")
    if dossier is not None:
        found = qs.filter(pk=getattr(dossier, "pk", dossier)).first()
        if found is not None:
            return found
    bank = BankDetails.objects.filter(commune_id=commune_id).values_list("rib_document__dossier_id", flat=True).first()
    if bank:
        return qs.filter(pk=bank).first()
    return qs.order_by("-created_at", "-pk").first()


def _checked_rib_upload(commune_id, dossier, name: str, data: bytes) -> _RibUpload:
    """The content checks of every upload (``fonds.dossiers.documents``), before any lock is taken."""
    from fonds.dossiers.documents import _check_image, _check_pdf, sniff

    target = rib_dossier_for(commune_id, dossier)
    if target is None:
        raise ValidationError("La commune n'a aucun dossier auquel joindre ce RIB.")
    limits = target.campaign.rules.params["uploads"]
    data = data or b""
    if not data:
        raise ValidationError("Le fichier est vide.")
    if len(data) > int(limits["max_file_mb"]) * 1024 * 1024:
        raise ValidationError(f"Le fichier dépasse {limits['max_file_mb']} Mo.")
    sniffed = sniff(data[:16])
    if sniffed is None:
        raise ValidationError("Seuls les fichiers PDF, JPEG et PNG sont acceptés (le contenu du fichier ne correspond à aucun de ces formats).")
    if sniffed.content_type == "application/pdf":
        _check_pdf(data)
    else:
        _check_image(data, sniffed.extension)
    return _RibUpload(target, name or "rib", data, hashlib.sha256(data).hexdigest(), sniffed, limits)


def _store_rib(upload: _RibUpload, *, by, role: str, stored: list):
    """Store the checked RIB on its dossier (locked), replacing its current RIB; audited (inside the caller's transaction)."""
    from django.core.files.base import ContentFile

    from fonds.dossiers.documents import safe_name
    from fonds.dossiers.models import Document, Dossier

    locked = Dossier.objects.select_for_update().get(pk=upload.dossier.pk)
    current = Document.objects.filter(dossier=locked, replaced_by__isnull=True)
    used = current.aggregate(total=Sum("size"))["total"] or 0
    previous = current.filter(kind=Document.Kind.RIB).first()
    if used - (previous.size if previous else 0) + len(upload.data) > int(upload.limits["max_dossier_mb"]) * 1024 * 1024:
        raise ValidationError({"rib_file": f"Le total des pièces du dossier dépasserait {upload.limits['max_dossier_mb']} Mo."})
    document = Document(
        dossier=locked, kind=Document.Kind.RIB, original_name=upload.name[:200], content_type=upload.sniffed.content_type,
        size=len(upload.data), sha256=upload.digest, uploaded_by=by,
    )
    document.file.save(safe_name(upload.name, upload.sniffed.extension), ContentFile(upload.data), save=False)
    stored.append(document.file.name)
    document.save()
    if previous is not None:
        Document.objects.filter(pk=previous.pk).update(replaced_by=document)
    audit.append(
        "document_uploaded", actor=by, role=role, obj=locked,
        payload={
            "reference": locked.reference, "document": document.pk, "kind": Document.Kind.RIB, "name": document.original_name,
            "content_type": document.content_type, "size": document.size, "sha256": document.sha256, "via": "payments.bank_details",
            "replaces": {"document": previous.pk, "sha256": previous.sha256} if previous else None,
        },
    )
    return document


def _delete_stored(paths) -> None:
    from fonds.dossiers.models import Document

    for path in paths:  # nothing half-stored: remove the file of a rolled-back upload
        Document._meta.get_field("file").storage.delete(path)


def _apply_bank_details(commune_id, by, role, *, iban, bic, holder, siret, doc) -> BankDetails:
    """The change itself (inside the caller's transaction): lock, compare, save, suspend, audit.
    ``siret`` None: keep the current one."""
    bank = BankDetails.objects.select_for_update(of=("self",)).select_related("rib_document").filter(commune_id=commune_id).first()
    if bank is None:
        if doc is None:
            raise ValidationError({"rib_document": "Joignez le RIB de la commune (PDF) : les coordonnées bancaires sont vérifiées sur ce document."})
        bank = BankDetails.objects.create(commune_id=commune_id, iban=iban, bic=bic, holder=holder, siret=siret or "", rib_document=doc, updated_by=by)
        audit.append("bank_details_set", actor=by, role=role, obj=bank, payload=_bank_payload(bank))
        return bank
    before = {
        "iban_masked": mask_iban(bank.iban), "iban_sha256": iban_sha256(bank.iban), "bic": bank.bic, "holder": bank.holder,
        "siret": bank.siret, "rib_document": bank.rib_document_id, "rib_sha256": bank.rib_document.sha256 if bank.rib_document_id else "",
    }
    if siret is None:
        siret = bank.siret
    if (bank.iban, bank.bic, bank.holder, bank.siret) == (iban, bic, holder, siret) and (doc is None or doc.pk == bank.rib_document_id):
        return bank
    was_certified = bank.is_certified
    was_rejected = bank.rejected_at is not None
    bank.iban, bank.bic, bank.holder, bank.siret = iban, bic, holder, siret
    if doc is not None:
        bank.rib_document = doc
    bank.version += 1
    bank.updated_at = clock.now()
    bank.updated_by = by
    bank.certified_at = None
    bank.certified_by = None
    bank.certified_fingerprint = ""
    bank.rejected_at = None
    bank.rejected_by = None
    bank.rejection_reason = ""
    bank.save()
    suspended = _suspend_orders(commune_id, by, role)
    audit.append(
        "bank_details_changed", actor=by, role=role, obj=bank,
        payload={
            **_bank_payload(bank), "before": before, "was_certified": was_certified, "was_rejected": was_rejected,
            "rib_changed": before["rib_document"] != bank.rib_document_id, "siret_changed": before["siret"] != bank.siret,
            "suspended_orders": suspended,
        },
    )
    return bank


def reject_bank_details(commune, *, by, motivation: str) -> BankDetails:
    """Finance rejects the commune's bank details: they do not match the RIB (motivation required).

    Refused when the details are certified (nothing to reject: a wrong certification is undone by
    the commune's change) or already rejected as they stand. Orders stay ``to_certify``. The
    porteur sees the motivation on the bank-details page and is emailed (``notify_bank_rejected``,
    queued through the outbox in this transaction). The next change of IBAN, BIC, holder, SIRET or RIB
    clears the rejection (the event stays in the trail).
    """
    from fonds.ops.outbox import enqueue

    role = _require(by, Role.FINANCE)
    motivation = (motivation or "").strip()
    if not motivation:
        raise PaymentRefused("motivation", "Le rejet des coordonnées bancaires exige une motivation : la commune la lira pour les corriger.")
    if len(motivation) > 5000:
        raise PaymentRefused("motivation", "La motivation ne peut dépasser 5 000 caractères.")
    commune_id = getattr(commune, "pk", commune)
    with transaction.atomic():
        bank = BankDetails.objects.select_for_update(of=("self",)).select_related("rib_document").filter(commune_id=commune_id).first()
        if bank is None:
            raise PaymentRefused("not_found", "La commune n'a pas encore donné ses coordonnées bancaires.")
        if bank.is_certified:
            raise PaymentRefused("status", "Ces coordonnées bancaires sont certifiées : elles ne peuvent plus être rejetées.")
        if bank.rejected_at is not None:
            raise PaymentRefused("status", "Ces coordonnées bancaires sont déjà rejetées : la commune doit les corriger.")
        bank.rejected_at = clock.now()
        bank.rejected_by = by
        bank.rejection_reason = motivation
        bank.save(update_fields=["rejected_at", "rejected_by", "rejection_reason"])
        audit.append("bank_details_rejected", actor=by, role=role, obj=bank, payload={**_bank_payload(bank), "motivation": motivation})
        enqueue("fonds.payments.tasks.notify_bank_rejected", bank.pk, bank.version)
        return bank


def _suspend_orders(commune_id, by, role) -> list[str]:
    orders = list(
        PaymentOrder.objects.select_for_update(of=("self",)).select_related("dossier")
        .filter(dossier__commune_id=commune_id, state=O.READY).order_by("pk")
    )
    for order in orders:
        order.suspend()
        order.save()
    if orders:
        audit.append_many(
            dict(action="payment_order_suspended", actor=by, role=role, obj=o, payload=_order_payload(o, reason="bank_details_changed"))
            for o in orders
        )
    return [o.reference for o in orders]


def certify_bank_details(commune, *, by) -> BankDetails:
    """Finance certifies the commune's bank details against the RIB ("service fait").

    Refused without a RIB, or when already certified for these exact values. Moves the commune's
    ``to_certify`` orders to ``ready`` (one ``payment_order_certified`` event each).
    """
    role = _require(by, Role.FINANCE)
    commune_id = getattr(commune, "pk", commune)
    with transaction.atomic():
        bank = BankDetails.objects.select_for_update(of=("self",)).select_related("rib_document").filter(commune_id=commune_id).first()
        if bank is None:
            raise PaymentRefused("condition", "La commune n'a pas encore donné ses coordonnées bancaires.", rules=["bank_details_missing"])
        if bank.rib_document_id is None:
            raise PaymentRefused("condition", "Aucun RIB n'est joint : les coordonnées ne peuvent être certifiées que sur pièce.", rules=["rib_missing"])
        if bank.is_certified:
            raise PaymentRefused("status", "Ces coordonnées bancaires sont déjà certifiées.")
        bank.certified_at = clock.now()
        bank.certified_by = by
        bank.certified_fingerprint = bank.fingerprint()
        bank.rejected_at, bank.rejected_by, bank.rejection_reason = None, None, ""
        bank.save(update_fields=["certified_at", "certified_by", "certified_fingerprint", "rejected_at", "rejected_by", "rejection_reason"])
        orders = list(
            PaymentOrder.objects.select_for_update(of=("self",)).select_related("dossier")
            .filter(dossier__commune_id=commune_id, state=O.TO_CERTIFY, kind__in=OUTGOING_KINDS).order_by("pk")
        )
        for order in orders:
            order.certify()
            order.save()
        audit.append("bank_details_certified", actor=by, role=role, obj=bank, payload={**_bank_payload(bank), "orders_ready": [o.reference for o in orders]})
        if orders:
            audit.append_many(dict(action="payment_order_certified", actor=by, role=role, obj=o, payload=_order_payload(o)) for o in orders)
        return bank


# ---- orders: creation ------------------------------------------------------------------------

def _create_order(dossier, kind: str, amount: Decimal, *, by, role: str, breakdown: dict | None = None, state: str | None = None, **fields) -> PaymentOrder:
    amount = parse_amount(amount)
    if state is None:
        bank = bank_details_for(dossier.commune_id)
        state = O.READY if bank is not None and bank.is_certified else O.TO_CERTIFY
    rules = dossier.campaign.rules
    try:
        with transaction.atomic():
            order = PaymentOrder.objects.create(
                reference=_next_reference(dossier, kind), dossier=dossier, kind=kind, amount=amount, state=state,
                created_by=by, rules_version=rules.version, breakdown=_json_safe(breakdown or {}), **fields,
            )
    except IntegrityError:
        raise PaymentRefused("conflict", f"Un ordre « {OrderKind(kind).label} » existe déjà pour le dossier {dossier.reference}.")
    order.dossier = dossier
    audit.append("payment_order_created", actor=by, role=role, obj=order, payload=_order_payload(order, rules_version=rules.version, breakdown=breakdown or {}))
    return order


def create_advance_order(dossier, *, by=None) -> PaymentOrder | None:
    """The advance order (``params["payment"]["advance_pct"]`` % of the approved amount, rounded down to the cent).

    Run by the after-hook of ``accept_agreement`` (inside that transition's transaction); idempotent:
    an existing live advance order is returned unchanged. State ``ready`` if the commune's bank
    details are certified, else ``to_certify``. None when no advance is due (amount 0).
    """
    from fonds.suivi.balance import advance_amount

    existing = PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.ADVANCE).exclude(state=O.CANCELLED).first()
    if existing is not None:
        return existing
    params = dossier.campaign.rules.params
    pct = params["payment"]["advance_pct"]
    amount = advance_amount(dossier.approved_amount or 0, pct)
    if amount <= 0:
        return None  # no advance due (advance_pct 0 in the campaign's rules): the balance pays everything
    breakdown = {"approved": dossier.approved_amount, "advance_pct": str(pct), "advance": amount}
    with transaction.atomic():
        return _create_order(dossier, OrderKind.ADVANCE, amount, by=by, role=_role_of(by), breakdown=breakdown)


def _role_of(by) -> str:
    if by is None:
        return audit.SYSTEM
    held = roles_of(by)
    for role in (Role.FINANCE, Role.PORTEUR, Role.ADMIN):
        if role in held:
            return role
    return next(iter(held), "")


def advance_paid_amount(dossier) -> Decimal | None:
    """What the fund actually paid as advance (paid advance orders), or None if no advance order was ever issued."""
    orders = PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.ADVANCE)
    if not orders.exists():
        return None
    return (orders.filter(state=O.PAID).aggregate(s=Sum("amount"))["s"] or Decimal("0")).quantize(CENT)


def dossier_balance(dossier, report=None):
    """The ``BalanceBreakdown`` of a dossier from its final report (``fonds.suivi.balance``).

    The advance deducted is the advance actually paid (paid advance orders; 0 when the advance order
    was cancelled); a dossier with no advance order at all (paid outside this module) falls back to
    ``balance_for_report``'s reading of its status.
    """
    from fonds.suivi.balance import balance_for_report, compute_balance, actual_figures
    from fonds.instruction.amount import dossier_distance_km
    from fonds.suivi.models import FinalReport

    report = report or FinalReport.objects.prefetch_related("lines").get(dossier=dossier)
    paid = advance_paid_amount(dossier)
    if paid is None:
        return balance_for_report(report, dossier)
    distance, _ = dossier_distance_km(dossier)
    return compute_balance(
        approved=dossier.approved_amount or 0, distance_km=distance, low_carbon=dossier.low_carbon,
        youth=report.youth_count, leaders=report.leader_count, nights=report.nights, nights_hosted=report.nights_hosted,
        eligible_costs=actual_figures(report)["eligible_costs"], params=dossier.campaign.rules.params,
        advance_paid=paid > 0, advance=paid,
    )


def accept_final_report(dossier, by) -> Settlement:
    """Finance accepts the submitted final report; the balance is computed and acted upon.

    balance > 0: a balance order (paid later in a batch; the dossier is settled when it is paid);
    balance = 0: ``settle`` at once (dossier closed); balance < 0: ``settle`` (dossier
    ``recovery_pending``) and a recovery order in the contradictory step — the mayor is emailed and
    has ``params["deadlines"]["recovery_answer_days"]`` days to answer (``answer_recovery``).
    Refused unless the dossier is ``report_submitted``, once only, and while the advance is still
    being paid; refused (``too_early``, 409) before the project's end — today before the planned or
    the declared actual last day — or with incoherent actual dates (``fonds.suivi.report_dates``).
    """
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status
    from fonds.suivi.models import FinalReport

    role = _require(by, Role.FINANCE)
    pk = getattr(dossier, "pk", dossier)
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().select_related("campaign", "commune").filter(pk=pk).first()
        if locked is None:
            raise PaymentRefused("not_found", "Dossier introuvable.")
        if locked.status != Status.REPORT_SUBMITTED:
            raise PaymentRefused("status", f"Le rapport final ne peut être validé : le dossier est « {locked.get_status_display()} ».")
        if Settlement.objects.filter(dossier=locked).exists():
            raise PaymentRefused("status", "Le rapport final de ce dossier est déjà validé.")
        report = FinalReport.objects.prefetch_related("lines").filter(dossier=locked, submitted_at__isnull=False).first()
        if report is None:
            raise PaymentRefused("condition", "Aucun rapport final déposé pour ce dossier.")
        refuse_on_dates(locked, report, done="validé", exception=PaymentRefused)  # not before the project's end
        pending = PaymentOrder.objects.filter(dossier=locked, kind=OrderKind.ADVANCE).exclude(state__in=[O.PAID, O.CANCELLED]).first()
        if pending is not None:
            raise PaymentRefused("condition", f"L'avance ({pending.reference}) n'est pas encore payée ni annulée : le solde ne peut pas être calculé.", rules=["advance_pending"])
        bd = dossier_balance(locked, report)
        rules = locked.campaign.rules
        settlement = Settlement.objects.create(
            dossier=locked, accepted_by=by, final_grant=bd.final_grant, advance=bd.advance, balance=bd.balance,
            breakdown=_json_safe(bd.as_dict()), lines=bd.lines, rules_version=rules.version,
        )
        audit.append(
            "final_report_accepted", actor=by, role=role, obj=locked,
            payload={"reference": locked.reference, "report": report.pk, "balance": bd.balance, "breakdown": _json_safe(bd.as_dict()), "rules_version": rules.version},
        )
        if bd.balance > 0:
            _create_order(locked, OrderKind.BALANCE, bd.balance, by=by, role=role, breakdown=_json_safe(bd.as_dict()))
        elif bd.balance == 0:
            _perform(locked, "settle", by, data={"balance": "0.00"})
        else:
            _perform(locked, "settle", by, data={"balance": str(bd.balance)})
            days = int(locked.campaign.rules.params["deadlines"]["recovery_answer_days"])
            notified = clock.now()  # the notice's date; the answer period runs from it
            order = _create_order(
                locked, OrderKind.RECOVERY, -bd.balance, by=by, role=role, breakdown=_json_safe(bd.as_dict()),
                state=O.CONTRADICTORY, created_at=notified, answer_due=notified + dt.timedelta(days=days),
            )
            outbox.enqueue("fonds.payments.tasks.notify_recovery", order.pk)
    return settlement


def reissue_balance_order(dossier, *, by, motivation: str) -> PaymentOrder:
    """A new balance order after the previous one was cancelled (the dossier would stay
    ``report_submitted`` for ever: ``settle`` fires only when a balance order is paid).

    The simplest correct path: the final report's acceptance (``Settlement``) stands — it is the
    audited decision on the balance — and a new balance order is issued for the same amount
    (``…-SO2``, ``-SO3``…; state ``ready`` or ``to_certify`` by the bank details, as at acceptance).
    Refused unless the dossier is ``report_submitted`` with an accepted report whose balance is
    positive and every balance order of it is cancelled. Motivation required (audited).
    """
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status

    role = _require(by, Role.FINANCE)
    motivation = (motivation or "").strip()
    if not motivation:
        raise PaymentRefused("motivation", "La réémission de l'ordre de solde exige une motivation écrite.")
    pk = getattr(dossier, "pk", dossier)
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().select_related("campaign", "commune").filter(pk=pk).first()
        if locked is None:
            raise PaymentRefused("not_found", "Dossier introuvable.")
        settlement = Settlement.objects.filter(dossier=locked).first()
        if locked.status != Status.REPORT_SUBMITTED or settlement is None:
            raise PaymentRefused("status", f"Aucun solde à réémettre : le dossier est « {locked.get_status_display()} »" + ("" if settlement else " et son rapport final n'est pas validé") + ".")
        if settlement.balance <= 0:
            raise PaymentRefused("condition", "Le solde validé de ce dossier n'est pas positif : il n'y a pas d'ordre de solde à émettre.")
        orders = list(PaymentOrder.objects.select_for_update(of=("self",)).filter(dossier=locked, kind=OrderKind.BALANCE))
        live = next((o for o in orders if o.state != O.CANCELLED), None)
        if live is not None:
            raise PaymentRefused("status", f"L'ordre de solde {live.reference} n'est pas annulé (« {live.get_state_display()} ») : il n'y a rien à réémettre.")
        order = _create_order(locked, OrderKind.BALANCE, settlement.balance, by=by, role=role, breakdown=settlement.breakdown)
        audit.append(
            "balance_order_reissued", actor=by, role=role, obj=locked,
            payload={"reference": locked.reference, "order": order.reference, "amount": order.amount, "cancelled_orders": [o.reference for o in orders], "motivation": motivation, "settlement_rules_version": settlement.rules_version},
        )
        return order


def can_reissue_balance(dossier, settlement=None) -> bool:
    """Whether ``reissue_balance_order`` would take this dossier (for the UI's button)."""
    from fonds.dossiers.states import Status

    settlement = settlement if settlement is not None else Settlement.objects.filter(dossier=dossier).first()
    return (
        dossier.status == Status.REPORT_SUBMITTED and settlement is not None and settlement.balance > 0
        and PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE).exists()
        and not PaymentOrder.objects.filter(dossier=dossier, kind=OrderKind.BALANCE).exclude(state=O.CANCELLED).exists()
    )


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


# ---- recovery (ordre de reversement) --------------------------------------------------------------
# Règlement: when the balance is negative, the recovery order is issued after a contradictory step:
# the mayor is notified and has ``params["deadlines"]["recovery_answer_days"]`` days (15) to answer;
# nobody can make the recovery final before the answer or the end of that period (CRPA L242-2).

def recovery_answer_due(order) -> dt.datetime:
    """The end of the mayor's answer period: ``answer_due``, set from the campaign's
    ``recovery_answer_days`` when the notice was issued (recomputed the same way if missing)."""
    if order.answer_due is not None:
        return order.answer_due
    days = int(order.dossier.campaign.rules.params["deadlines"]["recovery_answer_days"])
    return order.created_at + dt.timedelta(days=days)


def recovery_final_from(order) -> dt.datetime:
    """From when the recovery may be made final: the mayor's answer, else the end of the answer period."""
    return order.answered_at or recovery_answer_due(order)


def recovery_may_be_final(order, now: dt.datetime | None = None) -> bool:
    """Whether the contradictory step of this recovery is over (the mayor answered, or the period ended)."""
    return (
        order.kind == OrderKind.RECOVERY and order.state == O.CONTRADICTORY
        and (now or clock.now()) >= recovery_final_from(order)
    )


def _moment(value: dt.datetime, *, ceil: bool = False) -> str:
    """``value`` in Paris time to the minute: rounded down ("jusqu'au …", as the templates print it),
    or up with ``ceil`` ("à partir du …"), so that the printed minute is never wrong."""
    if ceil and (value.second or value.microsecond):
        value = value.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return timezone.localtime(value).strftime("%d/%m/%Y à %H:%M")


def recovery_too_early_message(order) -> str:
    """Why the recovery cannot be made final yet, and from when it can (French)."""
    due = recovery_answer_due(order)
    return (
        f"Le reversement {order.reference} ne peut pas encore être rendu exécutoire : la procédure contradictoire "
        f"est en cours, le maire peut présenter ses observations jusqu'au {_moment(due)}. Il pourra l'être dès la "
        f"réponse du maire, ou à partir du {_moment(due, ceil=True)} sans réponse."
    )


def answer_recovery(order, by, text: str) -> PaymentOrder:
    """The mayor (a porteur of the commune) answers the recovery notice, before ``answer_due``, once."""
    text = (text or "").strip()
    with transaction.atomic():
        locked = _lock_order(order)
        if not _is_commune_porteur(by, locked.dossier.commune_id):
            raise PaymentRefused("not_found", "Ordre de paiement introuvable.")
        if locked.kind != OrderKind.RECOVERY or locked.state != O.CONTRADICTORY:
            raise PaymentRefused("status", "La procédure contradictoire de ce reversement est close : il n'est plus possible d'y répondre.")
        if locked.answered_at is not None:
            raise PaymentRefused("status", "Vous avez déjà répondu à cette demande de reversement.")
        now = clock.now()
        if now >= recovery_answer_due(locked):
            raise PaymentRefused(
                "condition", f"Le délai de réponse est expiré depuis le {_moment(recovery_answer_due(locked))}.",
                rules=["recovery_answer_deadline"],
            )
        if len(text) < 3 or len(text) > 5000:
            raise PaymentRefused("condition", "Écrivez votre réponse (5 000 caractères au plus).", rules=["answer_text"])
        locked.answer_text = text
        locked.answered_at = now
        locked.answered_by = by
        locked.save(update_fields=["answer_text", "answered_at", "answered_by"])
        audit.append("recovery_answered", actor=by, role=Role.PORTEUR, obj=locked, payload=_order_payload(locked, answer_sha256=hashlib.sha256(text.encode()).hexdigest()))
        return _refresh(order, locked)


def make_recovery_final(order, *, by=None, motivation: str = "") -> PaymentOrder:
    """The recovery becomes final (exigible) — never before the contradictory step is over.

    Finance, once the mayor has answered (after reading the answer) or the answer period has ended;
    the system (``by=None``, ``expire_recovery_answers``) only at the end of the period without an
    answer (an answer is for finance to weigh). Before: ``too_early`` (409), saying from when.
    """
    role = _require(by, Role.FINANCE) if by is not None else audit.SYSTEM
    with transaction.atomic():
        locked = _lock_order(order)
        if locked.kind != OrderKind.RECOVERY:
            raise PaymentRefused("status", "Seul un ordre de reversement peut être rendu exécutoire.")
        if locked.state != O.CONTRADICTORY:
            raise PaymentRefused("status", f"Opération impossible : l'ordre {locked.reference} est « {locked.get_state_display()} ».")
        if by is None and locked.answered_at is not None:
            raise PaymentRefused("status", "Le maire a répondu : c'est au service financier d'examiner sa réponse et de décider du reversement.")
        if not recovery_may_be_final(locked):
            raise PaymentRefused(TOO_EARLY, recovery_too_early_message(locked), rules=["recovery_answer_period"])
        source = _transition(locked, "make_final")
        locked.motivation = (motivation or "").strip()
        locked.save()
        audit.append(
            "recovery_made_final", actor=by, role=role, obj=locked,
            payload=_order_payload(locked, **{
                "from": source, "motivation": locked.motivation, "answered": locked.answered_at is not None,
                "answer_due": recovery_answer_due(locked),
            }),
        )
        return _refresh(order, locked)


def record_recovery_received(order, *, by) -> PaymentOrder:
    """Finance records that the commune paid the recovery back; the dossier is closed (``recover``)."""
    role = _require(by, Role.FINANCE)
    with transaction.atomic():
        locked = _lock_order(order)
        if locked.kind != OrderKind.RECOVERY:
            raise PaymentRefused("status", "Cet ordre n'est pas un reversement.")
        source = _transition(locked, "record_recovered")
        locked.save()
        audit.append("recovery_received", actor=by, role=role, obj=locked, payload=_order_payload(locked, **{"from": source}))
        _perform(locked.dossier, "recover", by, motivation=f"Reversement {locked.reference} reçu.", expected="recovery_pending")
        return _refresh(order, locked)


def write_off_recovery(order, *, by, motivation: str) -> PaymentOrder:
    """Finance writes the recovery off (admission en non-valeur, motivated); the dossier is closed."""
    role = _require(by, Role.FINANCE)
    motivation = (motivation or "").strip()
    if not motivation:
        raise PaymentRefused("motivation", "L'admission en non-valeur exige une motivation écrite.")
    with transaction.atomic():
        locked = _lock_order(order)
        if locked.kind != OrderKind.RECOVERY:
            raise PaymentRefused("status", "Cet ordre n'est pas un reversement.")
        source = _transition(locked, "write_off", motivation=motivation)
        locked.save()
        audit.append("recovery_written_off", actor=by, role=role, obj=locked, payload=_order_payload(locked, **{"from": source, "motivation": motivation}))
        _perform(locked.dossier, "recover", by, motivation=f"Reversement {locked.reference} admis en non-valeur : {motivation}", expected="recovery_pending")
        return _refresh(order, locked)


def cancel_order(order, *, by, motivation: str) -> PaymentOrder:
    """Finance cancels an order not yet in a batch (motivated, final).

    A cancelled recovery (finance accepts the mayor's answer) closes the dossier (``recover``):
    nothing is left to recover. A cancelled advance lets the dossier go on without advance
    (``pay_advance`` with no money paid: the final report is then due, the balance deducts nothing).
    """
    role = _require(by, Role.FINANCE)
    motivation = (motivation or "").strip()
    if not motivation:
        raise PaymentRefused("motivation", "L'annulation d'un ordre exige une motivation écrite.")
    with transaction.atomic():
        locked = _lock_order(order)
        source = _transition(locked, "cancel", motivation=motivation)
        locked.save()
        audit.append("payment_order_cancelled", actor=by, role=role, obj=locked, payload=_order_payload(locked, **{"from": source, "motivation": motivation}))
        if locked.kind == OrderKind.RECOVERY:
            _perform(locked.dossier, "recover", by, motivation=f"Reversement {locked.reference} annulé : {motivation}", expected="recovery_pending")
        if locked.kind == OrderKind.ADVANCE:
            _perform(locked.dossier, "pay_advance", by, motivation=f"Avance {locked.reference} annulée, sans versement : {motivation}", expected="agreement_signed")
        return _refresh(order, locked)


def expire_recovery_answers(now=None) -> list[str]:
    """Make final every recovery whose answer period has ended without an answer (the system;
    règlement deadline table). An answered recovery waits for finance's decision.

    Idempotent: each order is re-checked under its lock (``make_recovery_final``, on the clock);
    returns the references made final.
    """
    now = now or clock.now()
    done = []
    due = PaymentOrder.objects.filter(kind=OrderKind.RECOVERY, state=O.CONTRADICTORY, answered_at__isnull=True, answer_due__lte=now)
    for pk in due.values_list("pk", flat=True):
        try:
            done.append(make_recovery_final(pk, by=None, motivation="Délai de réponse expiré.").reference)
        except PaymentRefused:
            continue
    return done


# ---- outgoing orders: return and re-issue -----------------------------------------------------

def reissue_order(order, *, by) -> PaymentOrder:
    """A returned transfer goes back to ``ready`` — only once the bank details were corrected and re-certified.

    "Corrected": the certified account (IBAN, BIC or holder) differs from the one the returned
    transfer was sent to — a change of the SIRET or of the RIB alone is not a correction.
    """
    role = _require(by, Role.FINANCE)
    with transaction.atomic():
        locked = _lock_order(order)
        if locked.state != O.RETURNED:
            raise PaymentRefused("status", f"Seul un virement rejeté peut être réémis ; l'ordre {locked.reference} est « {locked.get_state_display()} ».")
        bank = bank_details_for(locked.dossier.commune_id)
        last = locked.batch_items.filter(outcome=ItemOutcome.RETURNED).order_by("-pk").first()
        if bank is None or not bank.is_certified:
            raise PaymentRefused("condition", "Les coordonnées bancaires de la commune doivent être corrigées puis certifiées avant de réémettre le virement.", rules=["bank_details_not_certified"])
        if last is not None and (last.bank_fingerprint == bank.certified_fingerprint or (last.creditor_iban, last.creditor_bic, last.creditor_name) == (bank.iban, bank.bic, bank.holder)):
            raise PaymentRefused("condition", "Les coordonnées bancaires n'ont pas changé depuis le rejet : faites-les corriger par la commune puis certifiez-les.", rules=["bank_details_unchanged"])
        source = _transition(locked, "reissue")
        locked.save()
        audit.append("payment_order_reissued", actor=by, role=role, obj=locked, payload=_order_payload(locked, **{"from": source, "bank_version": bank.version, "iban_masked": mask_iban(bank.iban)}))
        return _refresh(order, locked)


# ---- batches --------------------------------------------------------------------------------------

def payable_orders():
    """Orders a batch may take: ready, outgoing, of a commune whose bank details are certified (a queryset)."""
    return PaymentOrder.objects.filter(state=O.READY, kind__in=OUTGOING_KINDS, dossier__commune__bank_details__certified_at__isnull=False)


def _filtered(filters: dict | None):
    qs = PaymentOrder.objects.filter(state=O.READY, kind__in=OUTGOING_KINDS)
    filters = filters or {}
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("campaign"):
        qs = qs.filter(dossier__campaign_id=filters["campaign"])
    if filters.get("commune"):
        qs = qs.filter(dossier__commune_id=filters["commune"])
    if filters.get("created_before"):
        qs = qs.filter(created_at__lt=filters["created_before"])
    return qs


def next_business_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def debtor() -> dict:
    return {"name": settings.FJJ_DEBTOR_NAME, "iban": settings.FJJ_DEBTOR_IBAN.replace(" ", ""), "bic": settings.FJJ_DEBTOR_BIC}


def remittance_text(order: PaymentOrder, dossier_reference: str | None = None) -> str:
    """The unstructured remittance text of the transfer (≤ 140 characters): fund, dossier number, kind, order."""
    reference = dossier_reference or order.dossier.reference
    return f"Fonds Jumelages Jeunesse dossier {reference} {order.get_kind_display()} {order.reference}"[:140]


def build_batch(*, by, order_ids=None, filters: dict | None = None, execution_date: dt.date | None = None) -> BuildResult:
    """Put ready orders in a new batch and produce its validated SEPA file (pain.001.001.03).

    ``order_ids`` (a selection) or ``filters`` (``kind``, ``campaign``, ``commune``,
    ``created_before``; the whole filtered selection). Only ``ready`` outgoing orders of communes with
    *certified* bank details are taken; others asked for are listed in ``excluded``. Rows are locked
    with ``SELECT … FOR UPDATE SKIP LOCKED``: two finance users building at the same time never get
    the same order (the partial unique index ``payments_order_in_one_live_batch`` is the last guard).
    An empty batch is refused. The file's SHA-256 is in the ``batch_built`` audit event.
    """
    from django.db import connection

    role = _require(by, Role.FINANCE)
    if order_ids is None and filters is None:
        raise PaymentRefused("condition", "Sélectionnez les ordres à mettre dans le lot.", rules=["empty_batch"])
    wanted = None
    if order_ids is not None:
        try:
            wanted = sorted({int(i) for i in order_ids})
        except (TypeError, ValueError):
            raise PaymentRefused("condition", "Sélection d'ordres invalide.")
    today = clock.today()
    execution_date = execution_date or next_business_day(today)
    if execution_date < today:
        raise PaymentRefused("condition", "La date d'exécution demandée ne peut pas être dans le passé.", rules=["execution_date"])
    with transaction.atomic():
        qs = _filtered(filters)
        if wanted is not None:
            qs = qs.filter(pk__in=wanted)
        lock = {"skip_locked": True, "of": ("self",)} if connection.features.has_select_for_update_skip_locked else {}
        orders = list(qs.select_for_update(**lock).order_by("pk"))
        excluded: list[tuple[int, str]] = []
        found = {o.pk for o in orders}
        if wanted is not None:
            for pk in wanted:
                if pk not in found:
                    excluded.append((pk, "ordre non prêt à payer (déjà dans un lot, payé, annulé ou en attente de certification)"))
        if orders:
            dossier_ids = {o.dossier_id for o in orders}
            from fonds.dossiers.models import Dossier

            # (reference, commune) only: full Dossier instances (FSM mixins) would cost ~0.2 ms each
            dossiers = {pk: (ref, commune) for pk, ref, commune in Dossier.objects.filter(pk__in=dossier_ids).values_list("pk", "reference", "commune_id")}
            banks = {b.commune_id: b for b in BankDetails.objects.filter(commune_id__in={c for _, c in dossiers.values()})}
        taken = []
        for order in orders:
            bank = banks.get(dossiers[order.dossier_id][1])
            if bank is None or not bank.is_certified:
                excluded.append((order.pk, "coordonnées bancaires de la commune non certifiées"))
                continue
            taken.append((order, bank))
        if not taken:
            raise PaymentRefused("condition", "Le lot serait vide : aucun ordre prêt à payer avec des coordonnées bancaires certifiées dans la sélection.", rules=["empty_batch"])
        now = clock.now().replace(microsecond=0)
        token = secrets.token_hex(4).upper()
        d = debtor()
        batch = Batch.objects.create(
            reference=f"LOT-{now:%Y%m%d-%H%M%S}-{token}", message_id=f"FJJ{now:%Y%m%d%H%M%S}{token}", created_at=now, created_by=by,
            execution_date=execution_date, debtor_name=d["name"], debtor_iban=d["iban"], debtor_bic=d["bic"],
            count=len(taken), total=sum((o.amount for o, _ in taken), Decimal("0.00")),
        )
        items = []
        for position, (order, bank) in enumerate(taken, start=1):
            _transition(order, "add_to_batch")
            items.append(BatchItem(
                batch=batch, order=order, position=position, amount=order.amount, end_to_end_id=order.reference,
                creditor_name=bank.holder, creditor_iban=bank.iban, creditor_bic=bank.bic, bank_fingerprint=bank.certified_fingerprint,
                remittance=remittance_text(order, dossiers[order.dossier_id][0]),
            ))
        ids = [o.pk for o, _ in taken]
        moved = 0
        for start in range(0, len(ids), 900):
            moved += PaymentOrder.objects.filter(pk__in=ids[start:start + 900], state=O.READY).update(state=O.IN_BATCH)
        if moved != len(ids):
            raise PaymentRefused("conflict", "Des ordres viennent d'être pris par un autre lot : recommencez.")
        try:
            with transaction.atomic():
                BatchItem.objects.bulk_create(items, batch_size=500)
        except IntegrityError:
            raise PaymentRefused("conflict", "Des ordres viennent d'être pris par un autre lot : recommencez.")
        from .sepa import batch_xml

        data = batch_xml(batch, items)
        batch.file_sha256 = hashlib.sha256(data).hexdigest()
        batch.save(update_fields=["file_sha256"])
        audit.append(
            "batch_built", actor=by, role=role, obj=batch,
            payload={
                "reference": batch.reference, "message_id": batch.message_id, "count": batch.count, "total": batch.total,
                "execution_date": batch.execution_date.isoformat(), "file_sha256": batch.file_sha256,
                "orders": [o.reference for o, _ in taken], "excluded": [pk for pk, _ in excluded],
            },
        )
    return BuildResult(batch=batch, excluded=excluded)


def _check_bank_unchanged(batch: Batch) -> None:
    """Refuse to offer or send a batch whose creditors' bank details changed since it was built."""
    rows = list(batch.items.filter(live=True).values_list("order__dossier__commune_id", "bank_fingerprint", "end_to_end_id"))
    banks = {b.commune_id: b for b in BankDetails.objects.filter(commune_id__in={c for c, _, _ in rows})}
    changed = [ref for commune, fingerprint, ref in rows if commune not in banks or not banks[commune].is_certified or banks[commune].certified_fingerprint != fingerprint]
    if changed:
        shown = ", ".join(changed[:5]) + (" …" if len(changed) > 5 else "")
        raise PaymentRefused(
            "condition",
            f"Les coordonnées bancaires ont changé depuis la constitution du lot pour {len(changed)} ordre(s) ({shown}) : "
            "annulez le lot, faites certifier les nouvelles coordonnées, puis constituez un nouveau lot.",
            rules=["bank_details_changed"],
        )


def export_batch(batch, *, by=None) -> bytes:
    """The batch's SEPA file (pain.001.001.03), validated against the XSD, byte-identical on every call.

    Refused for a batch that is not ``ready`` or ``sent`` (cancelled, executed), and for a ready
    batch whose creditors' bank details changed (or lost their certification) since it was built —
    the file would pay the old account: cancel it and build a new one. The bytes are
    checked against the SHA-256 recorded when the batch was built; each export is audited
    (``batch_exported``, with the hash).
    """
    from .sepa import batch_xml

    pk = getattr(batch, "pk", batch)
    with transaction.atomic():
        locked = _lock_batch(pk)
        if not locked.exportable:
            raise PaymentRefused("status", f"Le lot {locked.reference} n'est pas prêt : il est « {locked.get_state_display()} ».")
        if locked.state == BatchState.READY:
            _check_bank_unchanged(locked)
        items = list(locked.items.order_by("position"))
        data = batch_xml(locked, items)
        digest = hashlib.sha256(data).hexdigest()
        if locked.file_sha256 and digest != locked.file_sha256:
            raise PaymentRefused("conflict", "Le fichier regénéré ne correspond pas à l'empreinte enregistrée à la constitution du lot : export bloqué.")
        audit.append("batch_exported", actor=by, role=_role_of(by), obj=locked, payload={"reference": locked.reference, "file_sha256": digest, "count": locked.count, "total": locked.total})
    return data


def batch_file_name(batch) -> str:
    return f"{batch.reference}.xml"


def mark_batch_sent(batch, *, by) -> Batch:
    """Finance records that the file was transmitted to the bank: the batch and its orders are ``sent``.

    Refused when a creditor's bank details changed since the batch was built (as ``export_batch``).
    """
    role = _require(by, Role.FINANCE)
    with transaction.atomic():
        locked = _lock_batch(batch)
        if locked.state != BatchState.READY:
            raise PaymentRefused("status", f"Le lot {locked.reference} est « {locked.get_state_display()} » : il ne peut pas être transmis.")
        _check_bank_unchanged(locked)
        locked.mark_sent()
        locked.sent_by = by
        locked.save()
        ids = list(locked.items.filter(live=True).values_list("order_id", flat=True))
        moved = sum(PaymentOrder.objects.filter(pk__in=ids[s:s + 900], state=O.IN_BATCH).update(state=O.SENT) for s in range(0, len(ids), 900))
        if moved != len(ids):
            raise PaymentRefused("conflict", "L'état des ordres du lot a changé : rechargez la page.")
        audit.append("batch_sent", actor=by, role=role, obj=locked, payload={"reference": locked.reference, "file_sha256": locked.file_sha256, "count": len(ids)})
        return _refresh(batch, locked)


def cancel_batch(batch, *, by) -> Batch:
    """A batch not yet transmitted is cancelled: its orders go back to ``ready`` (free for another batch)."""
    role = _require(by, Role.FINANCE)
    with transaction.atomic():
        locked = _lock_batch(batch)
        if locked.state != BatchState.READY:
            raise PaymentRefused("status", f"Le lot {locked.reference} a été transmis à la banque : il ne peut plus être annulé.")
        locked.cancel()
        locked.save()
        ids = list(locked.items.filter(live=True).values_list("order_id", flat=True))
        locked.items.filter(live=True).update(live=False, outcome=ItemOutcome.REMOVED)
        for s in range(0, len(ids), 900):
            PaymentOrder.objects.filter(pk__in=ids[s:s + 900], state=O.IN_BATCH).update(state=O.READY)
        audit.append("batch_cancelled", actor=by, role=role, obj=locked, payload={"reference": locked.reference, "orders_released": len(ids)})
        return _refresh(batch, locked)


def record_return(batch, order, *, by, reason_code: str) -> PaymentOrder:
    """The bank returned one transfer of a transmitted batch (ISO reason code, e.g. ``AC04``).

    Before execution is recorded (batch ``sent``, transfer pending): the order ``sent → returned``.

    **After** execution was recorded (batch ``executed``, the transfer recorded ``paid``) — the
    bank's return often arrives days later: the order ``paid → returned`` (``paid_at`` cleared,
    the batch item's outcome becomes ``returned``, so the ``payments_order_paid_once`` index
    lets the re-issued transfer be paid). The batch stays ``executed`` (its file was executed;
    the item records the return). **The dossier's transition is NOT reverted**: ``pay_advance``
    (→ ``advance_paid``, the final-report deadline set) and ``settle`` (→ ``closed``) have no
    reverse transition, and undoing them would erase decisions the porteur has already acted on
    (a report being written, a closure letter). The money owed is carried by the order instead:
    it goes ``returned → ready`` once the bank details are corrected and re-certified
    (``reissue_order``) and is paid in a later batch; ``record_execution`` fires the dossier's
    transition only when the dossier is where the payment flow expects it (``agreement_signed``
    for ``pay_advance``, ``report_submitted`` for ``settle``), so paying the re-issued order never
    fires ``pay_advance`` or ``settle`` twice. While such an advance is ``returned``,
    ``accept_final_report`` refuses (the advance is neither paid nor cancelled) and
    ``advance_paid_amount`` does not count it. The ``payment_returned`` event records
    ``after_execution`` and the dossier's status left as it was.

    Refused for an order that is not in this batch, a transfer already returned, or a batch
    neither sent nor executed.
    """
    role = _require(by, Role.FINANCE)
    code = (reason_code or "").strip().upper()
    if code not in RETURN_REASONS:
        raise PaymentRefused("condition", "Code motif de rejet inconnu : indiquez le code à 4 caractères transmis par la banque (par exemple AC04).", rules=["reason_code"])
    with transaction.atomic():
        locked_batch = _lock_batch(batch)
        order_pk = getattr(order, "pk", order)
        item = BatchItem.objects.select_for_update().filter(batch=locked_batch, order_id=order_pk).first()
        if item is None:
            raise PaymentRefused("condition", f"Cet ordre ne fait pas partie du lot {locked_batch.reference} : rejet refusé.", rules=["order_not_in_batch"])
        late = locked_batch.state == BatchState.EXECUTED and item.outcome == ItemOutcome.PAID
        if not late and (locked_batch.state != BatchState.SENT or item.outcome != ItemOutcome.PENDING):
            if item.outcome == ItemOutcome.RETURNED:
                raise PaymentRefused("status", "Le rejet de ce virement est déjà enregistré.")
            raise PaymentRefused("status", "Ce virement n'est pas en attente d'exécution : rejet impossible.")
        locked = _lock_order(order_pk)
        source = _transition(locked, "bank_return_after_payment" if late else "bank_return", code=code)
        locked.save()
        item.live = False
        item.outcome = ItemOutcome.RETURNED
        item.return_code = code
        item.save(update_fields=["live", "outcome", "return_code"])
        extra = {"from": source, "batch": locked_batch.reference, "reason_code": code, "reason": RETURN_REASONS[code], "iban_masked": mask_iban(item.creditor_iban)}
        if late:
            from fonds.dossiers.models import Dossier

            extra["after_execution"] = True
            extra["dossier_status_kept"] = Dossier.objects.filter(pk=locked.dossier_id).values_list("status", flat=True).first()
        audit.append("payment_returned", actor=by, role=role, obj=locked, payload=_order_payload(locked, **extra))
        return _refresh(order, locked)


def execution_too_early(batch, today: dt.date | None = None) -> str:
    """Why the batch cannot be recorded as executed today (its requested execution date has not
    come: the bank has not executed it), or "" (French)."""
    today = today or clock.today()
    if today >= batch.execution_date:
        return ""
    day = f"{batch.execution_date:%d/%m/%Y}"
    return (
        f"Le lot {batch.reference} ne peut pas être enregistré comme exécuté avant sa date d'exécution demandée, "
        f"le {day} : la banque ne l'a pas encore exécuté. L'exécution pourra être enregistrée à partir du {day}."
    )


def record_execution(batch, *, by) -> Batch:
    """The bank executed the batch: every transfer not returned is ``paid`` (at most once: DB constraint).

    Refused (``too_early``, 409) before the batch's requested execution date (``clock.today()``).
    The dossiers follow: ``pay_advance`` for a paid advance, ``settle`` (the accepted balance) for a
    paid balance — only when the dossier is where the payment flow expects it.
    """
    role = _require(by, Role.FINANCE)
    with transaction.atomic():
        locked = _lock_batch(batch)
        if locked.state != BatchState.SENT:
            raise PaymentRefused("status", f"Le lot {locked.reference} est « {locked.get_state_display()} » : l'exécution ne peut pas être enregistrée.")
        too_early = execution_too_early(locked)
        if too_early:
            raise PaymentRefused(TOO_EARLY, too_early, rules=["execution_date"])
        items = list(locked.items.select_for_update().filter(outcome=ItemOutcome.PENDING).order_by("position"))
        orders = {o.pk: o for o in PaymentOrder.objects.select_for_update(of=("self",)).select_related("dossier").filter(pk__in=[i.order_id for i in items])}
        now = clock.now()
        paid = []
        for item in items:
            order = orders[item.order_id]
            _transition(order, "pay")
            order.paid_at = now
            order.save()
            item.outcome = ItemOutcome.PAID
            item.live = False
            paid.append(order)
        try:
            with transaction.atomic():
                BatchItem.objects.bulk_update(items, ["outcome", "live"], batch_size=500)
        except IntegrityError:
            raise PaymentRefused("conflict", "Un de ces ordres est déjà enregistré comme payé : exécution refusée.")
        locked.mark_executed()
        locked.save()
        audit.append("batch_executed", actor=by, role=role, obj=locked, payload={
            "reference": locked.reference, "execution_date": locked.execution_date.isoformat(), "executed_at": locked.executed_at,
            "paid": [o.reference for o in paid], "total_paid": sum((o.amount for o in paid), Decimal("0.00")),
        })
        audit.append_many(dict(action="payment_order_paid", actor=by, role=role, obj=o, payload=_order_payload(o, batch=locked.reference)) for o in paid)
        for order in paid:
            if order.kind == OrderKind.ADVANCE:
                _perform(order.dossier, "pay_advance", by, expected="agreement_signed")
            elif order.kind == OrderKind.BALANCE:
                settlement = Settlement.objects.filter(dossier_id=order.dossier_id).first()
                balance = settlement.balance if settlement else order.amount
                _perform(order.dossier, "settle", by, data={"balance": str(balance)}, expected="report_submitted")
        return _refresh(batch, locked)
