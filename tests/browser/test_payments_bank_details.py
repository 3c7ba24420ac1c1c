"""Payments in a real browser (Debian's Chromium through Playwright), axe-core on every page: the
mayor gives the commune's IBAN from "Mes dossiers" (a wrong IBAN first: the French error summary,
the typed values kept), then a finance officer certifies it against the RIB shown inline."""
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.payments.models import BankDetails, PaymentOrder
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
    porteur = make_user("porteur", commune=commune, first_name="Marie", last_name="Dupont", email="maire.paiement@demo.fjj.fr")
    finance = make_user("finance", email="finance.paiement@demo.fjj.fr")
    dossier = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    Dossier.objects.filter(pk=dossier.pk).update(status="approved", approved_amount=Decimal("5670.00"), agreement_due=timezone.now() + dt.timedelta(days=30))
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
    page.get_by_role("button", name="Enregistrer les coordonnées bancaires").click()
    page.wait_for_load_state("load")
    summary = page.locator("#resume-erreurs")
    assert summary.is_visible() and "IBAN invalide" in summary.inner_text()
    assert page.evaluate("document.activeElement && document.activeElement.id") == "resume-erreurs"  # errors announced first
    assert page.input_value("[name=bic]") == "AGRIFRPP" and page.input_value("[name=holder]") == "Commune de Saint-Exemple-sur-Loire"
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
    assert not axe.blocking, axe.report()
