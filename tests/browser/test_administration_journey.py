"""Issue 17 in a real browser (Debian's Chromium through Playwright): the administrator clones the
last campaign, raises the population threshold (E1) in a draft, replays it on the last campaign
and sees the flipped E1 verdict, publishes it as a new version after the differences, opens the
new campaign's window, then invites three mayors from a CSV file (a background job, its report
of refused lines); one of them follows the link of the invitation email, chooses a password,
signs in and starts a dossier. axe-core on every page: no violation of any impact (issue 18)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from fonds import clock
from fonds.accounts.models import User
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


def _invite_mayors(page, base, axe, communes):
    """Upload a CSV of three mayors (plus an unknown INSEE code), confirm, wait for the job."""
    page.goto(base + reverse("account_admin:list"))
    page.get_by_role("link", name="Inviter des maires (CSV)").click()
    page.wait_for_url(re.compile(r"/inviter/maires/$"))
    axe.check("inviter des maires")
    names = ("Anne Martin", "Paul Bernard", "Lucie Petit")
    lines = [f"{c.code};maire.{c.code}@commune.fr;{name}" for c, name in zip(communes, names, strict=True)]
    data = "code_insee;email;nom\n" + "\n".join([*lines, "99999;maire@nulle-part.fr;Jean Inconnu"]) + "\n"
    page.set_input_files(
        "input[name=file]", {"name": "maires.csv", "mimeType": "text/csv", "buffer": data.encode()}
    )
    page.get_by_role("button", name="Contrôler le fichier").click()
    page.wait_for_url(re.compile(r"/inviter/import/\d+/$"))
    assert "3 lignes acceptées, 1 refusée" in page.content()
    axe.check("import : contrôle du fichier")
    page.locator("label[for=id_confirm]").click()
    page.get_by_role("button", name="Inviter 3 comptes").click()
    page.wait_for_load_state("load")
    page.get_by_role("heading", name="Rapport de l'import").wait_for()
    if page.locator("#import-progress[data-over='0']").count():  # the task was still running
        page.get_by_role("link", name="Afficher le rapport de l'import").click(timeout=30_000)
    html = page.content()
    assert "3 comptes créés et invités" in html and "code INSEE inconnu « 99999 »" in html
    axe.check("import : rapport")


def _mayor_accepts_and_starts_a_dossier(page, base, axe, email):
    """The invitation email's link: a password, then sign in again and start a dossier."""
    (message,) = [m for m in mail.outbox if m.to == [email]]
    path = re.search(r"/depot/compte/invitation/[^/\s]+/[^/\s]+/", message.body).group(0)
    page.context.clear_cookies()  # the administrator's session ends
    page.goto(base + path)
    axe.check("activer son compte")
    page.fill("input[name=new_password1]", "Jumelage-Anne-2027!")
    page.fill("input[name=new_password2]", "Jumelage-Anne-2027!")
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url(re.compile(r"/depot/$"))
    page.context.clear_cookies()
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "Jumelage-Anne-2027!")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/depot/$"))
    axe.check("mes dossiers (maire invité)")
    page.get_by_role("link", name="Nouveau dossier — Appel 2027").click()
    start = clock.today() + dt.timedelta(days=60)
    page.fill("[name=title]", "Rencontre de jeunes à Ingelheim")
    page.fill("[name=summary]", "Une semaine d'échanges entre les jeunes des deux villes jumelles.")
    page.fill("[name=objectives]", "Découvrir la langue et la culture du partenaire.")
    page.fill("[name=start_date]", start.isoformat())
    page.fill("[name=end_date]", (start + dt.timedelta(days=8)).isoformat())
    page.fill("[name=activity_days]", "7")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(re.compile(r"/etapes/partenariat/$"))
    axe.check("dossier commencé")
    return User.objects.get(email=email)


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
    mayors_communes = [make_commune(population=population) for population in (900, 1200, 2400)]
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

    _invite_mayors(page, base, axe, mayors_communes)
    mayor = _mayor_accepts_and_starts_a_dossier(
        page, base, axe, f"maire.{mayors_communes[0].code}@commune.fr"
    )
    (dossier,) = Dossier.objects.filter(created_by=mayor)
    assert dossier.commune == mayors_communes[0] and dossier.status == Status.DRAFT
    assert dossier.campaign == new

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()
