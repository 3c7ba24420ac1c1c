"""Open data: the fund's awards in the SCDL « subventions » format, schema 2.1.1
(``schemas/scdl-subventions-2.1.1.schema.json``, copied from the official repository).

One row per *award whose convention has been accepted* (the décret of 5 May 2017 publishes the
essential data of subsidy *conventions*: ``dateConvention`` is required), i.e. dossiers whose
status is agreement signed, advance paid, final report submitted, recovery pending or closed.

* attribuant and service instructeur = the fund: ``settings.FJJ_FUND_NAME`` and the SIRET
  ``settings.FJJ_SIRET`` (environment variable ``FJJ_SIRET``; the export refuses to run without a
  valid 14-digit SIRET rather than publish a false one);
* bénéficiaire = the commune: « Commune de … » and its identifier, see ``beneficiary_id``.

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
from django.db.models import Max, QuerySet
from django.utils import timezone

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status

from .formats import neutralize

SCHEMA_PATH = Path(__file__).parent / "schemas" / "scdl-subventions-2.1.1.schema.json"
AWARDED = (Status.AGREEMENT_SIGNED, Status.ADVANCE_PAID, Status.REPORT_SUBMITTED, Status.RECOVERY_PENDING, Status.CLOSED)
SIRET_RE = re.compile(r"^\d{14}$")
CHUNK = 2000


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


def beneficiary_id(siren: str, siret: str = "") -> str:
    """The commune's identifier for ``idBeneficiaire``.

    A SIRET is the SIREN followed by the 5-digit NIC of one establishment; the commune referential
    (Etalab ``decoupage-administratif``) holds the SIREN of every commune but no NIC, so the SIRET
    of the town hall cannot be derived from it. A known SIRET (``siret``, 14 digits beginning
    with the SIREN) is used; otherwise the SIREN alone is published — never an invented NIC.
    """
    siret = (siret or "").strip()
    if SIRET_RE.match(siret) and (not siren or siret.startswith(siren)):
        return siret
    return siren or ""


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
           "decided_at")


def iter_records(qs: QuerySet) -> Iterator[dict]:
    siret = fund_siret()
    fund = settings.FJJ_FUND_NAME
    batch: list[tuple] = []

    def flush(batch):
        dates = _dates([row[0] for row in batch])
        for (pk, reference, title, commune, siren, year, campaign, activity_end, start, end, requested, approved,
             report_due, decided_at) in batch:
            d = dates.get(pk, {})
            convention = d.get("convention")
            if convention is None:  # no acceptance event (data imported without its trail): not publishable
                continue
            decision = d.get("decision") or (timezone.localtime(decided_at).date() if decided_at else None)
            period_end = report_due or activity_end
            yield {
                "idSubvention": reference,
                "nomAttribuant": fund,
                "idAttribuant": siret,
                "nomServiceInstructeur": fund,
                "idServiceInstructeur": siret,
                "nomBeneficiaire": f"Commune de {commune}",
                "idBeneficiaire": beneficiary_id(siren),
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


def csv_chunks(qs: QuerySet, *, flush_every: int = 2000, counter=None) -> Iterator[bytes]:
    names = field_names()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    pending = 0
    for record in iter_records(qs):
        writer.writerow([_cell(record.get(name)) for name in names])
        pending += 1
        if counter is not None:
            counter.count += 1
        if pending >= flush_every:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")
