"""Open data: the fund's awards in the SCDL « subventions » format, schema 2.1.1
(``schemas/scdl-subventions-2.1.1.schema.json``, copied from the official repository).

One row per *award whose convention has been accepted* (the décret of 5 May 2017 publishes the
essential data of subsidy *conventions*: ``dateConvention`` is required), i.e. dossiers whose
status is agreement signed, advance paid, final report submitted, recovery pending or closed.

* attribuant and service instructeur = the fund: ``settings.FJJ_FUND_NAME`` and the SIRET
  ``settings.FJJ_SIRET`` (environment variable ``FJJ_SIRET``; the export refuses to run without a
  valid 14-digit SIRET rather than publish a false one);
* bénéficiaire = the commune: « Commune de … » and its identifier, see ``beneficiary``: the
  certified SIRET of the town hall (``BankDetails.siret``, typed by the mayor with the bank
  details and certified by finance), else the SIRET declared but not yet certified, else the
  SIREN from the commune referential — never an invented NIC. ``csv_chunks(stats=...)`` counts
  the rows of each source, ``siret_coverage`` counts them in one query for the « Contrôle » page,
  and ``manage.py export_decisions --format scdl`` prints on stderr how many rows carry no
  certified SIRET. The SIRET comes with the rows (a join to the bank details): no query per row.

CSV, UTF-8, ``,`` separator, decimal point (as the SCDL requires), columns in the schema's order.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.referentiel.siret import is_valid_siret

from .formats import neutralize

SCHEMA_PATH = Path(__file__).parent / "schemas" / "scdl-subventions-2.1.1.schema.json"
AWARDED = (Status.AGREEMENT_SIGNED, Status.ADVANCE_PAID, Status.REPORT_SUBMITTED, Status.RECOVERY_PENDING, Status.CLOSED)
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
            "Export SCDL impossible : le SIRET du fonds n'est pas configuré (variable d'environnement FJJ_SIRET, 14 chiffres)."
        )
    return siret


#: where ``idBeneficiaire`` comes from
CERTIFIED, DECLARED, SIREN = "siret_certified", "siret_declared", "siren"


def beneficiary(siren: str, certified_siret: str = "", declared_siret: str = "") -> tuple[str, str]:
    """``(idBeneficiaire, source)`` of a commune; ``source`` is ``CERTIFIED``, ``DECLARED`` or ``SIREN``.

    A SIRET is the SIREN followed by the 5-digit NIC of one establishment; the commune referential
    (Etalab ``decoupage-administratif``) holds the SIREN of every commune but no NIC, so the SIRET
    of the town hall cannot be derived from it: it is captured with the bank details. The
    certified SIRET is used, else the declared one, each only if it is still a valid SIRET of this
    SIREN (``fonds.referentiel.siret``: 14 digits, SIREN prefix, checksum); otherwise the SIREN
    alone is published — never an invented NIC.
    """
    siren = (siren or "").strip()
    for siret, source in ((certified_siret, CERTIFIED), (declared_siret, DECLARED)):
        siret = (siret or "").strip()
        if siret and is_valid_siret(siret, siren):
            return siret, source
    return siren, SIREN


def siret_coverage(qs: QuerySet) -> dict[str, int]:
    """How many awards of ``qs`` would publish a certified SIRET, a declared one or the SIREN (one
    aggregate query; "certified" as in the export: bank details certified, SIRET set)."""
    has_siret = Q(commune__bank_details__siret__gt="")
    certified = Q(commune__bank_details__certified_at__isnull=False)
    counts = awards(qs).order_by().aggregate(
        total=Count("pk"),
        certified=Count("pk", filter=has_siret & certified),
        declared=Count("pk", filter=has_siret & Q(commune__bank_details__certified_at__isnull=True)),
    )
    counts["siren"] = counts["total"] - counts["certified"] - counts["declared"]
    counts["without_certified"] = counts["total"] - counts["certified"]
    return counts


def awards(qs: QuerySet) -> QuerySet:
    return qs.filter(status__in=AWARDED)


def _dates(ids: list[int]) -> dict[int, dict[str, dt.date]]:
    wanted = {"accept_agreement": "convention", "approve": "decision", "promote": "decision"}
    tz = timezone.get_default_timezone()
    found: dict[int, dict[str, dt.date]] = {}
    rows = (
        AuditEvent.objects.filter(object_type="dossiers.dossier", object_id__in=[str(i) for i in ids], action__in=list(wanted))
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


_FIELDS = ("id", "reference", "title", "commune__name", "commune__siren", "campaign__year", "campaign__name",
           "campaign__activity_end", "start_date", "end_date", "requested_amount", "approved_amount", "report_due",
           "decided_at", "commune__bank_details__siret", "commune__bank_details__certified_at")


def iter_records(qs: QuerySet) -> Iterator[dict]:
    siret = fund_siret()
    fund = settings.FJJ_FUND_NAME
    batch: list[tuple] = []

    def flush(batch):
        dates = _dates([row[0] for row in batch])
        for (pk, reference, title, commune, siren, year, campaign, activity_end, start, end, requested, approved,
             report_due, decided_at, bank_siret, bank_certified_at) in batch:
            d = dates.get(pk, {})
            convention = d.get("convention")
            if convention is None:  # no acceptance event (data imported without its trail): not publishable
                continue
            decision = d.get("decision") or (timezone.localtime(decided_at).date() if decided_at else None)
            period_end = report_due or activity_end
            # certified: the bank details carry a certification (every change clears it, see
            # fonds.payments.services) — the same test as the batches' payable_orders()
            if bank_certified_at is not None:
                id_beneficiary, source = beneficiary(siren, bank_siret)
            else:
                id_beneficiary, source = beneficiary(siren, "", bank_siret)
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
                "descriptionConditionsVersement": "Avance à l'acceptation de la convention, solde après le rapport final.",
                "datesPeriodeVersement": f"{convention.isoformat()}/{period_end.isoformat()}" if period_end and period_end >= convention else convention.isoformat(),
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


def csv_chunks(qs: QuerySet, *, flush_every: int = 2000, counter=None, stats: dict | None = None) -> Iterator[bytes]:
    """The SCDL CSV, chunk by chunk; ``stats`` (a dict) receives the number of rows per source of
    ``idBeneficiaire`` (``CERTIFIED``, ``DECLARED``, ``SIREN``)."""
    names = field_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    pending = 0
    for record in iter_records(qs):
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
    yield buffer.getvalue().encode("utf-8")
