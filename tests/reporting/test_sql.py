"""``fonds.reporting.sql``: the ids of ``send_in`` / ``in_ids`` as one array parameter."""

from __future__ import annotations

import pytest

from fonds.dossiers.models import Dossier
from fonds.reporting import sql
from tests.factories import make_dossier


def test_ids_of_digits_go_as_the_arrays_literal_others_as_a_list():
    assert sql._array([3, 1, -2]) == "{3,1,-2}"
    assert sql._array(["12", "7"]) == "{12,7}"
    assert sql._array(["1,2", "3"]) == ["1,2", "3"]  # a comma would split the literal
    assert sql._array(["", "3"]) == ["", "3"]
    assert sql._array([True, 2]) == [True, 2]


@pytest.mark.django_db
def test_send_in_and_in_ids_find_the_same_rows_by_number_and_by_text():
    first, second, _ = make_dossier(), make_dossier(), make_dossier()
    table = Dossier._meta.db_table
    by_number = sql.send_in(
        f"SELECT id FROM {table} WHERE id {{in_ids}} ORDER BY id", [second.pk, first.pk]
    )()
    assert by_number == [(first.pk,), (second.pk,)]
    as_text = f"SELECT id FROM {table} WHERE CAST(id AS TEXT) {{in_ids}} ORDER BY id"
    assert sql.send_in(as_text, [str(second.pk), "x,y"])() == [(second.pk,)]
    found = Dossier.objects.filter(pk__in=sql.in_ids([first.pk, second.pk])).order_by("pk")
    assert list(found.values_list("pk", flat=True)) == [first.pk, second.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("pipelined", [True, False], ids=["pipeline", "no-pipeline"])
def test_queries_sent_in_a_pipeline_are_read_after_it_in_their_order(pipelined, monkeypatch):
    """``send_in`` inside ``pipeline()``: each query's rows, read after the block or inside the
    next one; a libpq without pipeline mode (or SQLite) runs each query when sent."""
    if not pipelined:
        monkeypatch.setattr(sql.Pipeline, "is_supported", classmethod(lambda cls: False))
    first, second = make_dossier(), make_dossier()
    table = Dossier._meta.db_table
    query = f"SELECT id FROM {table} WHERE id {{in_ids}} ORDER BY id"
    with sql.pipeline():
        both = sql.send_in(query, [second.pk, first.pk])
        one = sql.send_in(query, [second.pk])
        none = sql.send_in(query, [])
    with sql.pipeline():
        later = sql.send_in(query, [first.pk])
        assert (both(), one(), none()) == ([(first.pk,), (second.pk,)], [(second.pk,)], [])
    assert later() == [(first.pk,)]


@pytest.mark.django_db
def test_send_values_reads_a_values_query_later_and_an_empty_one_as_no_rows():
    first, second = make_dossier(), make_dossier()
    with sql.pipeline():
        both = sql.send_values(
            Dossier.objects.filter(pk__in=sql.in_ids([second.pk, first.pk])).values_list("pk")
        )
        none = sql.send_values(Dossier.objects.filter(pk__in=[]).values_list("pk"))
    assert sorted(both()) == [(first.pk,), (second.pk,)] and none() == []
