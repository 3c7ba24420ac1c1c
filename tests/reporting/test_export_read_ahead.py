"""The decision export's read-ahead (``sql.read_ahead``): on PostgreSQL, outside a transaction, the
next chunk is read by a thread on its own connection; the rows are those of the sequential path.
Inside a transaction (every ``django_db`` test but ``transaction=True``) and on SQLite it falls
back to the caller's thread, which the other export tests exercise."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.instruction.models import Assessment, DossierLabel, Label, Score
from fonds.reporting import decisions, exports, sql
from tests.factories import make_campaign, make_commune, make_user

from .helpers import dossier_in


def _data():
    campaign = make_campaign()
    user = make_user("instructeur")
    urgent = Label.objects.create(campaign=campaign, name="priorité", colour="red", created_by=user)
    review = Label.objects.create(campaign=campaign, name="à revoir", colour="blue", created_by=user)
    dossiers = [
        dossier_in(status, campaign=campaign, commune=make_commune(population=500 + i))
        for i, status in enumerate(["closed", "rejected", "in_instruction", "approved", "submitted"])
    ]
    run = EligibilityRun.objects.create(dossier=dossiers[0], moment="submission", rules_version=1)
    Verdict.objects.create(run=run, code="E1", result="pass", explanation="ok")
    Score.objects.create(dossier=dossiers[0], criterion="participation", points=20, rules_version=1)
    Assessment.objects.create(dossier=dossiers[0], score_total=20, scored_criteria=1)
    for dossier in dossiers[:3]:
        DossierLabel.objects.create(dossier=dossier, label=urgent, added_by=user)
    DossierLabel.objects.create(dossier=dossiers[0], label=review, added_by=user)
    return campaign


def _threads_of_chunks(monkeypatch) -> list[str]:
    """The names of the threads that read the chunks, in order."""
    seen: list[str] = []
    real = decisions._chunks

    def chunks(*args):
        for item in real(*args):
            seen.append(threading.current_thread().name)
            yield item

    monkeypatch.setattr(decisions, "_chunks", chunks)
    return seen


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_read_ahead_thread_gives_the_rows_and_bytes_of_the_sequential_path(monkeypatch):
    qs, _ = exports.selection(campaign=_data())
    assert sql.can_read_ahead()
    seen = _threads_of_chunks(monkeypatch)
    sequential = list(decisions.iter_rows(qs, chunk_size=2))
    assert set(seen) == {threading.current_thread().name}
    seen.clear()
    ahead = list(decisions.iter_rows(qs, chunk_size=2, read_ahead=True))
    assert seen == ["fjj-read-ahead"] * 3
    assert ahead == sequential and len(ahead) == 5
    labels = decisions.columns(qs).index(decisions.Column("etiquettes", "Étiquettes (instruction)", "text"))
    assert sorted(row[labels] or "" for row in ahead)[-1] in ("priorité ; à revoir", "à revoir ; priorité")
    assert b"".join(exports.csv_stream(qs, "csv", chunk_size=2)) == b"".join(
        exports.csv_stream(qs, "csv", chunk_size=10_000)
    )
    assert "fjj-read-ahead" not in {t.name for t in threading.enumerate()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_read_ahead_stops_its_thread_when_the_reader_stops():
    qs, _ = exports.selection(campaign=_data())
    rows = decisions.iter_rows(qs, chunk_size=1, read_ahead=True)
    next(rows)
    rows.close()  # a client gone mid-download: the thread ends, its connection closed
    assert "fjj-read-ahead" not in {t.name for t in threading.enumerate()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
            "pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_read_ahead_raises_the_threads_error_in_the_caller(monkeypatch):
    qs, _ = exports.selection(campaign=_data())

    def broken(ids):
        raise RuntimeError("panne de lecture")

    monkeypatch.setattr(decisions, "_overrides", broken)
    with pytest.raises(RuntimeError, match="panne de lecture"):
        list(decisions.iter_rows(qs, chunk_size=2, read_ahead=True))
    assert "fjj-read-ahead" not in {t.name for t in threading.enumerate()}


@pytest.mark.django_db
def test_inside_a_transaction_the_rows_are_read_by_the_callers_thread(monkeypatch):
    qs, _ = exports.selection(campaign=_data())
    seen = _threads_of_chunks(monkeypatch)
    assert not sql.can_read_ahead()  # the test's transaction (and SQLite): no second connection
    rows = list(decisions.iter_rows(qs, chunk_size=2, read_ahead=True))
    assert len(rows) == 5 and seen == [threading.current_thread().name] * 3
