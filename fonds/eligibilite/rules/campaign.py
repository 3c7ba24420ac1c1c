"""E7 (one live dossier per commune and campaign), E8 (no overdue final report), E9 (inside the
submission window), and what E7 and E8 read for many dossiers at once (``chunk_context``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from fonds.dossiers.models import WITHDRAWABLE, Dossier
from fonds.dossiers.states import Status
from fonds.formats import short_date

from .base import FAIL, PASS, Outcome, local_date, rule, submission_moment

# ---- E7 — one live dossier per commune and campaign -----------------------------------------------

#: the only statuses of another dossier that do not block (E7): a draft (a forgotten draft must not
#: stop the commune), a dossier withdrawn, closed without follow-up (classé sans suite), declared
#: ineligible (irrecevable) or closed (soldé). **Every other status blocks**, including the ones
#: added later (written as an exclusion on purpose): in progress, in committee, approved,
#: waitlisted, rejected, lapsed, renounced… — one decision per commune and campaign.
E7_NON_BLOCKING = frozenset(
    {
        Status.DRAFT,
        Status.WITHDRAWN,
        Status.CLOSED_WITHOUT_FOLLOW_UP,
        Status.INELIGIBLE,
        Status.CLOSED,
    }
)
E7_NOT_COUNTED = sorted(E7_NON_BLOCKING)  # for ``.exclude(status__in=…)``
E7_E8_LISTED = 10  # other dossiers named in an E7 / E8 verdict, at most


def status_text(value: str) -> str:
    """The French label of a status, lower case (the raw code for a status this module does not know)."""
    try:
        return Status(value).label.lower()
    except ValueError:
        return str(value)


def e7_blocking(commune_id, campaign_id, *, exclude_pk=None) -> list[tuple[str, str]]:
    """``(reference, status)`` of the dossiers of ``commune_id`` in ``campaign_id`` that block
    another one (E7), oldest first, at most ``E7_E8_LISTED``. One query."""
    qs = Dossier.objects.filter(commune_id=commune_id, campaign_id=campaign_id)
    qs = qs.exclude(status__in=E7_NOT_COUNTED)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.order_by("id").values_list("reference", "status")[:E7_E8_LISTED])


def e7_texts(others: list[tuple[str, str]]) -> tuple[str, str]:
    """``(explanation, how_to_fix)`` in French for the blocking dossiers ``others`` (E7's verdict,
    the « Nouveau dossier » gate of the front office and of the API)."""
    refs = ", ".join(f"{ref} ({status_text(st)})" for ref, st in others)
    explanation = (
        f"Votre commune a déjà un dossier dans cet appel à projets : {refs}. "
        "Un seul dossier par commune et par appel à projets (un dossier brouillon, retiré, "
        "classé sans suite, irrecevable ou soldé ne compte pas)."
    )
    if all(st in WITHDRAWABLE for _, st in others):
        how_to_fix = (
            "Complétez le dossier déjà déposé (par une demande de corrections) "
            "ou retirez-le avant d'en déposer un autre."
        )
    else:
        how_to_fix = (
            "Ce dossier est ou sera décidé par le comité de cet appel à projets : une seule décision "
            "par commune et par appel à projets. Vous pourrez présenter un nouveau projet au prochain "
            "appel à projets."
        )
    return explanation, how_to_fix


@rule("E7")
def e7_single_live_dossier(dossier, ruleset, *, at, context=None) -> Outcome:
    """E7: no *other* dossier of the same commune in the same campaign whose status blocks, i.e.
    any status outside ``E7_NON_BLOCKING`` (draft, withdrawn, closed without follow-up, ineligible,
    closed). The first dossier submitted wins; a second one is blocked until the first is
    withdrawn — and for good once the first has been decided (approved, rejected, lapsed…).
    """
    live = None if context is None else context.live_dossiers(dossier)
    if live is not None:  # the chunk's rows (same filter, same order), this dossier left out
        others = [(ref, st) for pk, ref, st in live if pk != dossier.pk][:E7_E8_LISTED]
    else:
        others = e7_blocking(dossier.commune_id, dossier.campaign_id, exclude_pk=dossier.pk)
    data = {"other_live_dossiers": [{"reference": ref, "status": st} for ref, st in others]}
    if others:
        explanation, how_to_fix = e7_texts(others)
        return Outcome("E7", FAIL, explanation, how_to_fix, data)
    ok = "Aucun autre dossier en cours ou décidé de la commune dans cet appel à projets."
    return Outcome("E7", PASS, ok, "", data)


# ---- E8 — no overdue final report -----------------------------------------------------------------


@rule("E8")
def e8_no_overdue_report(dossier, ruleset, *, at, context=None) -> Outcome:
    """E8: no dossier of the same commune in *another* campaign of the fund whose final report
    is overdue, i.e. status ``advance_paid`` (report not yet filed) and ``report_due`` strictly
    before the date of ``at``. A report due today is not yet late; an ``advance_paid`` dossier
    without a due date is not counted (nothing to be late against).
    """
    today = local_date(at)
    overdue = None if context is None else context.overdue_reports(dossier, today)
    if overdue is not None:  # the chunk's rows (same filter, same order), this campaign left out
        late = [(ref, due) for ref, due, campaign_id in overdue if campaign_id != dossier.campaign_id][
            :E7_E8_LISTED
        ]
    else:
        late = list(
            Dossier.objects.filter(
                commune_id=dossier.commune_id, status=Status.ADVANCE_PAID, report_due__lt=today
            )
            .exclude(campaign_id=dossier.campaign_id)
            .order_by("report_due", "id")
            .values_list("reference", "report_due")[:E7_E8_LISTED]
        )
    data = {
        "date": today.isoformat(),
        "overdue_reports": [{"reference": ref, "report_due": due.isoformat()} for ref, due in late],
    }
    if late:
        refs = ", ".join(f"{ref} (attendu le {short_date(due)})" for ref, due in late)
        return Outcome(
            "E8",
            FAIL,
            f"Le rapport final d'un projet précédent n'a pas été remis à temps : {refs}.",
            "Déposez d'abord le rapport final du projet précédent dans son dossier ; vous pourrez ensuite "
            "déposer ce nouveau dossier.",
            data,
        )
    return Outcome("E8", PASS, "Aucun rapport final en retard pour la commune.", "", data)


# ---- E9 — inside the submission window --------------------------------------------------------------


@rule("E9")
def e9_submission_window(dossier, ruleset, *, at, context=None) -> Outcome:
    """E9: the campaign is ready to open (a clone's checklist complete) and the submission moment
    lies inside ``campaign.opens_at``..``closes_at`` (both inclusive). The submission moment is
    ``dossier.submitted_at`` once submitted, else ``at`` (now, for a draft being previewed or
    being submitted).
    """
    campaign = dossier.campaign
    moment = submission_moment(dossier, at)
    data = {
        "moment": moment.isoformat(),
        "opens_at": campaign.opens_at.isoformat(),
        "closes_at": campaign.closes_at.isoformat(),
    }
    fmt = "%d/%m/%Y à %H:%M"
    opens, closes = timezone.localtime(campaign.opens_at), timezone.localtime(campaign.closes_at)
    if not campaign.ready_to_open:  # a cloned campaign whose preparation is not finished
        return Outcome(
            "E9",
            FAIL,
            "L'appel à projets n'est pas encore ouvert aux dépôts : sa préparation n'est pas terminée.",
            "Enregistrez votre brouillon ; vous pourrez le déposer dès l'ouverture de l'appel à projets.",
            data,
        )
    if moment < campaign.opens_at:
        return Outcome(
            "E9",
            FAIL,
            f"L'appel à projets n'est pas encore ouvert : les dépôts commencent le {opens.strftime(fmt)}.",
            f"Enregistrez votre brouillon et déposez-le à partir du {opens.strftime(fmt)}.",
            data,
        )
    if moment > campaign.closes_at:
        return Outcome(
            "E9",
            FAIL,
            f"L'appel à projets est clos depuis le {closes.strftime(fmt)}.",
            "Les dépôts ne sont plus possibles pour cet appel à projets ; vous pourrez présenter votre "
            "projet au prochain appel.",
            data,
        )
    return Outcome("E9", PASS, f"Dépôt dans les délais (clôture le {closes.strftime(fmt)}).", "", data)


# ---- what E7 and E8 read, for many dossiers at once --------------------------------------------------


@dataclass
class ChunkContext:
    """The rows E7 and E8 need for a set of dossiers, one query each. ``live``: per (commune,
    campaign), the dossiers E7 counts as ``(pk, reference, status)`` by pk, the dossier itself
    included; ``overdue``: per commune, the ``advance_paid`` dossiers whose report was due before
    ``today`` as ``(reference, report_due, campaign_id)``, every campaign included."""

    today: dt.date
    live: dict = field(default_factory=dict)
    overdue: dict = field(default_factory=dict)

    def live_dossiers(self, dossier):
        """E7's rows for ``dossier``, or None when this context was not built for it."""
        return self.live.get((dossier.commune_id, dossier.campaign_id))

    def overdue_reports(self, dossier, today: dt.date):
        """E8's rows for ``dossier`` at ``today``, or None when not built for it / that date."""
        if today != self.today:
            return None
        return self.overdue.get(dossier.commune_id)


def _slices(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def chunk_context(dossiers, *, at) -> ChunkContext:
    """What E7 and E8 read for ``dossiers`` (saved ones), in one query each (per 500 communes):
    the counted dossiers of their communes in their campaigns, and the overdue reports of their
    communes. Same filters and orders as the rules' own queries."""
    dossiers = [d for d in dossiers if d.pk is not None]
    context = ChunkContext(today=local_date(at))
    pairs = {(d.commune_id, d.campaign_id) for d in dossiers}
    communes = sorted({c for c, _ in pairs})
    campaigns = sorted({c for _, c in pairs})
    for commune_id, campaign_id in pairs:
        context.live[(commune_id, campaign_id)] = []
    for commune_id in communes:
        context.overdue[commune_id] = []
    for part in _slices(communes):
        rows = (
            Dossier.objects.filter(commune_id__in=part, campaign_id__in=campaigns)
            .exclude(status__in=E7_NOT_COUNTED)
            .order_by("id")
            .values_list("commune_id", "campaign_id", "id", "reference", "status")
        )
        for commune_id, campaign_id, pk, ref, st in rows:
            bucket = context.live.get((commune_id, campaign_id))
            if bucket is not None:  # the IN × IN product also brings pairs nobody asked for
                bucket.append((pk, ref, st))
        rows = (
            Dossier.objects.filter(
                commune_id__in=part, status=Status.ADVANCE_PAID, report_due__lt=context.today
            )
            .order_by("report_due", "id")
            .values_list("commune_id", "reference", "report_due", "campaign_id")
        )
        for commune_id, ref, due, campaign_id in rows:
            context.overdue[commune_id].append((ref, due, campaign_id))
    return context
