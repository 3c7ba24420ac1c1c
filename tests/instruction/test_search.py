"""The instructors' search box: reference, title, commune name and INSEE code, whatever the case
and accents, through the folded ``search_text`` the database computes (fonds/dossiers/search.py)."""

import pytest
from django.db import connection
from django.urls import reverse

from fonds.dossiers.models import Dossier
from fonds.dossiers.search import FOLD, SearchFold, fold, words
from fonds.instruction.filters import filter_dossiers
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def towns(db):
    campaign = make_campaign()
    saint_etienne = make_dossier(
        campaign=campaign,
        commune=make_commune(code="42218", name="Saint-Étienne", population=3000),
        complete=False,
        title="Semaine sportive franco-allemande",
    )
    lhay = make_dossier(
        campaign=campaign,
        commune=make_commune(code="94038", name="L'Haÿ-les-Roses", population=3100),
        complete=False,
        title="Œuvre commune des jeunes",
    )
    other = make_dossier(
        campaign=campaign,
        commune=make_commune(code="01001", name="Saint-Jean", population=800),
        complete=False,
        title="Chantier de jeunes européens",
    )
    return {"me": make_user("instructeur"), "etienne": saint_etienne, "lhay": lhay, "jean": other}


def found(towns, q):
    qs, form = filter_dossiers(towns["me"], {"q": q})
    assert form.is_valid(), form.errors
    names = {d.pk: key for key, d in towns.items() if key != "me"}
    return {names[pk] for pk in qs.values_list("pk", flat=True)}


@pytest.mark.parametrize("q", ["SAINT-ETIENNE", "saint étienne", "étienne", "ETIENNE", "Saint-Étienne"])
def test_search_commune_name_whatever_case_and_accents(towns, q):
    assert found(towns, q) == {"etienne"}
    assert found(towns, "st etienne") == set()


def test_search_apostrophes_hyphens_and_ligatures_as_typed_on_any_keyboard(towns):
    for q in ("l'hay", "L’HAŸ LES ROSES", "hay-les", "oeuvre", "ŒUVRE"):
        assert found(towns, q) == {"lhay"}, q


def test_search_insee_code_selects_the_commune(towns):
    assert found(towns, "42218") == {"etienne"}
    assert found(towns, "2A004") == set()


def test_search_reference_whole_or_in_part(towns):
    reference = towns["jean"].reference
    assert found(towns, reference) == {"jean"}
    assert found(towns, reference.lower()) == {"jean"}
    assert found(towns, reference[-4:]) >= {"jean"}


def test_search_title_words_in_any_order(towns):
    assert found(towns, "allemande SPORTIVE") == {"etienne"}
    assert found(towns, "europeens") == {"jean"}
    assert found(towns, "jeunes") == {"lhay", "jean"}
    assert found(towns, "jeunes saint") == {"jean"}


def test_search_wildcards_are_plain_characters(towns):
    assert found(towns, "%") == set()
    assert found(towns, "_") == set()
    assert found(towns, "saint%jean") == set()


def test_search_words_split_on_spaces_and_folded():
    assert words("  FJJ-2026-000123   Saint-Étienne ") == ["fjj 2026 000123", "saint etienne"]
    assert words(" - ") == []


def test_search_text_fold_in_database_equals_fold_in_python(towns):
    """Both sides of the ``LIKE`` use one table: the generated column, on this database, folds
    each character of the table as ``fold`` does."""
    sample = "".join(FOLD) + " Ünïcode ΣΩ ﬁ ñ 1€"
    Dossier.objects.filter(pk=towns["jean"].pk).update(title=sample[:200])
    stored = Dossier.objects.values_list("search_text", flat=True).get(pk=towns["jean"].pk)
    dossier = towns["jean"]
    assert stored == fold(f"{dossier.reference} {sample[:200]} Saint-Jean 01001")


def test_search_text_set_on_bulk_create_and_kept_on_update(towns):
    base = towns["jean"]
    [row] = Dossier.objects.bulk_create(
        [
            Dossier(
                reference="FJJ-BULK-9",
                campaign=base.campaign,
                commune=towns["etienne"].commune,
                created_by=base.created_by,
                title="Rencontre théâtrale",
            )
        ]
    )
    text = Dossier.objects.values_list("search_text", flat=True)
    assert text.get(pk=row.pk) == "fjj bulk 9 rencontre theatrale saint etienne 42218"
    Dossier.objects.filter(pk=row.pk).update(title="Séjour linguistique")
    assert text.get(pk=row.pk) == "fjj bulk 9 sejour linguistique saint etienne 42218"


def test_search_text_follows_the_commune_renamed_by_an_import(towns):
    from fonds.referentiel.models import Commune

    Commune.objects.filter(code="01001").update(name="Saint-Jean-d'Aulps")  # the importer's UPDATE
    assert found(towns, "jean d aulps") == {"jean"}
    assert found(towns, "AULPS") == {"jean"}


def test_search_fold_refuses_parameters():
    from django.db.models import Value
    from django.db.models.sql import Query

    compiler = Query(Dossier).get_compiler(connection=connection)
    with pytest.raises(ValueError):  # a generated column's DDL: columns only, no bound value
        compiler.compile(SearchFold(Value("x")))


# ---- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["commune", "-submitted", "reference"])
def test_list_search_query_count_same_for_any_page(client, towns, sort, django_assert_max_num_queries):
    client.force_login(towns["me"])
    url = reverse("instruction:list")
    for size, page in (("25", "1"), ("200", "1"), ("25", "500")):
        with django_assert_max_num_queries(10):
            response = client.get(url, {"q": "SAINT", "sort": sort, "taille": size, "page": page})
        assert response.status_code == 200
        assert len(response.context["page"].rows) == {"1": 2, "500": 0}[page]


def test_list_search_counts_up_to_its_own_cap(client, towns, monkeypatch, django_assert_max_num_queries):
    from fonds.instruction.views import lists

    monkeypatch.setattr(lists, "SEARCH_COUNT_CAP", 1)
    monkeypatch.setattr(lists.SearchPage, "count_cap", 1)
    monkeypatch.setattr(lists.SearchPage, "sizes", (1, 25))
    client.force_login(towns["me"])
    searched = client.get(reverse("instruction:list"), {"q": "saint", "taille": "1"}).context["page"]
    assert searched.capped and searched.count == 1 and searched.has_next and not searched.cut
    last = client.get(reverse("instruction:list"), {"q": "saint", "taille": "1", "page": "2"}).context["page"]
    assert not last.capped and last.count == 2 and not last.has_next
    listed = client.get(reverse("instruction:list"), {"taille": "25"}).context["page"]
    assert not listed.capped and listed.count == 3


@pytest.mark.parametrize("size", ["1", "25"])
def test_list_search_shows_its_first_matches_only(client, towns, monkeypatch, size):
    """Past ``SEARCH_COUNT_CAP`` matches a search serves no more pages (each would re-read every
    match): the list says how many it shows and asks for a narrower search; a page number past
    them gives the last page served."""
    from fonds.instruction.views import lists

    monkeypatch.setattr(lists, "SEARCH_COUNT_CAP", 1)
    monkeypatch.setattr(lists.SearchPage, "count_cap", 1)
    monkeypatch.setattr(lists.SearchPage, "row_cap", 1)
    monkeypatch.setattr(lists.SearchPage, "sizes", (1, 25))
    client.force_login(towns["me"])
    expected, _ = filter_dossiers(towns["me"], {"q": "saint"})
    first = expected.values_list("pk", flat=True)[0]
    for number in ("1", "2", "405"):
        response = client.get(reverse("instruction:list"), {"q": "saint", "taille": size, "page": number})
        page = response.context["page"]
        assert [d.pk for d in page.rows] == [first]
        assert (page.number, page.num_pages, page.has_next, page.cut) == (1, 1, False, True)
        html = response.content.decode()
        assert "Plus de 1 dossiers" in html and 'id="search-cut"' in html
        assert "Seuls les 1 premiers sont affichés" in html
    unsearched = client.get(reverse("instruction:list"), {"taille": "1", "page": "3"}).context["page"]
    assert unsearched.number == 3 and not unsearched.cut  # the list without a search: every page


@pytest.mark.parametrize("cap", [1, 1000])
@pytest.mark.parametrize("sort", ["commune", "-submitted", "reference", "-score", "population"])
def test_list_search_page_is_the_filtered_selection_in_order(client, towns, monkeypatch, sort, cap):
    """Few matches: the page sorts the pks read by the search; many: the selection as filtered.
    Either way the rows and their order are the filter's."""
    from fonds.instruction.views import lists

    monkeypatch.setattr(lists, "SEARCH_COUNT_CAP", cap)
    client.force_login(towns["me"])
    for q in ("saint", "jeunes", "e"):
        qs, _ = filter_dossiers(towns["me"], {"q": q, "sort": sort})
        page = client.get(reverse("instruction:list"), {"q": q, "sort": sort}).context["page"]
        assert [d.pk for d in page.rows] == list(qs.values_list("pk", flat=True)), q
        assert page.count == qs.count() or (page.capped and page.count == cap)


@pytest.mark.postgres
def test_search_reads_the_trigram_index_on_postgresql(towns):
    qs, _ = filter_dossiers(towns["me"], {"q": "étienne", "sort": "reference"})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table of three rows: no index pays
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = qs.explain()
    assert "dossier_search_trgm" in plan
