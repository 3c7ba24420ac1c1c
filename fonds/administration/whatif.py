"""What-if: replay draft rule parameters on the submitted dossiers of a campaign and compare with
the version each dossier follows (``Dossier.rules``: the one it was filed under, or moved to) —
how many E1–E9 verdicts flip per rule, the formula's amount per dossier, the envelope consumed by
the dossiers eligible under each — without writing anything but the job's progress and result.
The real rule functions (``fonds.eligibilite.rules``) and the real formula
(``fonds.instruction.amount``) run with the draft params: no second implementation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from django.db import transaction

from fonds import clock
from fonds.dossiers.models import BudgetLine, Document, Dossier
from fonds.eligibilite.rules import REGISTRY, chunk_context
from fonds.eligibilite.rules.base import LOADED
from fonds.instruction.amount import grant_for_dossier
from fonds.ops import outbox
from fonds.referentiel.models import Campaign, RuleSet

from .guards import AdminRefused, require_admin
from .models import WhatIfJob

CHUNK = 1000
LISTED = 500  # dossiers whose amount or eligibility changes, listed in the result at most
ZERO = Decimal("0")


def dossiers_of(campaign) -> list[int]:
    """The pks of the campaign's submitted dossiers (drafts have no verdict to flip)."""
    return list(
        Dossier.objects.filter(campaign=campaign, submitted_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


#: what E1–E9 and the formula read of a dossier (a field left out would cost one query per read:
#: the tests count the queries of a replay)
DOSSIER_FIELDS = (
    "reference",
    "status",
    "campaign_id",
    "submitted_at",
    "start_date",
    "end_date",
    "activity_days",
    "youth_ages",
    "leader_ages",
    "low_carbon",
    "distance_km",
    "nights",
    "nights_hosted",
    "requested_amount",
    "rules_version",
)


#: what E3, E6 and the formula read of a dossier's budget lines and documents, loaded as named
#: tuples (``rules.base.LOADED``): a model instance per row and Django's prefetch of them cost
#: more than the rules themselves (docs/benchmarks.md, the what-if)
RELATED_FIELDS = {
    "budget_lines": (BudgetLine, ("kind", "category", "amount", "eligible")),
    "documents": (Document, ("kind", "replaced_by_id")),
}


def _load(pks) -> list[Dossier]:
    """The dossiers ``pks`` with what the rules and the formula read: three queries."""
    dossiers = list(
        Dossier.objects.filter(pk__in=pks)
        .select_related("commune", "jumelage__partner")
        .only(*DOSSIER_FIELDS, "commune", "jumelage")
        .order_by("pk")
    )
    loaded = {dossier.pk: {name: [] for name in RELATED_FIELDS} for dossier in dossiers}
    for name, (model, fields) in RELATED_FIELDS.items():
        rows = model.objects.filter(dossier_id__in=pks).values_list("dossier_id", *fields, named=True)
        for row in rows:
            loaded[row.dossier_id][name].append(row)
    for dossier in dossiers:
        setattr(dossier, LOADED, loaded[dossier.pk])
    return dossiers


MISSING = object()


class Reads(Mapping):
    """A read-only view of rule params that logs every value read as ``(path, value)``: an
    evaluation whose reads all have the same values in the draft would give the same outcome
    (the rules and the formula are deterministic), so the replay reuses it instead of running
    the function a second time."""

    __slots__ = ("_data", "_log", "_path")

    def __init__(self, data: dict, log: list, path: tuple = ()):
        self._data, self._log, self._path = data, log, path

    def __getitem__(self, key):
        path = self._path + (key,)
        try:
            value = self._data[key]
        except KeyError:
            self._log.append((path, MISSING))
            raise
        if isinstance(value, dict):
            return Reads(value, self._log, path)
        self._log.append((path, value))
        return value

    def __iter__(self):
        self._log.append((self._path + ("__keys__",), tuple(self._data)))
        return iter(self._data)

    def __len__(self):
        return len(self._data)


def _resolve(params: dict, path: tuple):
    node = params
    for key in path:
        if key == "__keys__":
            return tuple(node)
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def same_reads(log: list, params: dict) -> bool:
    """True when every value of ``log`` reads the same in ``params``."""
    return all(_resolve(params, path) == value for path, value in log)


class Version:
    """What the rule functions read of a rule set: its params (and version)."""

    __slots__ = ("params", "version")

    def __init__(self, params, version):
        self.params, self.version = params, version


def _eligible(outcomes, params) -> bool:
    blocking = params["eligibility"].get("blocking", {})
    return not any(o.failed and blocking.get(o.code, True) for o in outcomes)


class Tally:
    """The replay's counters, filled dossier by dossier; ``as_dict`` is the stored result."""

    def __init__(self, campaign: Campaign, base: RuleSet, draft: RuleSet):
        self.campaign, self.base, self.draft = campaign, base, draft
        self.flips = {code: {"to_fail": 0, "to_pass": 0} for code in REGISTRY}
        self.eligible = {"base": 0, "draft": 0}
        self.consumed = {"base": ZERO, "draft": ZERO}
        self.changed: list[dict] = []
        self.changed_count = 0
        self.total = 0
        self.base_versions: dict[int, int] = {}  # dossiers per version they follow

    def _twice(self, func, dossier, base, **kwargs):
        """``func`` under the base params, and under the draft's unless its reads are the same."""
        log: list = []
        old = func(dossier, Version(Reads(base.params, log), base.version), **kwargs)
        new = old if same_reads(log, self.draft.params) else func(dossier, self.draft, **kwargs)
        return old, new

    def _grants(self, dossier, base):
        log: list = []
        old = grant_for_dossier(dossier, Reads(base.params, log), explain=False).grant
        if same_reads(log, self.draft.params):
            return old, old
        return old, grant_for_dossier(dossier, self.draft.params, explain=False).grant

    def add(self, dossier, at, context) -> None:
        base = self.campaign.rules_for(dossier.rules_version)  # the version the dossier follows
        self.base_versions[base.version] = self.base_versions.get(base.version, 0) + 1
        pairs = [self._twice(func, dossier, base, at=at, context=context) for func in REGISTRY.values()]
        base_out, draft_out = [old for old, _ in pairs], [new for _, new in pairs]
        flipped = []
        for old, new in zip(base_out, draft_out):
            if old.result != new.result:
                self.flips[old.code]["to_fail" if new.failed else "to_pass"] += 1
                flipped.append(old.code)
        old_grant, new_grant = self._grants(dossier, base)
        was, will = _eligible(base_out, base.params), _eligible(draft_out, self.draft.params)
        self.total += 1
        for key, ok, grant in (("base", was, old_grant), ("draft", will, new_grant)):
            if ok:
                self.eligible[key] += 1
                self.consumed[key] += grant
        if flipped or old_grant != new_grant or was != will:
            self.changed_count += 1
            if len(self.changed) < LISTED:
                self.changed.append(
                    {
                        "id": dossier.pk,
                        "reference": dossier.reference,
                        "commune": dossier.commune.name,
                        "flipped": flipped,
                        "eligible": [was, will],
                        "amount": [str(old_grant), str(new_grant)],
                    }
                )

    def as_dict(self) -> dict:
        envelope = self.campaign.envelope

        def share(value):
            return str((value * 100 / envelope).quantize(Decimal("0.1"))) if envelope else None

        return {
            "campaign": self.campaign.pk,
            "base_version": self.base.version,
            "base_versions": {str(v): n for v, n in sorted(self.base_versions.items())},
            "total": self.total,
            "flips": self.flips,
            "flipped_total": {code: f["to_fail"] + f["to_pass"] for code, f in self.flips.items()},
            "eligible": self.eligible,
            "envelope": str(envelope),
            "consumed": {k: str(v) for k, v in self.consumed.items()},
            "consumed_pct": {k: share(v) for k, v in self.consumed.items()},
            "changed_count": self.changed_count,
            "changed": self.changed,
        }


def replay(
    campaign: Campaign,
    params: dict,
    *,
    at=None,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> dict:
    """Replay ``params`` on ``campaign``'s submitted dossiers against the version each follows.
    ``progress(done)`` is called after each chunk. Reads only."""
    at = at or clock.now()
    base = campaign.rules
    draft = RuleSet(campaign=campaign, version=0, params=params)  # never saved
    tally = Tally(campaign, base, draft)
    pks = dossiers_of(campaign)
    for start in range(0, len(pks), chunk):
        dossiers = _load(pks[start : start + chunk])
        for dossier in dossiers:
            dossier.campaign = campaign  # one campaign object: its rules are read once
        context = chunk_context(dossiers, at=at)
        for dossier in dossiers:
            tally.add(dossier, at, context)
        if progress is not None:
            progress(start + len(dossiers))
    return tally.as_dict()


def start(campaign: Campaign, params: dict, *, by) -> WhatIfJob:
    """Queue a what-if job (the task runs after the commit, through the outbox)."""
    require_admin(by)
    if not isinstance(params, dict) or "eligibility" not in params:
        raise AdminRefused("condition", "Le brouillon de règles est incomplet.")
    with transaction.atomic():
        job = WhatIfJob.objects.create(
            campaign=campaign,
            base_version=campaign.rules.version,
            params=params,
            created_by=by,
            total=len(dossiers_of(campaign)),
        )
        outbox.enqueue("fonds.administration.tasks.run_whatif", job.pk)
    return job


def run_job(job_id: int) -> WhatIfJob:
    """Run a queued job (idempotent: a finished job is left as it is; a retried one restarts)."""
    job = WhatIfJob.objects.select_related("campaign").get(pk=job_id)
    if job.is_over:
        return job
    WhatIfJob.objects.filter(pk=job.pk).update(status=WhatIfJob.State.RUNNING, done=0)

    def progress(done):
        WhatIfJob.objects.filter(pk=job.pk).update(done=done)

    try:
        result = replay(job.campaign, job.params, progress=progress)
    except Exception as exc:  # the page says the job stopped; the error is kept for the operator
        WhatIfJob.objects.filter(pk=job.pk).update(
            status=WhatIfJob.State.FAILED, error=str(exc)[:2000], finished_at=clock.now()
        )
        raise
    WhatIfJob.objects.filter(pk=job.pk).update(
        status=WhatIfJob.State.FINISHED,
        result=result,
        total=result["total"],
        done=result["total"],
        finished_at=clock.now(),
    )
    job.refresh_from_db()
    return job
