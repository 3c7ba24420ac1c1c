"""Payments in a real browser (Debian's Chromium through Playwright), axe-core on every page: the
mayor gives the commune's IBAN from "Mes dossiers" (a wrong IBAN first: the French error summary,
the typed values kept), then a finance officer certifies it against the RIB shown inline."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from fonds import clock
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.payments.models import BankDetails, PaymentOrder
from fonds.referentiel.siret import demo_siret
from fonds.suivi.testing import acceptance_data
from tests.factories import PASSWORD, make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.browser


def _sign_in(page, base, user):
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
def test_mayor_gives_the_iban_then_finance_certifies_it_against_the_rib(live_server, page, axe):
    base = live_server.url
    commune = make_commune(population=950, name="Saint-Exemple-sur-Loire")
    porteur = make_user(
        "porteur", commune=commune, first_name="Marie", last_name="Dupont", email="maire.paiement@demo.fjj.fr"
    )
    finance = make_user("finance", email="finance.paiement@demo.fjj.fr")
    dossier = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    Dossier.objects.filter(pk=dossier.pk).update(
        status="approved",
        approved_amount=Decimal("5670.00"),
        agreement_due=clock.now() + dt.timedelta(days=30),
    )
    dossier.refresh_from_db()
    perform(dossier, "accept_agreement", by=porteur, data=acceptance_data(dossier))

    # the mayor: "Mes dossiers" → the bank-details page
    _sign_in(page, base, porteur)
    page.wait_for_url(re.compile(r"/depot/$"))
    assert page.get_by_text("à renseigner").first.is_visible()
    axe.check("mes dossiers (paiements)")
    page.get_by_role("link", name="Coordonnées bancaires de la commune").click()
    page.wait_for_url(re.compile(r"/paiements/commune/coordonnees-bancaires/$"))
    axe.check("coordonnées bancaires")
    page.fill("[name=holder]", "Commune de Saint-Exemple-sur-Loire")
    page.fill("[name=iban]", "FR76 3000 6000 0112 3456 7890 188")  # wrong check digits
    page.fill("[name=bic]", "AGRIFRPP")
    siret = demo_siret(commune.siren)
    page.fill("[name=siret]", f"{siret[:9]} {siret[9:]}")  # the town hall's SIRET (spaces accepted)
    page.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    page.wait_for_load_state("load")
    summary = page.locator("#resume-erreurs")
    assert summary.is_visible() and "IBAN invalide" in summary.inner_text()
    assert (
        page.evaluate("document.activeElement && document.activeElement.id") == "resume-erreurs"
    )  # errors announced first
    assert (
        page.input_value("[name=bic]") == "AGRIFRPP"
        and page.input_value("[name=holder]") == "Commune de Saint-Exemple-sur-Loire"
    )
    assert page.input_value("[name=siret]") == f"{siret[:9]} {siret[9:]}"
    axe.check("coordonnées bancaires (erreurs)")
    assert not BankDetails.objects.exists()
    page.fill("[name=iban]", "FR76 3000 6000 0112 3456 7890 189")
    page.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Coordonnées en cours de vérification").is_visible()
    axe.check("coordonnées bancaires (enregistrées)")
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_load_state("load")

    # finance: the list of details to certify → the page with the RIB inline → certify
    _sign_in(page, base, finance)
    page.goto(base + reverse("payments:bank-list"))
    axe.check("coordonnées à certifier")
    page.get_by_role("link", name=re.compile("Saint-Exemple-sur-Loire")).click()
    page.wait_for_load_state("load")
    assert page.locator("iframe[title^='RIB de Saint-Exemple']").count() == 1
    axe.check("certification")
    page.get_by_label(re.compile("J'ai comparé l'IBAN")).check(force=True)
    page.get_by_role("button", name="Certifier les coordonnées bancaires").click()
    page.wait_for_load_state("load")
    assert page.get_by_text(re.compile("Certifiées le")).first.is_visible()
    assert BankDetails.objects.get(commune=commune).is_certified
    assert PaymentOrder.objects.get(dossier=dossier).state == "ready"
    page.goto(base + reverse("payments:orders"))
    axe.check("ordres de paiement")

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()


@pytest.mark.django_db(transaction=True)
def test_mayor_answers_a_recovery_then_finance_decides(live_server, page, axe):
    from types import SimpleNamespace

    from tests.payments.conftest import certified_bank, pay_through_batch, report_submitted, signed

    base = live_server.url
    commune = make_commune(population=950, name="Saint-Exemple-sur-Loire")
    cast = SimpleNamespace(
        commune=commune,
        porteur=make_user("porteur", commune=commune, email="maire.reversement@demo.fjj.fr"),
        finance=make_user("finance", email="finance.reversement@demo.fjj.fr"),
    )
    dossier = signed(cast)
    certified_bank(cast, dossier=dossier)
    pay_through_batch(cast, PaymentOrder.objects.get(dossier=dossier))
    dossier.refresh_from_db()
    report_submitted(cast, dossier, youth_ages=[14, 15, 16, 17], leader_ages=[40, 41])

    # finance accepts the final report: the balance is negative, a recovery order is issued
    _sign_in(page, base, cast.finance)
    page.goto(base + reverse("payments:reports"))
    axe.check("rapports finals")
    page.get_by_role("link", name=dossier.reference).click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Trop-perçu à reverser par la commune").is_visible()
    axe.check("validation du rapport final")
    page.get_by_label(re.compile("J'ai vérifié le rapport final")).check(force=True)
    page.get_by_role("button", name="Valider le rapport final").click()
    page.wait_for_load_state("load")
    order = PaymentOrder.objects.get(dossier=dossier, kind="recovery")
    assert order.state == "contradictory"
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_load_state("load")

    # the mayor answers from "Mes dossiers"
    _sign_in(page, base, cast.porteur)
    page.wait_for_url(re.compile(r"/depot/$"))
    page.get_by_role("link", name=re.compile("Répondre à la demande de reversement")).click()
    page.wait_for_load_state("load")
    axe.check("demande de reversement")
    page.fill(
        "[name=text]",
        "Deux jeunes malades ont renoncé la veille du départ ; les billets n'étaient pas remboursables.",
    )
    page.get_by_role("button", name="Envoyer mes observations").click()
    page.wait_for_load_state("load")
    assert page.locator("#resume-erreurs").is_visible()  # the confirmation box was not ticked
    assert "malades" in page.input_value("[name=text]")
    axe.check("demande de reversement (erreur)")
    page.get_by_label(re.compile("J'envoie ces observations")).check(force=True)
    page.get_by_role("button", name="Envoyer mes observations").click()
    page.wait_for_load_state("load")
    assert page.get_by_text(re.compile("Vous avez répondu le")).is_visible()
    axe.check("demande de reversement (répondue)")
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_load_state("load")

    # finance reads the answer and cancels the recovery (the mayor's observations are well founded)
    _sign_in(page, base, cast.finance)
    page.goto(base + reverse("payments:order", args=[order.pk]))
    assert page.get_by_text(re.compile("billets n'étaient pas remboursables")).is_visible()
    axe.check("ordre de reversement")
    page.get_by_role("link", name="Annuler").first.click()
    page.wait_for_load_state("load")
    axe.check("annulation du reversement")
    page.fill("[name=motivation]", "Les observations du maire sont fondées.")
    page.get_by_label(re.compile("Je confirme l'annulation définitive")).check(force=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    order.refresh_from_db()
    dossier.refresh_from_db()
    assert order.state == "cancelled" and dossier.status == "closed"

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()
