"""Issue 16, the conversation in a real browser: the instructor requests corrections; the mayor
reads the request and the named items in the email and on the page where they answer, corrects,
resends with a reply; the instructor sees the reply and the diff. axe-core on every page visited,
including the notification centre, the preferences page and both sides' inboxes."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from fonds.dossiers.models import Dossier, Message
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from tests.factories import PASSWORD, make_campaign, make_commune, make_dossier, make_user

from .conftest import AXE_JS, Axe

pytestmark = pytest.mark.browser

REQUEST = "Merci de préciser les objectifs pédagogiques de la semaine."
NEW_OBJECTIVES = "Trois ateliers de langue et un projet commun de court métrage."
REPLY = "Objectifs précisés, voir l'étape du projet."
BULK = "La date limite des conventions est avancée au 15 mars."


def _login(page, base, user):
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
def test_corrections_through_the_conversation_in_the_browser(live_server, chromium, page, axe, settings):
    base = live_server.url
    settings.FJJ_SITE_URL = base  # the emails' absolute links lead to this live server
    commune = make_commune(name="Saint-Exemple-sur-Loire")
    porteur = make_user("porteur", commune=commune, first_name="Marie", last_name="Dupont")
    instructeur = make_user("instructeur", first_name="Ines", last_name="Instructrice")
    dossier = make_dossier(campaign=make_campaign(), commune=commune, porteur=porteur)
    old_objectives = dossier.objectives
    perform(dossier, "submit", by=porteur)
    perform(dossier, "start_instruction", by=instructeur)

    # the instructor, in a context of their own
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.route(
        "**/__axe__/axe.min.js",
        lambda route: route.fulfill(path=str(AXE_JS), content_type="application/javascript"),
    )
    staff = context.new_page()
    staff_axe = Axe(staff)
    _login(staff, base, instructeur)
    staff.goto(base + reverse("instruction:corrections", args=[dossier.pk]))
    staff.locator("input[name=fields_to_fix][value=objectives]").check(force=True)
    staff.fill("textarea[name=message]", REQUEST)
    staff.locator("input[name=confirm]").check(force=True)
    staff.get_by_role("button", name="Demander les corrections").click()
    staff.wait_for_load_state("load")
    assert Dossier.objects.get(pk=dossier.pk).status == Status.CORRECTIONS_REQUESTED

    # the mayor's email: the message, the named item, a direct link to the corrections page
    (email,) = [m for m in mail.outbox if porteur.email in m.to and m.subject.startswith("Corrections")]
    corrections_url = base + reverse("suivi:corrections", args=[dossier.pk])
    assert REQUEST in email.body and "Objectifs" in email.body and corrections_url in email.body

    # the mayor reads the request in full where they answer, corrects, resends with a reply
    _login(page, base, porteur)
    page.goto(corrections_url)
    axe.check("demande de corrections (lien du courriel)")
    assert REQUEST in page.content()
    page.goto(base + reverse("notifications:centre"))
    axe.check("mes notifications (commune)")
    assert "Corrections demandées" in page.content()
    page.goto(base + reverse("notifications:preferences"))
    axe.check("préférences de notification (commune)")
    page.goto(base + reverse("depot:check", args=[dossier.pk]))
    axe.check("vérifier et renvoyer")
    html = page.content()
    assert REQUEST in html and "Objectifs" in html and "déjà été déposé" not in html
    page.get_by_role("link", name=re.compile("Corriger dans l'étape « Le projet »")).click()
    page.wait_for_url(re.compile(r"/etapes/projet/$"))
    axe.check("étape projet en corrections")
    assert REQUEST in page.content()
    page.fill("[name=objectives]", NEW_OBJECTIVES)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state("load")
    page.goto(base + reverse("depot:check", args=[dossier.pk]))
    page.fill("textarea[name=message]", REPLY)
    page.locator("input[name=confirm]").check(force=True)
    page.get_by_role("button", name="Renvoyer le dossier corrigé").click()
    page.wait_for_url(re.compile(r"/suivi/\d+/$"))
    axe.check("suivi du dossier")
    assert Dossier.objects.get(pk=dossier.pk).status == Status.IN_INSTRUCTION
    page.goto(base + reverse("conversation:thread", args=[dossier.pk]))
    axe.check("conversation")
    assert REQUEST in page.content() and REPLY in page.content()
    page.goto(base + reverse("conversation:inbox"))
    axe.check("messagerie")

    # the instructor's notices: the centre (marking one read), the preferences, the inbox
    staff.goto(base + reverse("notifications:centre"))
    staff_axe.check("mes notifications (instruction)")
    assert "corrigé" in staff.content()
    staff.get_by_role("button", name=re.compile("Marquer comme lue")).first.click()
    staff.wait_for_load_state("load")
    staff_axe.check("mes notifications après lecture")
    staff.goto(base + reverse("notifications:preferences"))
    staff_axe.check("préférences de notification (instruction)")
    staff.locator("input[name=queue_entered][value=immediate]").check(force=True)  # digest by default
    staff.get_by_role("button", name="Enregistrer mes préférences").click()
    staff.wait_for_load_state("load")
    staff_axe.check("préférences enregistrées")
    assert "Vos préférences sont enregistrées." in staff.content()
    assert staff.locator("input[name=queue_entered][value=immediate]").is_checked()
    staff.goto(base + reverse("conversation:inbox"))
    staff_axe.check("messagerie (instruction)")
    assert dossier.reference in staff.content()

    # one message to the whole filtered selection: a bulk job, its progress and refusals
    staff.goto(base + reverse("instruction:bulk") + f"?querystring=campaign%3D{dossier.campaign_id}")
    staff_axe.check("action groupée : message")
    staff.locator("input[name=action][value=message]").check(force=True)
    staff.fill("textarea[name=message]", BULK)
    staff.locator("input[name=confirm]").check(force=True)
    staff.get_by_role("button", name=re.compile("Lancer l'action")).click()
    staff.wait_for_url(re.compile(r"/actions-groupees/\d+/$"))
    staff_axe.check("action groupée : suivi du lot")
    assert BULK in "".join(Message.objects.filter(dossier=dossier).values_list("body", flat=True))

    # the instructor sees the reply beside the changed field, before → after
    staff.goto(base + reverse("instruction:dossier", args=[dossier.pk]))
    staff_axe.check("instruction avec la réponse")
    html = staff.content()
    assert REPLY in html and old_objectives in html and NEW_OBJECTIVES in html
    assert "Réponse à la demande de corrections" in html
    context.close()

    for checker in (axe, staff_axe):
        assert not checker.broken, checker.report()
        assert not checker.blocking, checker.report()
        assert not checker.csp, checker.report()
