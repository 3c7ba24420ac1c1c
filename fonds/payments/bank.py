"""The commune's bank details: IBAN, BIC, holder and town-hall SIRET, read from a RIB, rejected or
certified by finance ("service fait"); a change voids the certification and suspends payments.

Bad values raise Django's ``ValidationError`` with one message per field (``iban``, ``bic``,
``holder``, ``siret``, ``rib_document``, ``rib_file``) so a form can show them. Audit payloads
never carry an IBAN in clear: ``iban_masked`` (``FR76 **** 1234``) and ``iban_sha256`` only. The
town hall's SIRET is public data (SIRENE): payloads carry it in clear.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from fonds import clock
from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.dossiers.models import Document
from fonds.ops.outbox import enqueue
from fonds.referentiel.models import Commune
from fonds.referentiel.siret import validate_siret

from .common import PaymentRefused, is_commune_porteur, order_payload, require_role, required_motivation
from .models import OUTGOING_KINDS, BankDetails, OrderState, PaymentOrder, iban_sha256, mask_iban
from .rib import checked_rib_upload, delete_stored, store_rib


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


def validate_bank_details(iban: str, bic: str, holder: str) -> tuple[str, str, str]:
    """Normalised ``(iban, bic, holder)`` checked with schwifty; ``ValidationError`` per field (French)."""
    errors: dict[str, str] = {}
    iban_obj = bic_obj = None
    try:
        iban_obj = IBAN(str(iban or ""))
    except (SchwiftyException, ValueError):
        errors["iban"] = (
            "IBAN invalide : vérifiez le numéro recopié du RIB (27 caractères pour un compte français, "
            "commençant par FR76)."
        )
    if iban_obj is not None and iban_obj.country_code not in SEPA_COUNTRIES:
        errors["iban"] = "Cet IBAN n'appartient pas à la zone SEPA : un virement SEPA n'est pas possible."
    try:
        bic_obj = BIC(str(bic or "").strip())
    except (SchwiftyException, ValueError):
        errors["bic"] = (
            "BIC invalide : 8 ou 11 caractères (par exemple BDFEFRPPCCT), tels qu'ils figurent sur le RIB."
        )
    holder = " ".join(str(holder or "").split())
    if len(holder) < 2 or len(holder) > 70:
        errors["holder"] = (
            "Indiquez le titulaire du compte tel qu'il figure sur le RIB (70 caractères au plus)."
        )
    if iban_obj is not None and bic_obj is not None and "bic" not in errors and "iban" not in errors:
        if str(bic_obj.country_code) != str(iban_obj.country_code) and not (
            iban_obj.country_code in FR_TERRITORIES and bic_obj.country_code in FR_TERRITORIES
        ):
            errors["bic"] = "Le BIC ne correspond pas au pays de l'IBAN : vérifiez les deux sur le RIB."
    if errors:
        raise ValidationError(errors)
    return iban_obj.compact, str(bic_obj.compact), holder


#: countries whose IBANs can receive a SEPA credit transfer (EEA + SEPA non-EEA members)
SEPA_COUNTRIES = frozenset(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL NO PL PT RO "
    "SE SI SK SM VA".split()
    + "GF GP MQ RE YT PM BL MF NC PF WF".split()
)


FR_TERRITORIES = frozenset("FR GF GP MQ RE YT PM BL MF NC PF WF MC".split())


def bank_details_for(commune) -> BankDetails | None:
    """The commune's bank details, or None."""
    commune_id = getattr(commune, "pk", commune)
    return BankDetails.objects.select_related("rib_document").filter(commune_id=commune_id).first()


def set_bank_details(
    commune,
    *,
    by,
    iban: str,
    bic: str,
    holder: str,
    siret: str | None = None,
    rib_document=None,
    rib_file: tuple[str, bytes] | None = None,
    dossier=None,
) -> BankDetails:
    """Record or change the commune's IBAN, BIC, holder, town-hall SIRET and the RIB they are read from.

    By a porteur of the commune or finance; the RIB (``rib_document`` or a new ``rib_file``) is
    required the first time. Bad values: ``ValidationError`` per field, nothing saved. Any change voids
    the certification, clears a rejection and moves the commune's ready orders back to
    ``to_certify``; the same values again change nothing.
    """
    commune_id = getattr(commune, "pk", commune)
    role = _bank_role(by, commune_id)
    errors = {}
    try:
        iban, bic, holder = validate_bank_details(iban, bic, holder)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if siret is not None:
        siren = Commune.objects.filter(pk=commune_id).values_list("siren", flat=True).first() or ""
        try:
            siret = validate_siret(siret, siren)
        except ValidationError as exc:
            errors["siret"] = exc.messages
    upload = None
    if rib_file is not None:
        try:
            upload = checked_rib_upload(commune_id, dossier, *rib_file)
        except ValidationError as exc:
            errors["rib_file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    doc = None
    if rib_document is not None and upload is None:
        doc_id = getattr(rib_document, "pk", rib_document)
        doc = Document.objects.filter(
            pk=doc_id, kind=Document.Kind.RIB, dossier__commune_id=commune_id
        ).first()
        if doc is None:
            raise ValidationError({"rib_document": "Ce RIB n'est pas une pièce d'un dossier de la commune."})
    stored: list[str] = []
    try:
        with transaction.atomic():
            if upload is not None:
                doc = store_rib(upload, by=by, role=role, stored=stored)
            return _apply_bank_details(
                commune_id, by, role, iban=iban, bic=bic, holder=holder, siret=siret, doc=doc
            )
    except BaseException:
        delete_stored(stored)
        raise


def upload_rib(commune, *, by, name: str, data: bytes, dossier=None) -> BankDetails:
    """A new RIB for the commune's current bank details (same IBAN, BIC and holder), at any stage.

    The file is checked like every upload and filed on ``dossier`` (default: the current RIB's
    dossier, else the commune's latest), replacing the RIB there; like any change it voids the
    certification. No bank details yet: ``ValidationError`` (give them with ``set_bank_details``).
    """
    commune_id = getattr(commune, "pk", commune)
    bank = bank_details_for(commune_id)
    if bank is None:
        raise ValidationError(
            {"iban": "Indiquez d'abord l'IBAN, le BIC et le titulaire du compte, avec le RIB."}
        )
    return set_bank_details(
        commune_id,
        by=by,
        iban=bank.iban,
        bic=bank.bic,
        holder=bank.holder,
        rib_file=(name, data),
        dossier=dossier,
    )


def _bank_role(by, commune_id) -> str:
    if is_commune_porteur(by, commune_id):
        return Role.PORTEUR
    return require_role(by, Role.FINANCE)


def _locked_bank(commune_id) -> BankDetails | None:
    """The commune's bank details, locked (with their RIB), or None."""
    return (
        BankDetails.objects.select_for_update(of=("self",))
        .select_related("rib_document")
        .filter(commune_id=commune_id)
        .first()
    )


def _apply_bank_details(commune_id, by, role, *, iban, bic, holder, siret, doc) -> BankDetails:
    """The change itself (inside the caller's transaction): lock, compare, save, suspend, audit.
    ``siret`` None: keep the current one."""
    bank = _locked_bank(commune_id)
    if bank is None:
        if doc is None:
            raise ValidationError(
                {
                    "rib_document": (
                        "Joignez le RIB de la commune (PDF) : les coordonnées bancaires sont vérifiées "
                        "sur ce document."
                    )
                }
            )
        bank = BankDetails.objects.create(
            commune_id=commune_id,
            iban=iban,
            bic=bic,
            holder=holder,
            siret=siret or "",
            rib_document=doc,
            updated_by=by,
        )
        audit.append("bank_details_set", actor=by, role=role, obj=bank, payload=_bank_payload(bank))
        return bank
    before = {k: v for k, v in _bank_payload(bank).items() if k not in ("commune", "version")}
    if siret is None:
        siret = bank.siret
    if (bank.iban, bank.bic, bank.holder, bank.siret) == (iban, bic, holder, siret) and (
        doc is None or doc.pk == bank.rib_document_id
    ):
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
        "bank_details_changed",
        actor=by,
        role=role,
        obj=bank,
        payload={
            **_bank_payload(bank),
            "before": before,
            "was_certified": was_certified,
            "was_rejected": was_rejected,
            "rib_changed": before["rib_document"] != bank.rib_document_id,
            "siret_changed": before["siret"] != bank.siret,
            "suspended_orders": suspended,
        },
    )
    return bank


def reject_bank_details(commune, *, by, motivation: str) -> BankDetails:
    """Finance rejects the commune's bank details: they do not match the RIB (motivation required).

    Refused when they are certified or already rejected. The porteur reads the motivation on the
    bank-details page and is emailed (``notify_bank_rejected``, through the outbox); the commune's
    next change clears the rejection.
    """
    role = require_role(by, Role.FINANCE)
    motivation = required_motivation(
        motivation,
        "Le rejet des coordonnées bancaires exige une motivation : la commune la lira pour les corriger.",
    )
    if len(motivation) > 5000:
        raise PaymentRefused("motivation", "La motivation ne peut dépasser 5 000 caractères.")
    commune_id = getattr(commune, "pk", commune)
    with transaction.atomic():
        bank = _locked_bank(commune_id)
        if bank is None:
            raise PaymentRefused("not_found", "La commune n'a pas encore donné ses coordonnées bancaires.")
        if bank.is_certified:
            raise PaymentRefused(
                "status", "Ces coordonnées bancaires sont certifiées : elles ne peuvent plus être rejetées."
            )
        if bank.rejected_at is not None:
            raise PaymentRefused(
                "status", "Ces coordonnées bancaires sont déjà rejetées : la commune doit les corriger."
            )
        bank.rejected_at = clock.now()
        bank.rejected_by = by
        bank.rejection_reason = motivation
        bank.save(update_fields=["rejected_at", "rejected_by", "rejection_reason"])
        audit.append(
            "bank_details_rejected",
            actor=by,
            role=role,
            obj=bank,
            payload={**_bank_payload(bank), "motivation": motivation},
        )
        enqueue("fonds.payments.tasks.notify_bank_rejected", bank.pk, bank.version)
        return bank


def _suspend_orders(commune_id, by, role) -> list[str]:
    orders = list(
        PaymentOrder.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .filter(dossier__commune_id=commune_id, state=OrderState.READY)
        .order_by("pk")
    )
    for order in orders:
        order.suspend()
        order.save()
    if orders:
        audit.append_many(
            dict(
                action="payment_order_suspended",
                actor=by,
                role=role,
                obj=o,
                payload=order_payload(o, reason="bank_details_changed"),
            )
            for o in orders
        )
    return [o.reference for o in orders]


def certify_bank_details(commune, *, by) -> BankDetails:
    """Finance certifies the commune's bank details against the RIB ("service fait").

    Refused without a RIB, or when already certified for these exact values. Moves the commune's
    ``to_certify`` orders to ``ready`` (one ``payment_order_certified`` event each).
    """
    role = require_role(by, Role.FINANCE)
    commune_id = getattr(commune, "pk", commune)
    with transaction.atomic():
        bank = _locked_bank(commune_id)
        if bank is None:
            raise PaymentRefused(
                "condition",
                "La commune n'a pas encore donné ses coordonnées bancaires.",
                rules=["bank_details_missing"],
            )
        if bank.rib_document_id is None:
            raise PaymentRefused(
                "condition",
                "Aucun RIB n'est joint : les coordonnées ne peuvent être certifiées que sur pièce.",
                rules=["rib_missing"],
            )
        if bank.is_certified:
            raise PaymentRefused("status", "Ces coordonnées bancaires sont déjà certifiées.")
        bank.certified_at = clock.now()
        bank.certified_by = by
        bank.certified_fingerprint = bank.fingerprint()
        bank.rejected_at, bank.rejected_by, bank.rejection_reason = None, None, ""
        bank.save(
            update_fields=[
                "certified_at",
                "certified_by",
                "certified_fingerprint",
                "rejected_at",
                "rejected_by",
                "rejection_reason",
            ]
        )
        orders = list(
            PaymentOrder.objects.select_for_update(of=("self",))
            .select_related("dossier")
            .filter(dossier__commune_id=commune_id, state=OrderState.TO_CERTIFY, kind__in=OUTGOING_KINDS)
            .order_by("pk")
        )
        for order in orders:
            order.certify()
            order.save()
        audit.append(
            "bank_details_certified",
            actor=by,
            role=role,
            obj=bank,
            payload={**_bank_payload(bank), "orders_ready": [o.reference for o in orders]},
        )
        if orders:
            audit.append_many(
                dict(action="payment_order_certified", actor=by, role=role, obj=o, payload=order_payload(o))
                for o in orders
            )
        return bank
