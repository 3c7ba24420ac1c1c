"""Issue 17 in a real browser (Debian's Chromium through Playwright): the administrator clones the
last campaign, raises the population threshold (E1) in a draft, replays it on the last campaign
and sees the flipped E1 verdict, publishes it as a new version after the differences, then opens
the new campaign's window. axe-core on every page: no violation of any impact (issue 18)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from fonds import clock
from fonds.administration.models import DocumentTexts
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.formats import number
from fonds.referentiel.models import Campaign
from tests.factories import PASSWORD, make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.browser


def _login(page, base, user):
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")


def _fmt(moment) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
def test_admin_clones_raises_e1_replays_and_opens(live_server, page, axe):
    base = live_server.url
    last = make_campaign(name="Appel 2026", envelope=Decimal("200000.00"))
    for population in (800, 4000):
        dossier = make_dossier(campaign=last, commune=make_commune(population=population))
        Dossier.objects.filter(pk=dossier.pk).update(status=Status.SUBMITTED, submitted_at=clock.now())
    DocumentTexts.objects.create(
        campaign=last,
        authority="MEAE",
        fund_address="57, boulevard des Invalides, Paris",
        signatory_name="Claire Martin",
        signatory_title="Déléguée",
        legal_mentions="Voies de recours.",
    )
    make_user("comite", first_name="Bruno", last_name="Membre")
    admin = make_user("admin", first_name="Alice", last_name="Admin")

    _login(page, base, admin)
    page.goto(base + reverse("administration:index"))
    axe.check("administration : campagnes")
    page.get_by_role("link", name="Nouvelle campagne par copie de Appel 2026").click()
    page.wait_for_url(re.compile(r"/copier/$"))
    axe.check("nouvelle campagne par copie")
    opens = clock.now() + dt.timedelta(days=3)
    page.get_by_label("Nom de la nouvelle campagne").fill("Appel 2027")
    page.get_by_label("Ouverture des dépôts").fill(_fmt(opens))
    page.get_by_label("Clôture des dépôts").fill(_fmt(opens + dt.timedelta(days=60)))
    page.get_by_label("Dates de comité").fill((opens + dt.timedelta(days=90)).strftime("%d/%m/%Y"))
    page.get_by_label("Motivation (obligatoire)").fill("Deuxième appel à projets")
    page.get_by_role("button", name="Créer la campagne").click()
    page.wait_for_load_state("load")
    new = Campaign.objects.get(name="Appel 2027")
    assert page.url.endswith(reverse("administration:campaign", args=[new.pk]))
    assert "Manquant" not in page.content()
    axe.check("campagne clonée")

    rules_url = base + reverse("administration:rules", args=[new.pk])
    page.goto(rules_url)
    axe.check("règles")
    page.get_by_label("E1 — population maximale de la commune (habitants)").fill("5000")
    page.get_by_label("Campagne sur laquelle rejouer le brouillon").select_option(str(last.pk))
    page.get_by_role("button", name="Lancer la simulation").click()
    page.wait_for_url(re.compile(r"/simulations/\d+/$"))
    page.get_by_text("Verdicts qui changent, par règle").wait_for()
    row = page.locator("tr", has=page.locator("td", has_text=re.compile(r"^E1$")))
    assert row.locator("td").nth(1).inner_text() == "1"  # the 4,000-inhabitant commune becomes eligible
    axe.check("simulation")

    page.goto(rules_url)
    page.get_by_label("E1 — population maximale de la commune (habitants)").fill("5000")
    page.get_by_role("button", name="Afficher les différences").click()
    page.wait_for_load_state("load")
    assert (
        page.locator("table", has_text="ancienne → nouvelle").locator("td", has_text=number(5000)).count()
        == 1
    )
    axe.check("règles : différences")
    page.get_by_label("Motivation de la nouvelle version (obligatoire)").fill("Seuil relevé par le conseil")
    page.locator("label[for=id_migration_0]").click()  # DSFR radios: the label takes the click
    page.locator("label[for=id_confirm_publish]").click()
    page.get_by_role("button", name="Publier la version 2").click()
    page.wait_for_url(re.compile(r"/regles/v2/$"))
    assert new.rulesets.get(version=2).params["eligibility"]["max_population"] == 5000
    axe.check("version 2")

    page.goto(base + reverse("administration:campaign", args=[new.pk]))
    page.get_by_label("Motivation (obligatoire)").fill("Ouverture anticipée")
    page.locator("label[for=id_confirm]").click()
    page.get_by_role("button", name="Ouvrir les dépôts maintenant").click()
    page.wait_for_load_state("load")
    assert "Les dépôts sont ouverts." in page.content()
    new.refresh_from_db()
    assert new.opens_at <= clock.now()
    axe.check("campagne ouverte")

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()
