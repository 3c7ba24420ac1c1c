"""The instructors' list at scale: the commune copies on the dossier stay equal to the commune's on
every write path, the list gives the same dossiers in the same order as the join it replaces, and a
page costs the same number of queries whatever its size and number."""

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse

from fonds.dossiers import commune_copy
from fonds.dossiers.models import Dossier
from fonds.instruction.filters import SORTS, filter_dossiers
from fonds.instruction.views.lists import Page
from fonds.referentiel.models import Commune
from fonds.ui.pagination import page_rows
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


def _copies(dossier):
    return Dossier.objects.filter(pk=dossier.pk).values_list("commune_name", "commune_population").get()


# ---- the copies --------------------------------------------------------------------------------


def test_commune_copy_set_when_a_dossier_is_created():
    commune = make_commune(population=1234, name="Saint-Jean")
    dossier = make_dossier(commune=commune, complete=False)
    assert (dossier.commune_name, dossier.commune_population) == ("Saint-Jean", 1234)
    assert _copies(dossier) == ("Saint-Jean", 1234)


def test_commune_copy_corrected_by_the_database_on_bulk_create_with_wrong_values():
    base = make_dossier(complete=False)
    commune = make_commune(population=640, name="Oust")
    [row] = Dossier.objects.bulk_create(
        [
            Dossier(
                reference="FJJ-BULK-1",
                campaign=base.campaign,
                commune=commune,
                created_by=base.created_by,
                title="x",
                commune_name="Faux nom",
                commune_population=999999,
            ),
        ]
    )
    assert _copies(row) == ("Oust", 640)


def test_commune_copy_cannot_be_written_by_an_update():
    dossier = make_dossier(complete=False, commune=make_commune(population=321, name="Aas"))
    Dossier.objects.filter(pk=dossier.pk).update(commune_name="Zzz", commune_population=1)
    assert _copies(dossier) == ("Aas", 321)
    dossier.commune_name, dossier.commune_population = "Zzz", 1
    dossier.save()  # a full save of a stale instance
    assert _copies(dossier) == ("Aas", 321)


def test_commune_copy_follows_the_commune_renamed_or_recounted_by_an_import():
    commune = make_commune(population=900, name="Ancien nom")
    dossiers = [make_dossier(commune=commune, complete=False, campaign=make_campaign()) for _ in range(2)]
    other = make_dossier(complete=False)
    Commune.objects.filter(pk=commune.pk).update(name="Nouveau nom", population=3600)  # the importer's UPDATE
    assert [_copies(d) for d in dossiers] == [("Nouveau nom", 3600)] * 2
    commune.refresh_from_db()
    commune.population = None
    commune.save()
    assert [_copies(d) for d in dossiers] == [("Nouveau nom", None)] * 2
    assert _copies(other) == (other.commune.name, other.commune.population)


def test_commune_copy_triggers_put_back_after_a_table_rebuild():
    dossier = make_dossier(complete=False, commune=make_commune(population=77, name="Bez"))
    commune_copy.remove(connection)  # what an SQLite table rebuild does to them
    assert not commune_copy.installed(connection)
    Dossier.objects.filter(pk=dossier.pk).update(commune_name="Perdu")
    commune_copy.post_migrate(sender=None, using="default")  # run after every migrate
    assert commune_copy.installed(connection) and _copies(dossier) == ("Bez", 77)
    assert commune_copy.ensure(connection) is False


# ---- same results as the join on the commune -------------------------------------------------------

#: the list's sorts as they were written on the joined commune (the reference)
JOINED = {
    "commune": ["commune__name", "pk"],
    "population": [F("commune__population").asc(nulls_last=True), "pk"],
    "-score": [
        F("assessment__score_total").desc(nulls_last=True),
        F("commune__population").asc(nulls_last=True),
        "pk",
    ],
}


@pytest.fixture
def spread(db):
    """Dossiers of communes with equal names, equal and unknown populations, in several statuses."""
    campaign = make_campaign()
    communes = [
        make_commune(name="Mont", population=500),
        make_commune(name="Mont", population=500),
        make_commune(name="Arles", population=None),
        make_commune(name="Été", population=3400),
        make_commune(name="ete", population=1500),
        make_commune(name="Zoza", population=80),
    ]
    made = []
    for i in range(24):
        made.append(
            make_dossier(
                campaign=campaign,
                commune=communes[i % len(communes)],
                complete=False,
                title=f"Projet {i:02d}",
            )
        )
    Dossier.objects.filter(pk__in=[d.pk for d in made[::3]]).update(status="submitted")
    return make_user("instructeur")


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("params", [{}, {"status": ["submitted"]}, {"population": "0-999"}, {"q": "Mont"}])
def test_list_gives_the_dossiers_and_order_of_the_commune_join(spread, sort, params):
    qs, form = filter_dossiers(spread, {**params, "sort": sort})
    assert form.is_valid()
    reference = qs.order_by(*JOINED[sort]) if sort in JOINED else qs
    if params.get("population"):  # the band, on the joined commune
        reference = Dossier.objects.filter(commune__population__gte=0, commune__population__lte=999).order_by(
            *(JOINED.get(sort) or qs.query.order_by)
        )
    assert list(qs.values_list("pk", flat=True)) == list(reference.values_list("pk", flat=True))


@pytest.mark.parametrize("sort", list(SORTS))
def test_page_rows_are_the_offset_slice_of_the_ordered_selection(spread, sort):
    qs, _ = filter_dossiers(spread, {"sort": sort})
    expected = list(qs.values_list("pk", flat=True))
    for offset in (0, 5, 20, 23, 30):
        assert [d.pk for d in page_rows(qs, offset, 7)] == expected[offset : offset + 7]


@pytest.fixture
def scored(spread):
    """``spread`` with equal, distinct and missing scores (the score sorts' three keys)."""
    from fonds.instruction.models import Assessment

    for i, dossier in enumerate(Dossier.objects.order_by("pk")):
        if i % 4:
            Assessment.objects.create(dossier=dossier, score_total=(40, 55, 40)[i % 3], complete=True)
    return spread


@pytest.mark.parametrize("sort", list(SORTS))
def test_page_rows_read_from_the_end_are_the_forward_slice(scored, sort, django_assert_num_queries):
    """Past the middle of a known total, the page is read in the reversed order from the end: the
    same rows in the same order as the forward offset, for every sort (NULLs, ties, pk last)."""
    from fonds.ui.pagination import from_the_end

    qs, _ = filter_dossiers(scored, {"sort": sort})
    expected = list(qs.values_list("pk", flat=True))
    total = len(expected)
    for offset in (0, 5, 9, 12, 13, 17, 20, 23, 24, 30):
        backwards = from_the_end(Dossier, qs.query.order_by, offset, 7, total) is not None
        assert backwards == (offset > total - offset - 7), offset
        with django_assert_num_queries(0 if offset >= total else 1):
            rows = [d.pk for d in page_rows(qs, offset, 7, total=total)]
        assert rows == expected[offset : offset + 7], (sort, offset)


def test_page_rows_forwards_when_the_order_is_not_total(spread):
    from fonds.ui.pagination import from_the_end

    assert from_the_end(Dossier, ["commune_name"], 20, 5, 24) is None
    assert from_the_end(Dossier, ["commune_name", F("pk").desc()], 20, 5, 24) == (0, 4)
    assert from_the_end(Dossier, ["commune_name", "-id"], 20, 5, 24) == (0, 4)
    assert from_the_end(Dossier, ["commune_name", "pk"], 20, 5, None) is None
    qs = Dossier.objects.order_by("commune_name")  # ties in any order: the same query as without a total
    assert str(page_rows(qs, 20, 5, total=24).query) == str(page_rows(qs, 20, 5).query)


@pytest.mark.parametrize("sort", ["-submitted", "commune", "-score", "amount", "reference"])
def test_search_pages_read_backwards_equal_the_pages_read_forwards(
    client, scored, sort, monkeypatch, django_assert_max_num_queries
):
    """Every page of a search (its count known: ``narrowed``) through the view: the pages past the
    middle, read from the end, continue the first ones exactly."""
    from fonds.instruction.views.lists import SearchPage

    monkeypatch.setattr(SearchPage, "sizes", (5, 25))
    client.force_login(scored)
    qs, _ = filter_dossiers(scored, {"q": "projet", "sort": sort})
    expected = list(qs.values_list("pk", flat=True))
    assert len(expected) == 24
    seen = []
    for number in range(1, 6):
        with django_assert_max_num_queries(10):
            response = client.get(
                reverse("instruction:list"), {"q": "projet", "sort": sort, "taille": "5", "page": number}
            )
        page = response.context["page"]
        assert (page.count, page.has_next, page.num_pages) == (24, number < 5, 5)
        seen += [d.pk for d in page.rows]
    assert seen == expected


def test_queue_pages_read_backwards_equal_the_pages_read_forwards(client, scored, monkeypatch):
    from fonds.instruction.views.lists import Page as ListPage

    Dossier.objects.update(status="submitted")
    monkeypatch.setattr(ListPage, "sizes", (5, 25))
    client.force_login(scored)
    seen = []
    for number in range(1, 6):
        response = client.get(
            reverse("instruction:queues"), {"file": "a-prendre", "taille": "5", "page": number}
        )
        seen += [d.pk for d in response.context["page"].rows]
    assert seen == list(Dossier.objects.order_by("submitted_at", "pk").values_list("pk", flat=True))


def test_page_count_capped_and_never_below_the_current_page(spread, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(Page, "count_cap", 10)
    qs, _ = filter_dossiers(spread, {"sort": "reference"})
    first = Page(qs, {"taille": "25"})
    assert (first.count, first.capped, first.has_next) == (24, False, False)
    monkeypatch.setattr(Page, "sizes", (5, 25))
    with django_assert_num_queries(1):  # the rows; beyond the cap, no count
        deep = Page(qs, {"taille": "5", "page": "3"})  # rows 11–15 of 24: more than the cap of 10
    assert (deep.start, deep.end, deep.has_next) == (11, 15, True)
    assert deep.capped and deep.count == 15 and deep.num_pages is None
    last = Page(qs, {"taille": "5", "page": "5"})
    assert (last.count, last.capped, last.end) == (24, False, 24)


# ---- query counts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["commune", "population", "-submitted", "-score"])
def test_list_query_count_same_for_any_page_size_and_page_number(
    client, spread, sort, django_assert_max_num_queries
):
    client.force_login(spread)
    url = reverse("instruction:list")
    for size, page in (("25", "1"), ("200", "1"), ("25", "2"), ("25", "500")):
        with django_assert_max_num_queries(10):
            response = client.get(
                url, {"status": ["submitted", "draft"], "sort": sort, "taille": size, "page": page}
            )
        assert response.status_code == 200
        assert len(response.context["page"].rows) == {"1": min(int(size), 24), "2": 0, "500": 0}[page]


# ---- queue counters ----------------------------------------------------------------------------------


def test_queue_counts_equal_the_queue_selections_with_conflicts(spread, django_assert_num_queries):
    from fonds.dossiers.access import visible_dossiers
    from fonds.instruction.models import InstructorConflict
    from fonds.instruction.queues import queue_counts, queue_filters

    me, other = spread, make_user("instructeur")
    pks = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))
    statuses = [
        "submitted",
        "in_instruction",
        "corrections_requested",
        "instructed",
        "submitted",
        "in_committee",
    ]
    for i, pk in enumerate(pks):
        Dossier.objects.filter(pk=pk).update(
            status=statuses[i % len(statuses)], instructor=(me, other, None)[i % 3]
        )
    mont = Commune.objects.filter(name="Mont").order_by("pk")
    InstructorConflict.objects.create(user=me, commune=mont[0], motivation="Élu.")
    InstructorConflict.objects.create(user=me, commune=mont[1], motivation="Élu.")
    InstructorConflict.objects.create(user=other, commune=Commune.objects.get(name="Zoza"), motivation="Élu.")
    for user in (me, other, make_user("instructeur")):
        expected = {
            key.replace("-", "_"): visible_dossiers(user).filter(cond).count()
            for key, cond in queue_filters(user).items()
        }
        with django_assert_num_queries(1):
            counts = queue_counts(user)
        assert counts == expected and all(type(value) is int for value in counts.values())
    assert queue_counts(me)["a_prendre"] < Dossier.objects.filter(status="submitted").count()


# ---- the page rendered in Python ----------------------------------------------------------------------


def test_list_rows_show_every_column_escaped(client, spread):
    import datetime as dt

    from django.utils import timezone

    from fonds.instruction.models import Assessment

    commune = make_commune(name="Saint-<Denis>", population=1200, zone="drom", code="97411")
    dossier = make_dossier(
        commune=commune, complete=False, title="Échange « jeunesse » " + "x" * 60, requested_amount=12500
    )
    due = timezone.make_aware(dt.datetime(2027, 3, 4, 23, 30), dt.UTC)  # 5 March in Paris
    Dossier.objects.filter(pk=dossier.pk).update(
        status="corrections_requested", instructor=spread, corrections_due=due
    )
    Assessment.objects.create(dossier=dossier, score_total=42, complete=False)
    client.force_login(spread)
    html = client.get(reverse("instruction:list"), {"q": "97411"}).content.decode()
    row = html[html.index(f'href="{reverse("instruction:dossier", args=[dossier.pk])}"') :]
    row = row[: row.index("</tr>")]
    assert (
        dossier.reference in row
        and "Saint-&lt;Denis&gt; <small>(97411, 1\u00a0200 hab., outre-mer)</small>" in row
    )
    assert "Échange « jeunesse » xxx" in row and "…" in row and "En attente de corrections" in row
    assert "12\u00a0500\u00a0€" in row and "42 <small>(partielle)</small>" in row
    assert spread.email[:10] in row and "05/03/2027" in row
    assert (
        client.get(reverse("instruction:list"), {"q": "introuvable"}).content.decode().count("Aucun dossier.")
        == 1
    )


def test_list_rows_title_cut_as_truncator_does(spread):
    """The rows cut titles without ``Truncator`` when every character counts as one, exactly as
    ``Truncator(title).chars(50)`` does (decomposed titles composed, combining marks not counted)."""
    import unicodedata

    from django.utils.text import Truncator

    from fonds.instruction.templatetags.instruction_tags import ROW_FIELDS, dossier_rows

    for title in (
        "Court",
        unicodedata.normalize("NFD", "Échange été à Québec"),
        "é" * 50,
        "é" * 51,
        "Échange " + "x" * 60,
        "x" * 49 + "\u0301" + "y" * 10,  # a combining mark that does not compose: not counted
        "Échange " + "q\u0307" * 60,
    ):
        dossier = make_dossier(title=title)
        html = str(dossier_rows(Dossier.objects.filter(pk=dossier.pk).values_list(*ROW_FIELDS, named=True)))
        assert f"<td>{Truncator(title).chars(50)}</td>" in html and "Brouillon" in html


def test_list_status_filter_is_a_fieldset_with_a_legend_and_labelled_boxes(client, spread):
    client.force_login(spread)
    html = client.get(reverse("instruction:list"), {"status": ["submitted"]}).content.decode()
    assert '<fieldset class="fr-fieldset" id="id_status-fieldset" aria-labelledby="id_status-legend">' in html
    assert (
        '<legend class="fr-fieldset__legend fr-fieldset__legend--regular" '
        'id="id_status-legend">Statuts</legend>' in html
    )
    assert (
        '<input type="checkbox" name="status" value="submitted" id="id_status_1" checked><label '
        'class="fr-label" for="id_status_1">Déposé</label>' in html
    )
    assert 'style="' not in html[html.index("<main") :]  # strict CSP coming: no inline style in the page body


def test_list_campaign_filter_reads_the_campaigns_once_and_refuses_an_unknown_one(
    client, spread, django_assert_max_num_queries
):
    campaign = Dossier.objects.first().campaign
    make_dossier(complete=False)  # another campaign
    client.force_login(spread)
    with django_assert_max_num_queries(9):
        response = client.get(
            reverse("instruction:list"), {"campaign": campaign.pk, "sort": "-amount", "taille": "25"}
        )
    assert response.status_code == 200 and response.context["page"].count == 24
    assert f'<option value="{campaign.pk}" selected>' in response.content.decode()
    response = client.get(reverse("instruction:list"), {"campaign": "999999"})
    assert response.status_code == 400 and response.context["page"].count == 0


def test_queue_page_takes_its_count_from_the_counters(client, spread, django_assert_max_num_queries):
    from fonds.instruction.queues import queue_counts

    campaign = Dossier.objects.first().campaign
    for _ in range(6):
        make_dossier(campaign=campaign, complete=False)
    Dossier.objects.update(status="submitted")  # 30 dossiers: a page of 25 and a next one
    client.force_login(spread)
    with django_assert_max_num_queries(9) as captured:
        response = client.get(reverse("instruction:queues"), {"file": "a-prendre", "taille": "25"})
    page = response.context["page"]
    assert (
        page.count == queue_counts(spread)["a_prendre"] == 30
        and len(page.rows) == 25
        and page.has_next
        and not page.capped
    )
    assert not any(
        "COUNT(*) FROM (SELECT" in q["sql"] and "LIMIT" in q["sql"] for q in captured.captured_queries
    )  # no capped count


def test_list_instructor_filter_read_when_drawn_not_when_selecting(client, spread, monkeypatch):
    """The instructors' options (cached a minute) are read by the page that draws the select,
    once, and not by a selection alone (the bulk actions call ``filter_dossiers`` too)."""
    from fonds.instruction import filters

    reads = []
    real = filters.instructor_choices
    monkeypatch.setattr(filters, "instructor_choices", lambda: reads.append(1) or real())
    qs, form = filter_dossiers(spread, {"instructor": "me", "sort": "commune"})
    assert form.is_valid() and qs.count() == 0 and reads == []
    client.force_login(spread)
    html = client.get(reverse("instruction:list"), {"instructor": "none"}).content.decode()
    assert len(reads) == 1
    assert '<option value="none" selected>Non attribué</option>' in html
    assert f'<option value="{spread.pk}">{spread.email}</option>' in html
