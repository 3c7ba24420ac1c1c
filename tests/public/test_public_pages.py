"""The public pages (issue 22): filters and search, query counts, figures with their tables, the
map without any third-party request, the open data, caching and the per-client rate limit."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from fonds.dossiers.states import Status
from fonds.public import cache
from fonds.referentiel.siret import demo_siret
from tests.factories import make_campaign, make_commune, make_user

from .conftest import public_project

pytestmark = pytest.mark.django_db

LIST = reverse("public:list")
API = reverse("public-api:projects")


def references(client, query: str) -> set[str]:
    return {p["reference"] for p in client.get(API + "?" + query).json()["results"]}


@pytest.fixture
def three(past):
    lyon = make_commune(name="Saint-Étienne-des-Oullières", departement="69", region="84")
    rennes = make_commune(name="Bréal", departement="35", region="53")
    campaign = make_campaign()
    a = public_project(commune=lyon, distance_km=850)
    b = public_project(commune=rennes, country="IT", campaign=campaign, distance_km=2400, **past)
    c = public_project(Status.CLOSED, commune=rennes, distance_km=120)
    return a, b, c, campaign


def test_the_list_filters_by_region_departement_country_campaign_distance_and_status(client, three):
    a, b, c, campaign = three
    assert references(client, "region=84") == {a.reference}
    assert references(client, "departement=35") == {b.reference, c.reference}
    assert references(client, "pays=IT") == {b.reference}
    assert references(client, f"campagne={campaign.pk}") == {b.reference}
    assert references(client, "distance=2000-3999") == {b.reference}
    assert references(client, "distance=0-499") == {c.reference}
    assert references(client, "statut=realise") == {b.reference, c.reference}
    assert references(client, "statut=a-venir") == {a.reference}
    page = client.get(LIST + "?pays=IT").content.decode()
    assert b.reference in page and a.reference not in page


def test_free_text_search_ignores_case_and_accents(client, three):
    a, b, c, _ = three
    assert references(client, "q=saint-etienne") == {a.reference}
    assert references(client, "q=BREAL") == {b.reference, c.reference}
    assert references(client, "q=città") == {b.reference}  # the partner town


def test_an_unknown_filter_value_is_ignored_not_an_error(client, three):
    assert client.get(LIST + "?region=zz&campagne=abc&page=-4&statut=%00x").status_code in (200, 400)
    assert client.get(LIST + "?region=zz&campagne=abc&page=999999").status_code == 200
    assert len(references(client, "region=zz")) == 3


def test_the_list_reads_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(30):
        public_project(Status.CLOSED)
    with django_assert_max_num_queries(8):  # facets (4), count, rows, amounts paid
        response = client.get(LIST + "?statut=a-venir")
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(API + "?page=1").json()["count"] == 30


def test_a_cached_page_reads_no_project_from_the_database(client, django_assert_max_num_queries):
    public_project()
    client.get(LIST + "?q=commune")
    # one query is left: the DSFR site configuration, read by its context processor on every page
    with django_assert_max_num_queries(1) as captured:
        assert client.get(LIST + "?q=commune").status_code == 200
    assert not [q for q in captured.captured_queries if "dossiers_dossier" in q["sql"]]


def test_the_cache_is_keyed_by_the_query_string(client):
    a = public_project(commune=make_commune(region="84"))
    b = public_project(commune=make_commune(region="53"))
    first = client.get(LIST + "?region=84").content.decode()
    second = client.get(LIST + "?region=53").content.decode()
    assert a.reference in first and b.reference not in first
    assert b.reference in second and a.reference not in second
    assert cache.key("list", {"region": "84"}) != cache.key("list", {"region": "53"})


def test_the_public_pages_are_rate_limited_per_client(client, settings):
    settings.FJJ_PUBLIC_RATE = "3/m"
    for _ in range(3):
        assert client.get(LIST).status_code == 200
    limited = client.get(LIST)
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    assert "Trop de pages" in limited.content.decode()
    other = client.get(LIST, REMOTE_ADDR="192.0.2.10")
    assert other.status_code == 200  # another address has its own counter


def test_the_public_api_is_throttled_per_client(client, settings):
    settings.FJJ_PUBLIC_API_RATE = "2/minute"
    assert client.get(API).status_code == 200
    assert client.get(API).status_code == 200
    assert client.get(API).status_code == 429


def test_the_public_api_needs_no_token_and_is_in_the_openapi_schema(client):
    public_project()
    response = client.get(API)
    assert response.status_code == 200 and response.json()["count"] == 1
    assert "Licence Ouverte" in response["X-Licence"]
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/public/projects/" in schema and "young_people" in schema


def test_the_figures_give_each_chart_its_data_table(client):
    commune = make_commune(region="84")
    public_project(commune=commune, youth_ages=[14, 15], leader_ages=[40])
    public_project(commune=commune, youth_ages=[16], leader_ages=[41], country="IT")
    page = client.get(reverse("public:figures")).content.decode()
    assert page.count("<svg") == 3 and page.count("<table") == 3
    assert page.count('aria-hidden="true" focusable="false"') >= 3  # the charts repeat their tables
    region_table = page[page.index("Projets soutenus par région") :]
    row = re.search(r"Auvergne-Rhône-Alpes</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", region_table)
    assert row and row.groups() == ("2", "3", "2")
    assert "11 340 €" in page.replace("\u202f", " ").replace("\xa0", " ")


def test_the_map_draws_communes_partners_and_their_links_with_no_external_url(client):
    commune = make_commune(latitude=Decimal("48.11"), longitude=Decimal("-1.68"), name="Bréal")
    public_project(commune=commune, country="IT")
    response = client.get(reverse("public:map"))
    page = response.content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert svg.count("<line ") == 1 and "Bréal" in svg and "(Italie)" in svg
    assert "://" not in page  # nothing to fetch from anywhere: the map renders with the network cut
    assert not re.search(r'(src|href|action)="//', page)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy


def test_the_map_draws_france_from_the_commune_referential(client):
    for i in range(5):
        make_commune(latitude=Decimal(f"{44 + i}.1"), longitude=Decimal(f"{i}.2"))
    public_project(country="IT")
    page = client.get(reverse("public:map")).content.decode()
    background = page[page.index('<g fill="#e3e3fd">') : page.index("</g>")]
    assert background.count("<circle") >= 5


def test_the_open_data_page_links_the_json_and_the_scdl_file_with_their_licence(client, settings):
    settings.FJJ_SIRET = "11000201100044"
    page = client.get(reverse("public:open-data")).content.decode()
    assert "Licence Ouverte / Open Licence version 2.0" in page
    assert reverse("public-api:projects") in page and reverse("public:scdl") in page
    listed = client.get(LIST).content.decode()
    assert reverse("public:scdl") in listed and reverse("public-api:projects") in listed


def test_the_scdl_file_lists_the_public_awards(client, settings):
    from fonds.payments.bank import certify_bank_details, set_bank_details
    from tests.security.world import BIC, IBAN

    settings.FJJ_SIRET = "11000201100044"
    dossier = public_project()
    unpublished = public_project(Status.APPROVED, commune=dossier.commune)
    porteur = make_user("porteur", commune=dossier.commune)
    set_bank_details(
        dossier.commune,
        by=porteur,
        iban=IBAN,
        bic=BIC,
        holder="Commune",
        rib_document=dossier.documents.get(kind="rib"),
        siret=demo_siret(dossier.commune.siren),
    )
    certify_bank_details(dossier.commune, by=make_user("finance"))
    body = b"".join(client.get(reverse("public:scdl")).streaming_content).decode()
    assert body.startswith("nomAttribuant") or "idSubvention" in body.splitlines()[0]
    assert unpublished.reference not in body


def test_the_scdl_file_is_absent_until_the_fund_siret_is_configured(client, settings):
    settings.FJJ_SIRET = ""
    assert client.get(reverse("public:scdl")).status_code == 404


def test_the_site_footer_links_the_public_page(client):
    page = client.get(reverse("accessibility")).content.decode()
    assert f'href="{LIST}"' in page


def test_an_upcoming_trip_is_a_venir_and_a_past_one_realise(client):
    soon = public_project(start_date=dt.date.today() + dt.timedelta(days=20))
    data = client.get(reverse("public-api:project", args=[soon.reference])).json()
    assert data["status"] == "a-venir"
