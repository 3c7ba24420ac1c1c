"""Issue 20, expert opinions in a real browser, with the second factor required: the instructor
asks an outside expert from the dossier's page; the expert follows the email link, chooses a
password, enrols an authenticator app, reads the dossier and answers (confirmed final); the
instructor reads the opinion on the dossier's page. axe-core on every new page: zero violations."""

import datetime as dt
import re
from base64 import b32decode

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fonds import clock
from fonds.avis.models import AvisRequest
from fonds.dossiers.services import perform
from tests.factories import PASSWORD, make_campaign, make_commune, make_dossier, make_user

from .conftest import AXE_JS, Axe

pytestmark = [pytest.mark.browser, pytest.mark.two_factor]

EXPERT = "referent.jumelages@prefecture-exemple.gouv.fr"
QUESTION = "La commune a-t-elle les moyens de porter ce projet cette année ?"
ANSWER = "Avis favorable : la situation financière de la commune est saine."
NEW_PASSWORD = "Un-mot-de-passe-d-expert-2027"


def _code(key: bytes) -> str:
    return f"{totp(key):06d}"


def _browser_page(chromium):
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.route(
        "**/__axe__/axe.min.js",
        lambda route: route.fulfill(path=str(AXE_JS), content_type="application/javascript"),
    )
    return context, context.new_page()


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
def test_an_expert_is_invited_signs_in_with_a_second_factor_and_answers(
    live_server, chromium, page, axe, settings
):
    base = live_server.url
    settings.FJJ_SITE_URL = base
    commune = make_commune(name="Saint-Avis-sur-Loire")
    porteur = make_user("porteur", commune=commune)
    instructeur = make_user("instructeur", first_name="Ines", last_name="Instructrice")
    dossier = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    perform(dossier, "submit", by=porteur)
    perform(dossier, "start_instruction", by=instructeur)
    device = TOTPDevice.objects.create(user=instructeur, name="app", confirmed=True)

    # the instructor signs in (password, then code) and asks the expert from the dossier's page
    context, staff = _browser_page(chromium)
    staff_axe = Axe(staff)
    staff.goto(base + reverse("login"))
    staff.fill("input[name=username]", instructeur.email)
    staff.fill("input[name=password]", PASSWORD)
    staff.locator("main button[type=submit]").click()
    staff.wait_for_url(re.compile("/compte/double-authentification/"))
    staff.fill("input[name=code]", _code(device.bin_key))
    staff.get_by_role("button", name="Valider le code").click()
    staff.wait_for_load_state("load")
    staff.goto(base + reverse("instruction:dossier", args=[dossier.pk]))
    staff_axe.check("page d'instruction, aucun avis")
    staff.get_by_role("link", name="Demander un avis à un expert").click()
    staff.wait_for_url(re.compile(r"/avis/dossiers/\d+/demander/$"))
    staff_axe.check("demander un avis")
    staff.fill("input[name=email]", EXPERT)
    staff.fill("textarea[name=question]", QUESTION)
    staff.fill("input[name=deadline]", clock.today().isoformat())  # today: refused, in French
    staff.locator("input[name=visibility][value=committee]").check(force=True)
    staff.get_by_role("button", name="Envoyer la demande d'avis").click()
    staff.wait_for_load_state("load")
    staff_axe.check("demander un avis — erreurs")
    assert "La date limite doit être postérieure à aujourd" in staff.content()
    staff.fill("input[name=deadline]", (clock.today() + dt.timedelta(days=10)).isoformat())
    staff.get_by_role("button", name="Envoyer la demande d'avis").click()
    staff.wait_for_url(re.compile(r"/instruction/dossiers/\d+/"))
    staff_axe.check("page d'instruction, avis en attente")
    assert "1 en attente" in staff.content() and EXPERT in staff.content()

    # the expert's two emails: the account's set-password link, and the request (no content in it)
    invitation = next(m for m in mail.outbox if EXPERT in m.to and "Votre accès" in m.subject)
    request = next(m for m in mail.outbox if EXPERT in m.to and m.subject.startswith("Demande d'avis"))
    assert QUESTION not in request.body
    link = re.search(r"https?://\S+/depot/compte/invitation/\S+/", invitation.body).group(0)

    # the expert chooses a password, enrols the second factor, lands on « Mes demandes d'avis »
    page.goto(link)
    axe.check("activer le compte d'expert")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url(re.compile("/compte/double-authentification/"))
    axe.check("enrôlement du second facteur (expert)")
    secret = page.locator("figcaption code").inner_text().strip()
    page.fill("input[name=code]", _code(b32decode(secret)))
    page.get_by_role("button", name="Valider le code").click()
    page.wait_for_url(re.compile(r"/avis/$"))
    axe.check_widths("mes demandes d'avis")
    page.get_by_role("link", name=re.compile(dossier.reference)).click()
    page.wait_for_url(re.compile(r"/avis/demandes/\d+/$"))
    axe.check_widths("demande d'avis (expert)")
    assert QUESTION in page.content() and dossier.title in page.content()

    # the answer needs the confirmation; then it is final
    page.fill("textarea[name=answer]", ANSWER)
    page.get_by_role("button", name="Envoyer mon avis (définitif)").click()
    page.wait_for_load_state("load")
    axe.check("demande d'avis — confirmation manquante")
    assert AvisRequest.objects.get().is_pending
    page.locator("input[name=confirm]").check(force=True)
    page.get_by_role("button", name="Envoyer mon avis (définitif)").click()
    page.wait_for_load_state("load")
    axe.check("avis rendu (expert)")
    assert "Votre avis est envoyé" in page.content()
    assert AvisRequest.objects.get().status == AvisRequest.Status.ANSWERED

    # the instructor reads it on the dossier's page, and finds the dossier by the list's filter
    staff.goto(base + reverse("instruction:dossier", args=[dossier.pk]))
    staff_axe.check("page d'instruction, avis rendu")
    assert ANSWER in staff.content() and "1 rendu" in staff.content()
    staff.goto(base + reverse("instruction:list") + "?avis=answered")
    staff_axe.check("liste filtrée : avis rendus")
    assert dossier.reference in staff.content()
    staff.goto(base + reverse("avis:ask-selection") + "?querystring=avis%3Danswered")
    staff_axe.check("demander un avis sur une sélection")
    context.close()

    problems = axe.violations + staff_axe.violations + axe.broken + staff_axe.broken + staff_axe.csp
    assert not problems, axe.report() + "\n" + staff_axe.report()
