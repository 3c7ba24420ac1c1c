"""Issue 22: an anonymous visitor reads « Projets soutenus » — filters the list, opens a project,
the map, the figures and the open data — in Chromium, axe-core at 1280 px and 375 px with zero
violations, nothing cut off sideways, and the network cut: every request to another origin than
the site's is aborted and recorded (there must be none)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.public import publishing
from tests.factories import make_commune, make_dossier, make_jumelage, make_user

from .test_roles_axe import sideways_scroll

pytestmark = pytest.mark.browser


def _projects():
    rennes = make_commune(name="Bréal-sous-Montfort", departement="35", region="53")
    rennes.latitude, rennes.longitude = Decimal("48.05"), Decimal("-1.86")
    rennes.save()
    mayor = make_user("porteur", commune=rennes)
    past = dt.date.today() - dt.timedelta(days=40)
    for i in range(3):
        dossier = make_dossier(commune=rennes, porteur=mayor)
        if i == 1:
            dossier.jumelage = make_jumelage(rennes, country="IT", name="Città", lat="43.77", lon="11.25")
        Dossier.objects.filter(pk=dossier.pk).update(  # test setup: the convention accepted
            status=Status.CLOSED if i == 2 else Status.AGREEMENT_SIGNED,
            approved_amount=Decimal("5670.00"),
            jumelage=dossier.jumelage,
            **({"start_date": past, "end_date": past + dt.timedelta(days=8)} if i == 2 else {}),
        )
        publishing.save_texts(dossier, by=mayor, summary=f"Projet n° {i + 1} : un échange de jeunes.")
    return Dossier.objects.filter(commune=rennes).order_by("-reference").first()


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
def test_an_anonymous_visitor_reads_the_public_pages_with_zero_axe_violations(live_server, page, axe):
    newest = _projects()
    base = live_server.url
    outside = []

    def only_the_site(route):
        if urlsplit(route.request.url).netloc != urlsplit(base).netloc:
            outside.append(route.request.url)
            return route.abort()
        return route.fallback()

    page.context.route("**/*", only_the_site)
    cut = []

    def visit(label):
        axe.check_widths(label)
        if sideways_scroll(page) > 0:
            cut.append(f"{label} : {sideways_scroll(page)} px coupés à 375 px")
        page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(base + "/projets/")
    assert page.get_by_role("heading", name="Projets soutenus", level=1).is_visible()
    visit("Projets soutenus")
    page.get_by_label("Pays partenaire").select_option("IT")
    page.get_by_role("button", name="Afficher les projets").click()
    page.wait_for_load_state("load")
    assert "pays=IT" in page.url and page.get_by_text("1 projet").first.is_visible()
    visit("Projets soutenus filtrés")
    page.goto(base + f"/projets/{newest.reference}/")
    assert page.get_by_text("un échange de jeunes").first.is_visible()
    visit("Un projet soutenu")
    page.goto(base + "/projets/carte/")
    assert page.locator("svg.fjj-public-map line").count() >= 2
    visit("Carte des projets soutenus")
    page.goto(base + "/projets/chiffres/")
    assert page.locator("table").count() == 3
    visit("Les projets soutenus en chiffres")
    page.goto(base + "/projets/donnees/")
    visit("Données ouvertes")
    print(axe.report())
    assert not outside, f"requêtes vers un tiers : {outside}"
    assert not axe.broken, axe.report()
    assert not axe.csp, axe.report()
    assert not axe.violations, axe.report()
    assert not cut, "\n".join(cut)
