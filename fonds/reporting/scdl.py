"""Open data: the fund's awards in the SCDL « subventions » 2.1.1 format, one row per award whose
convention was accepted. The beneficiary's identifier is the town hall's certified SIRET, else
the declared one; a row with neither is held back and listed for completion, never published
with a false identifier. The export refuses to run without the fund's SIRET.
Details: docs/stages.md (SCDL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, QuerySet
from django.utils import timezone

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.referentiel.siret import is_valid_siret, siret_error

from .formats import neutralize

SCHEMA_PATH = Path(__file__).parent / "schemas" / "scdl-subventions-2.1.1.schema.json"
AWARDED = (
    Status.AGREEMENT_SIGNED,
    Status.ADVANCE_PAID,
    Status.REPORT_SUBMITTED,
    Status.RECOVERY_PENDING,
    Status.CLOSED,
)
SIRET_RE = re.compile(r"^\d{14}$")
CHUNK = 2000
SOURCE_KEY = "_source_idBeneficiaire"


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def field_names() -> list[str]:
    return [f["name"] for f in schema()["fields"]]


def fund_siret() -> str:
    siret = str(getattr(settings, "FJJ_SIRET", "") or "").strip()
    if not SIRET_RE.match(siret):
        raise ImproperlyConfigured(
            "Export SCDL impossible : le SIRET du fonds n'est pas configuré (variable d'environnement "
            "FJJ_SIRET, 14 chiffres)."
        )
    return siret


#: where ``idBeneficiaire`` comes from; HELD_BACK: nowhere — the row is not published
CERTIFIED, DECLARED, HELD_BACK = "siret_certified", "siret_declared", "held_back"
SOURCES = (CERTIFIED, DECLARED, HELD_BACK)
#: the key of ``stats`` (see ``csv_chunks``) listing the held-back rows, as ``HeldBack.as_dict()``
HELD_BACK_ROWS = "held_back_rows"


def beneficiary(siren: str, certified_siret: str = "", declared_siret: str = "") -> tuple[str, str]:
    """``(idBeneficiaire, source)`` of a commune; ``source`` is ``CERTIFIED``, ``DECLARED`` or
    ``HELD_BACK`` (``idBeneficiaire`` then ``""``: the row must not be published). The town hall's
    SIRET cannot be derived from the commune's SIREN (no NIC in the referential): it comes with the
    bank details, certified else declared, each only if a valid SIRET of this SIREN — never the
    SIREN alone, never an invented NIC."""
    siren = (siren or "").strip()
    for siret, source in ((certified_siret, CERTIFIED), (declared_siret, DECLARED)):
        siret = (siret or "").strip()
        if siret and is_valid_siret(siret, siren):
            return siret, source
    return "", HELD_BACK


def _source_of(siren, bank_siret, bank_certified_at) -> tuple[str, str]:
    """``beneficiary`` on a row's bank details: certified means the details carry a certification
    (every change clears it, see fonds.payments.bank) — the same test as the batches'
    ``payable_orders()``."""
    if bank_certified_at is not None:
        return beneficiary(siren, bank_siret)
    return beneficiary(siren, "", bank_siret)


@dataclass(frozen=True)
class HeldBack:
    """An award kept out of the open data for want of a valid SIRET, and what must be completed."""

    dossier_id: int
    reference: str
    commune_code: str
    commune_name: str
    has_bank_details: bool
    siret: str  # what was typed, if anything
    siren: str = ""

    @property
    def reason(self) -> str:
        if not self.has_bank_details:
            return "aucune coordonnée bancaire : la commune saisit le SIRET de sa mairie avec elles"
        if not self.siret:
            return "SIRET de la mairie non saisi avec les coordonnées bancaires"
        return "SIRET saisi invalide : " + siret_error(self.siret, self.siren).rstrip(".")

    def as_dict(self) -> dict:
        return {"reference": self.reference, "commune": self.commune_code, "commune_name": self.commune_name}


@dataclass
class SiretCoverage:
    """The awards of a selection by source of ``idBeneficiaire``, and those held back."""

    certified: int = 0
    declared: int = 0
    held_back: list = field(default_factory=list)  # [HeldBack], by reference

    @property
    def total(self) -> int:
        return self.certified + self.declared + len(self.held_back)


_COVERAGE_FIELDS = (
    "pk",
    "reference",
    "commune_id",
    "commune__name",
    "commune__siren",
    "commune__bank_details__pk",
    "commune__bank_details__siret",
    "commune__bank_details__certified_at",
)


def siret_coverage(qs: QuerySet) -> SiretCoverage:
    """How many awards of ``qs`` publish a certified SIRET or a declared one, and which are held
    back (one query; the SIRET rules are checked in Python, as by the export)."""
    coverage = SiretCoverage()
    rows = awards(qs).order_by("reference").values_list(*_COVERAGE_FIELDS)
    for pk, reference, code, name, siren, bank_pk, bank_siret, certified_at in rows.iterator(CHUNK):
        _, source = _source_of(siren, bank_siret, certified_at)
        if source == CERTIFIED:
            coverage.certified += 1
        elif source == DECLARED:
            coverage.declared += 1
        else:
            row = HeldBack(pk, reference, code, name, bank_pk is not None, bank_siret or "", siren or "")
            coverage.held_back.append(row)
    return coverage


def awards(qs: QuerySet) -> QuerySet:
    return qs.filter(status__in=AWARDED)


def _dates(ids: list[int]) -> dict[int, dict[str, dt.date]]:
    wanted = {"accept_agreement": "convention", "approve": "decision", "promote": "decision"}
    tz = timezone.get_default_timezone()
    found: dict[int, dict[str, dt.date]] = {}
    rows = (
        AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id__in=[str(i) for i in ids], action__in=list(wanted)
        )
        .values_list("object_id", "action")
        .annotate(last=Max("created_at"))
        .order_by()
    )
    for object_id, action, last in rows:
        key = wanted[action]
        day = timezone.localtime(last, tz).date()
        current = found.setdefault(int(object_id), {}).get(key)
        if current is None or day > current:
            found[int(object_id)][key] = day
    return found


_FIELDS = (
    "id",
    "reference",
    "title",
    "commune__name",
    "commune__siren",
    "campaign__year",
    "campaign__name",
    "campaign__activity_end",
    "start_date",
    "end_date",
    "requested_amount",
    "approved_amount",
    "report_due",
    "decided_at",
    "commune__bank_details__siret",
    "commune__bank_details__certified_at",
    "commune_id",
    "commune__bank_details__pk",
)


def iter_records(qs: QuerySet, *, held_back: list | None = None) -> Iterator[dict]:
    """The SCDL records of the publishable awards of ``qs``; an award without a valid SIRET is not
    yielded but appended to ``held_back`` (a list, when given) as a ``HeldBack``."""
    siret = fund_siret()
    fund = settings.FJJ_FUND_NAME
    batch: list[tuple] = []

    def flush(batch):
        dates = _dates([row[0] for row in batch])
        for (
            pk,
            reference,
            title,
            commune,
            siren,
            year,
            campaign,
            activity_end,
            start,
            end,
            requested,
            approved,
            report_due,
            decided_at,
            bank_siret,
            bank_certified_at,
            commune_code,
            bank_pk,
        ) in batch:
            d = dates.get(pk, {})
            convention = d.get("convention")
            if convention is None:  # no acceptance event (data imported without its trail): not publishable
                continue
            decision = d.get("decision") or (timezone.localtime(decided_at).date() if decided_at else None)
            period_end = report_due or activity_end
            id_beneficiary, source = _source_of(siren, bank_siret, bank_certified_at)
            if source == HELD_BACK:  # never published with another identifier: listed for completion
                if held_back is not None:
                    held_back.append(
                        HeldBack(
                            pk,
                            reference,
                            commune_code,
                            commune,
                            bank_pk is not None,
                            bank_siret or "",
                            siren or "",
                        )
                    )
                continue
            yield {
                "idSubvention": reference,
                "nomAttribuant": fund,
                "idAttribuant": siret,
                "nomServiceInstructeur": fund,
                "idServiceInstructeur": siret,
                "nomBeneficiaire": f"Commune de {commune}",
                "idBeneficiaire": id_beneficiary,
                "exerciceBudgetaire": year,
                "pluriannualite": "non",
                "dateDecision": decision,
                "dateConvention": convention,
                "referenceDecision": reference,
                "dateDebut": start,
                "dateFin": end,
                "dispositif": "Fonds Jumelages Jeunesse",
                "sousDispositif": campaign,
                "statutLabel": "attribuée",
                "objet": title[:256],
                "nature": "aide en numéraire",
                "montantDemande": requested,
                "montant": approved,
                "conditionsVersement": "échelonné",
                "descriptionConditionsVersement": (
                    "Avance à l'acceptation de la convention, solde après le rapport final."
                ),
                "datesPeriodeVersement": f"{convention.isoformat()}/{period_end.isoformat()}"
                if period_end and period_end >= convention
                else convention.isoformat(),
                "notificationUE": "non",
                "pourcentageSubvention": Decimal("1"),
                SOURCE_KEY: source,  # not a column: counted by csv_chunks(stats=...)
            }

    for row in awards(qs).values_list(*_FIELDS).iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            yield from flush(batch)
            batch = []
    if batch:
        yield from flush(batch)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, int)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return neutralize(str(value))


def csv_chunks(
    qs: QuerySet, *, flush_every: int = 2000, counter=None, stats: dict | None = None
) -> Iterator[bytes]:
    """The SCDL CSV, chunk by chunk; ``stats`` (a dict) receives the number of rows per source of
    ``idBeneficiaire`` (``CERTIFIED``, ``DECLARED``, and ``HELD_BACK``: not in the file) and,
    under ``HELD_BACK_ROWS``, the held-back rows (``HeldBack``) by reference."""
    names = field_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    pending = 0
    held_back: list = []
    for record in iter_records(qs, held_back=held_back):
        writer.writerow([_cell(record.get(name)) for name in names])
        pending += 1
        if stats is not None:
            stats[record[SOURCE_KEY]] = stats.get(record[SOURCE_KEY], 0) + 1
        if counter is not None:
            counter.count += 1
        if pending >= flush_every:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if stats is not None:
        stats[HELD_BACK] = len(held_back)
        stats[HELD_BACK_ROWS] = sorted(held_back, key=lambda row: row.reference)
    yield buffer.getvalue().encode("utf-8")
