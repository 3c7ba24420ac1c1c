"""A new RIB for the commune's bank details: checked like every upload, stored as a ``Document``
(kind ``rib``) of one of the commune's dossiers, replacing its current RIB, audited."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Sum

from fonds.dossiers.documents import check_file, file_document
from fonds.dossiers.limits import limits_for
from fonds.dossiers.models import Document, Dossier

from .models import BankDetails


@dataclass
class RibUpload:
    dossier: object
    name: str
    data: bytes
    digest: str
    sniffed: object
    limits: dict


def rib_dossier_for(commune_id, dossier=None):
    """The dossier a new RIB is filed on: ``dossier`` (if it is the commune's), else the dossier of
    the current RIB, else the commune's latest dossier; None when the commune has no dossier."""
    qs = Dossier.objects.filter(commune_id=commune_id).select_related("campaign")
    if dossier is not None:
        found = qs.filter(pk=getattr(dossier, "pk", dossier)).first()
        if found is not None:
            return found
    bank = (
        BankDetails.objects.filter(commune_id=commune_id)
        .values_list("rib_document__dossier_id", flat=True)
        .first()
    )
    if bank:
        return qs.filter(pk=bank).first()
    return qs.order_by("-created_at", "-pk").first()


def checked_rib_upload(commune_id, dossier, name: str, data: bytes) -> RibUpload:
    """The content checks of every upload (``fonds.dossiers.documents``), before any lock is taken."""
    target = rib_dossier_for(commune_id, dossier)
    if target is None:
        raise ValidationError("La commune n'a aucun dossier auquel joindre ce RIB.")
    limits = target.rules.params["uploads"]
    data = data or b""
    sniffed = check_file(data, limits, bombs=limits_for(limits))  # the campaign's limits
    return RibUpload(target, name or "rib", data, hashlib.sha256(data).hexdigest(), sniffed, limits)


def store_rib(upload: RibUpload, *, by, role: str, stored: list):
    """Store the checked RIB on its dossier (locked), replacing its current RIB; audited, inside the
    caller's transaction."""
    locked = Dossier.objects.select_for_update().get(pk=upload.dossier.pk)
    current = Document.objects.filter(dossier=locked, replaced_by__isnull=True)
    used = current.aggregate(total=Sum("size"))["total"] or 0
    previous = current.filter(kind=Document.Kind.RIB).first()
    if (
        used - (previous.size if previous else 0) + len(upload.data)
        > int(upload.limits["max_dossier_mb"]) * 1024 * 1024
    ):
        raise ValidationError(
            {"rib_file": f"Le total des pièces du dossier dépasserait {upload.limits['max_dossier_mb']} Mo."}
        )
    return file_document(
        locked,
        previous,
        by=by,
        role=role,
        kind=Document.Kind.RIB,
        name=upload.name,
        data=upload.data,
        digest=upload.digest,
        sniffed=upload.sniffed,
        stored=stored,
        via="payments.bank_details",
    )


def delete_stored(paths) -> None:
    for path in paths:  # nothing half-stored: remove the file of a rolled-back upload
        Document._meta.get_field("file").storage.delete(path)
