"""The multi-row writes of the batched paths (``fonds.sql``): the same values as the ORM would
write, on both backends (multi-row VALUES on SQLite; UNNEST arrays and COPY on PostgreSQL)."""

import datetime as dt

import pytest

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.sql import insert_rows, update_rows
from tests.factories import make_dossier

pytestmark = pytest.mark.django_db

# what COPY's text format must escape, and what a careless array literal would break on
AWKWARD = [
    "tab\there",
    "new\nline",
    "back\\slash",
    "\\N",
    "quote \" and '",
    "{braces, comma}",
    "NULL",
    "",
    "« Œuvre » — 🇫🇷",
]


def _runs(n):
    dossier = make_dossier()
    at = clock.now()
    fields = ["dossier", "moment", "rules_version", "ran_at", "ran_by"]
    rows = [
        (dossier.pk, EligibilityRun.Moment.ON_DEMAND, i + 1, at + dt.timedelta(seconds=i), None)
        for i in range(n)
    ]
    return rows, insert_rows(EligibilityRun, fields, rows, returning=True)


def test_insert_rows_returns_the_new_ids_in_row_order():
    rows, ids = _runs(5)
    assert len(ids) == 5
    stored = {r.pk: r for r in EligibilityRun.objects.filter(pk__in=ids)}
    assert [stored[pk].rules_version for pk in ids] == [1, 2, 3, 4, 5]
    assert [stored[pk].ran_at for pk in ids] == [row[3] for row in rows]


def test_insert_rows_without_returning_stores_every_value_exactly():
    _, ids = _runs(1)
    rows = [
        (
            ids[0],
            f"E{i}",
            "fail" if i % 2 else "pass",
            bool(i % 2),
            text,
            "" if i % 3 else text,
            {"text": text, "n": i, "list": [1, None, "x"]},
        )
        for i, text in enumerate(AWKWARD)
    ]
    assert (
        insert_rows(Verdict, ["run", "code", "result", "blocking", "explanation", "how_to_fix", "data"], rows)
        == []
    )
    stored = list(
        Verdict.objects.filter(run_id=ids[0])
        .order_by("pk")
        .values_list("code", "result", "blocking", "explanation", "how_to_fix", "data")
    )
    assert stored == [row[1:] for row in rows]


def test_update_rows_sets_varying_and_constant_values_under_the_where_guard():
    dossiers = [make_dossier() for _ in range(3)]
    Dossier.objects.filter(pk=dossiers[2].pk).update(status=Status.SUBMITTED)  # no longer matches the guard
    now = clock.now()
    changes = {d.pk: {"title": f"Titre\t{AWKWARD[i]}", "updated_at": now} for i, d in enumerate(dossiers)}
    updated = update_rows(Dossier, changes, where={"status": Status.DRAFT})
    assert updated == 2
    titles = dict(Dossier.objects.filter(pk__in=changes).values_list("pk", "title"))
    assert titles[dossiers[0].pk] == "Titre\ttab\there"
    assert titles[dossiers[1].pk] == "Titre\tnew\nline"
    assert titles[dossiers[2].pk] == dossiers[2].title  # left alone by the guard
