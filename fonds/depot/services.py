"""Front-office changes that are not plain content edits: the partnership (referential rows).

``save_partnership`` creates or updates the commune's ``PartnerTown`` and ``Jumelage`` and points
the dossier at it, in ONE transaction with the dossier row locked, with its own audit event
(``jumelage_saved``) followed by the ``update_content`` event of ``fonds.dossiers.editing``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from fonds.audit import chain as audit
from fonds.dossiers.access import can_edit
from fonds.dossiers.editing import update_content
from fonds.dossiers.models import Dossier
from fonds.referentiel.models import Jumelage, PartnerTown


def _coord(value):
    return None if value is None else format(Decimal(value).quantize(Decimal("0.000001")), "f")


def _jumelage_state(jumelage: Jumelage) -> dict:
    partner = jumelage.partner
    return {
        "partner": partner.pk,
        "name": partner.name,
        "country": partner.country,
        "latitude": _coord(partner.latitude),
        "longitude": _coord(partner.longitude),
        "kind": jumelage.kind,
        "agreement_date": jumelage.agreement_date.isoformat() if jumelage.agreement_date else None,
        "letter_of_intent": jumelage.letter_of_intent,
    }


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def save_partnership(
    dossier: Dossier,
    *,
    by,
    name: str,
    country: str,
    kind: str = Jumelage.Kind.TWINNING,
    agreement_date=None,
    letter_of_intent: bool = False,
    latitude=None,
    longitude=None,
) -> Dossier:
    """Record the partner town and the twinning of the dossier's commune, then set ``dossier.jumelage``.

    A jumelage of the commune with a partner of the same name and country is reused; otherwise the
    dossier's own jumelage is renamed in place when nothing else uses it (autosaves leave no stray
    partner towns); otherwise a new one is created. A shared partner's coordinates are only filled
    in, never changed; nothing is written when the data are those already stored.
    """
    name = " ".join((name or "").split())
    country = (country or "").strip().upper()
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("jumelage__partner")
            .get(pk=dossier.pk)
        )
        if not can_edit(by, locked):
            raise PermissionDenied("Ce dossier n'est pas modifiable dans son état actuel.")
        commune_id = locked.commune_id
        jumelage = None
        for candidate in Jumelage.objects.select_related("partner").filter(
            commune_id=commune_id, partner__country=country
        ):
            if _same_name(candidate.partner.name, name):
                jumelage = candidate
                break
        created = False
        current = locked.jumelage if locked.jumelage_id else None
        if jumelage is None and current is not None and current.commune_id == commune_id:
            used_elsewhere = Dossier.objects.filter(jumelage=current).exclude(pk=locked.pk).exists()
            shared_partner = Jumelage.objects.filter(partner=current.partner).exclude(pk=current.pk).exists()
            if not used_elsewhere and not shared_partner:
                jumelage = current
        before = _jumelage_state(jumelage) if jumelage is not None else None
        if jumelage is None:
            partner = PartnerTown(name=name, country=country, latitude=latitude, longitude=longitude)
            partner.full_clean()
            partner.save()
            jumelage = Jumelage(commune_id=commune_id, partner=partner)
            created = True
        else:
            partner = jumelage.partner
            partner_shared = Jumelage.objects.filter(partner=partner).exclude(commune_id=commune_id).exists()
            partner.name, partner.country = (
                (partner.name if _same_name(partner.name, name) else name),
                country,
            )
            if (
                latitude is not None
                and longitude is not None
                and (not partner_shared or partner.latitude is None)
            ):
                partner.latitude, partner.longitude = latitude, longitude
            elif latitude is None and longitude is None and not partner_shared:
                partner.latitude = partner.longitude = None
            partner.full_clean()
            partner.save()
        jumelage.kind = kind or Jumelage.Kind.TWINNING
        jumelage.agreement_date = agreement_date
        jumelage.letter_of_intent = bool(letter_of_intent)
        jumelage.full_clean()
        jumelage.save()
        after = _jumelage_state(jumelage)
        if created or after != before:
            audit.append(
                "jumelage_saved",
                actor=by,
                role="porteur",
                obj=jumelage,
                payload={
                    "reference": locked.reference,
                    "dossier": locked.pk,
                    "commune": commune_id,
                    "jumelage": jumelage.pk,
                    "created": created,
                    "before": before,
                    "after": after,
                },
            )
        return update_content(locked, by=by, fields={"jumelage": jumelage})
