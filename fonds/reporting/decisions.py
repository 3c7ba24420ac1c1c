"""One row per dossier for the decision exports, typed values, streamed: ``columns(qs)`` (the
scoring criteria of the selection's campaigns), ``iter_rows(qs, cols)`` (``str``, ``int``,
``Decimal``, ``date`` or ``None``), a handful of queries per ``CHUNK`` dossiers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import QuerySet

from fonds.audit.models import AuditEvent
from fonds.dossiers.states import Status
from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.eligibilite.rules import REGISTRY
from fonds.instruction import grid
from fonds.instruction.filters import REGION_NAMES
from fonds.instruction.models import DossierLabel, EligibilityOverride, Label, Score
from fonds.referentiel.models import Campaign
from fonds.referentiel.rules import default_rules

from . import extra_columns, processing_data, sql
from .processing_times import MEASURES

CHUNK = 2000
STATUS_LABELS = dict(Status.choices)
RESULT_LABELS = dict(Verdict.Result.choices)

#: stage column → the transitions whose (latest) audit event dates it
STAGES = [
    ("date_depot", "Date de dépôt", ("submit",)),
    ("date_prise_en_instruction", "Date de prise en instruction", ("start_instruction",)),
    ("date_demande_corrections", "Date de demande de corrections", ("request_corrections",)),
    ("date_fin_instruction", "Date de fin d'instruction", ("complete_instruction",)),
    ("date_inscription_comite", "Date d'inscription au comité", ("schedule",)),
    ("date_decision", "Date de décision", ("approve", "reject", "waitlist", "promote", "declare_ineligible")),
    ("date_convention", "Date d'acceptation de la convention", ("accept_agreement",)),
    ("date_avance", "Date de versement de l'avance", ("pay_advance",)),
    ("date_rapport_final", "Date de dépôt du rapport final", ("submit_report",)),
    ("date_solde", "Date du solde", ("settle",)),
    ("date_reversement", "Date du reversement", ("recover",)),
    ("date_fin", "Date de fin (retrait, caducité, classement)", ("withdraw", "lapse", "expire_corrections")),
]
_STAGE_ACTIONS = sorted(action for _, _, actions in STAGES for action in actions)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # "text", "int", "decimal", "date"


def _eligibility_codes() -> list[str]:
    return sorted(REGISTRY, key=lambda code: int(code[1:]) if code[1:].isdigit() else 999)


def criteria_codes(qs: QuerySet) -> list[tuple[str, str]]:
    """(code, label) of the scoring criteria of the campaigns in the selection, in grid order."""
    campaign_ids = set(qs.order_by().values_list("campaign_id", flat=True).distinct())
    seen: dict[str, str] = {}
    campaigns = list(Campaign.objects.filter(pk__in=campaign_ids).order_by("pk"))
    sources = [c.rules.params for c in campaigns] or [default_rules()]
    for params in sources:
        for crit in grid.criteria(params):
            seen.setdefault(crit.code, crit.label)
    return list(seen.items())


def columns(qs: QuerySet) -> list[Column]:
    cols = [
        Column("reference", "Numéro de dossier", "text"),
        Column("campagne", "Campagne", "text"),
        Column("commune", "Commune", "text"),
        Column("code_insee", "Code INSEE", "text"),
        Column("population", "Population", "int"),
        Column("departement", "Département", "text"),
        Column("region", "Région", "text"),
        Column("statut", "Statut", "text"),
        Column("statut_code", "Code du statut", "text"),
    ]
    cols += [Column(f"eligibilite_{code}", f"Éligibilité {code}", "text") for code in _eligibility_codes()]
    cols.append(Column("derogations", "Dérogations d'éligibilité", "text"))
    cols += [Column(f"note_{code}", f"Note : {label}", "int") for code, label in criteria_codes(qs)]
    cols += [
        Column("note_totale", "Note totale", "int"),
        Column("montant_demande", "Montant demandé (€)", "decimal"),
        Column("montant_propose", "Montant proposé (€)", "decimal"),
        Column("montant_accorde", "Montant accordé (€)", "decimal"),
    ]
    cols += [Column(key, label, kind) for key, label, kind in extra_columns.columns()]
    cols.append(Column("etiquettes", "Étiquettes (instruction)", "text"))
    cols += [Column(key, label, "date") for key, label, _ in STAGES]
    cols += [Column(key, label, "decimal") for key, label in processing_columns()]
    return cols


def processing_columns() -> list[tuple[str, str]]:
    """The fund's processing time per stage and overall, without the commune's waits (issue 20)."""
    unit = processing_data.unit()
    return [
        (f"delai_{key}_jours", f"Délai du fonds, {label[0].lower()}{label[1:]} ({unit})")
        for key, label in MEASURES
    ]


_DOSSIER_FIELDS = (
    "id",
    "reference",
    "campaign__name",
    "commune__name",
    "commune_id",
    "commune__population",
    "commune__departement",
    "commune__region",
    "status",
    "assessment__score_total",
    "requested_amount",
    "proposed_amount",
    "approved_amount",
)


#: each side read below sends its query and returns the function that reads its rows into a dict
Read = Callable[[], dict]


def _eligibility(ids: list[int], codes: list[str]) -> Read:
    """The verdicts ``codes`` of each dossier's latest (non-preview) eligibility run, as labels in
    the order of ``codes``, in one query: the window picks the run and the verdicts are pivoted
    in the database, one row a dossier (read as nine rows a dossier into dicts, they were about a
    fifth of the export's CPU: docs/benchmarks.md, issue 19)."""
    if not codes:
        return dict
    pivot = ", ".join(["MAX(CASE WHEN v.code = %s THEN v.result END)"] * len(codes))
    verdicts = sql.send_in(
        f"SELECT r.dossier_id, {pivot} FROM (SELECT id, dossier_id, ROW_NUMBER() OVER "
        f"(PARTITION BY dossier_id ORDER BY ran_at DESC, id DESC) AS n FROM {EligibilityRun._meta.db_table} "
        f"WHERE moment <> %s AND dossier_id {{in_ids}}) r "
        f"JOIN {Verdict._meta.db_table} v ON v.run_id = r.id WHERE r.n = 1 GROUP BY r.dossier_id",
        ids,
        [*codes, EligibilityRun.Moment.PREVIEW],
    )
    label = RESULT_LABELS.get
    return lambda: {row[0]: [label(v, v) for v in row[1:]] for row in verdicts()}  # None stays None


def _overrides(ids: list[int]) -> Read:
    rows = sql.send_in(
        f"SELECT dossier_id, code FROM {EligibilityOverride._meta.db_table} WHERE dossier_id {{in_ids}}",
        ids,
    )

    def read() -> dict[int, str]:
        found: dict[int, set] = {}
        for dossier_id, code in rows():
            found.setdefault(dossier_id, set()).add(code)
        return {k: " ".join(sorted(v)) for k, v in found.items()}

    return read


def _scores(ids: list[int], codes: list[str]) -> Read:
    """The points of each dossier for the criteria ``codes``, in their order, pivoted in the
    database like the verdicts (one row a dossier; a score is unique per criterion)."""
    if not codes:
        return dict
    pivot = ", ".join(["MAX(CASE WHEN criterion = %s THEN points END)"] * len(codes))
    rows = sql.send_in(
        f"SELECT dossier_id, {pivot} FROM {Score._meta.db_table} WHERE dossier_id {{in_ids}} "
        "GROUP BY dossier_id",
        ids,
        codes,
    )
    return lambda: {row[0]: list(row[1:]) for row in rows()}


def _stage_dates(ids: list[int]) -> Read:
    """Latest date of each stage, from the dossiers' audit events (indexed columns, no decoding),
    one row a dossier: the latest time stamp of each stage's actions, as a local date."""
    stages = ", ".join(
        sql.max_local_date(f"CASE WHEN action IN ({', '.join(['%s'] * len(actions))}) THEN created_at END")
        for _, _, actions in STAGES
    )
    every = ", ".join(["%s"] * len(_STAGE_ACTIONS))
    rows = sql.send_in(
        f"SELECT object_id, {stages} FROM {AuditEvent._meta.db_table} WHERE object_type = %s "
        f"AND action IN ({every}) AND object_id {{in_ids}} GROUP BY object_id",
        [str(i) for i in ids],
        [*(action for _, _, actions in STAGES for action in actions), "dossiers.dossier", *_STAGE_ACTIONS],
    )
    if connection.vendor == "postgresql":  # dates already (``max_local_date``)
        return lambda: {int(row[0]): list(row[1:]) for row in rows()}
    local_date = sql.local_date
    return lambda: {int(row[0]): [local_date(value) for value in row[1:]] for row in rows()}


def _labels(ids: list[int]) -> Read:
    """The names of each dossier's labels, by name, as one cell (``labels_of``'s order: name,
    then id). Raw: ``labels_of`` builds two model instances a link, half the CPU of this column."""
    rows = sql.send_in(
        f"SELECT dl.dossier_id, l.name FROM {DossierLabel._meta.db_table} dl JOIN {Label._meta.db_table} l "
        f"ON l.id = dl.label_id WHERE dl.dossier_id {{in_ids}} ORDER BY l.name, l.id",
        ids,
    )

    def read() -> dict[int, str]:
        found: dict[int, list[str]] = {}
        for dossier_id, name in rows():
            found.setdefault(dossier_id, []).append(name)
        return {k: " ; ".join(v) or None for k, v in found.items()}

    return read


def _days(value: float | None):
    return None if value is None else Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _chunks(
    qs: QuerySet, chunk_size: int, keys: set[str], elig_codes: list[str], crit_codes: list[str]
) -> Iterator[tuple]:
    """The dossiers by chunks, each with what its rows need from the other tables: ``(batch,
    verdicts, overrides, scores, stage dates, labels, extra columns, processing times)`` (the last
    three empty when ``keys`` has none of their columns; verdicts and scores: those of ``elig_codes``
    and ``crit_codes``).

    One chunk ahead: a chunk's side queries are sent in a ``sql.pipeline()``, and the previous
    chunk's rows are read and yielded inside it, so PostgreSQL runs them while this process reads
    and the caller writes that chunk (the export's time was the sum of the two:
    docs/benchmarks.md, issue 19). The caller's own queries meanwhile run in the pipeline too
    (``build_job``'s progress)."""
    extras = any(key in keys for key, _, _ in extra_columns.columns())
    delays = any(key.startswith("delai_") for key in keys)
    ahead = None
    for batch in sql.stream(qs, _DOSSIER_FIELDS, chunk_size):
        ids = [row[0] for row in batch]
        with sql.pipeline():
            reads = (
                _eligibility(ids, elig_codes),
                _overrides(ids),
                _scores(ids, crit_codes),
                _stage_dates(ids),
                _labels(ids) if "etiquettes" in keys else dict,
                extra_columns.values(ids) if extras else dict,
                processing_data.send_times(ids) if delays else dict,
            )
            if ahead is not None:
                yield _read(*ahead)
        ahead = (batch, reads)
    if ahead is not None:
        yield _read(*ahead)


def _read(batch: list[tuple], reads: tuple[Read, ...]) -> tuple:
    return (batch, *(read() for read in reads))


def iter_rows(
    qs: QuerySet,
    cols: list[Column] | None = None,
    *,
    chunk_size: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list]:
    """Typed rows in the selection's order (no header). ``cols``: ``columns(qs)``, or those less
    the extra columns, the labels or the processing times."""
    cols = cols or columns(qs)
    keys = [c.key for c in cols]
    elig_codes = [k[len("eligibilite_") :] for k in keys if k.startswith("eligibilite_")]
    crit_codes = [k[len("note_") :] for k in keys if k.startswith("note_") and k != "note_totale"]
    extra_keys = [key for key, _, _ in extra_columns.columns() if key in keys]
    with_labels = "etiquettes" in keys
    no_stages = [None] * len(STAGES)
    no_verdicts = [None] * len(elig_codes)
    no_points = [None] * len(crit_codes)
    measures = [key for key, _ in MEASURES if f"delai_{key}_jours" in keys]
    done = 0
    chunks = _chunks(qs, chunk_size, set(keys), elig_codes, crit_codes)
    for batch, elig, overrides, scores, stages, tags, extras, delays in chunks:
        for (
            pk,
            reference,
            campaign,
            commune,
            code,
            population,
            dep,
            region,
            status,
            total,
            requested,
            proposed,
            approved,
        ) in batch:
            row = [
                reference,
                campaign,
                commune,
                code,
                population,
                dep,
                REGION_NAMES.get(region, region),
                STATUS_LABELS.get(status, status),
                status,
            ]
            row += elig.get(pk, no_verdicts)
            row.append(overrides.get(pk))
            row += scores.get(pk, no_points)
            row += [total, requested, proposed, approved]
            if extra_keys:
                extra = extras.get(pk, {})
                row += [extra.get(k) for k in extra_keys]
            if with_labels:
                row.append(tags.get(pk))
            row += stages.get(pk, no_stages)
            if measures:
                days = delays[pk].days if pk in delays else {}
                row += [_days(days.get(key)) for key in measures]
            yield row
        done += len(batch)
        if progress is not None:
            progress(done)
