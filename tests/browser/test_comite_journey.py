"""Issue 5 in a real browser (Debian's Chromium through Playwright): a committee member opens the
session from the "Comité" menu, reads a dossier's summary and votes; then the chair closes the vote
and records the decision. axe-core runs on every page: zero serious or critical violations."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from fonds.comite import services
from fonds.comite.models import AgendaItem, Vote
from tests.comite.conftest import instructed_dossier
from tests.factories import PASSWORD, make_campaign, make_user
from fonds import clock

pytestmark = pytest.mark.browser


def _login(page, base, user):
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state("load")


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
def test_member_votes_and_chair_decides_in_the_browser(live_server, page, axe):
    base = live_server.url
    campaign = make_campaign()
    admin = make_user("admin", first_name="Alice", last_name="Admin")
    chair = make_user("comite", first_name="Claire", last_name="Présidente")
    member = make_user("comite", first_name="Bruno", last_name="Membre")
    others = [make_user("comite", first_name=n, last_name="Membre") for n in ("Chloé", "David")]
    dossier = instructed_dossier(campaign, score=82, proposed="4800.00")
    session = services.create_session(campaign, by=admin, starts_at=clock.now() + dt.timedelta(days=10), chair=chair, members=[chair, member, *others], place="Salle du conseil")
    services.build_agenda(session, by=admin)
    services.send_convocation(session, by=admin)
    services.open_sitting(session, by=chair)
    services.record_attendance(session, by=chair, presence={chair: "present", member: "present", others[0]: "present", others[1]: "absent"})
    item = session.items.get()
    services.open_vote(item, by=chair)

    # the administrator: the session form (refused empty, in French) and the agenda page
    _login(page, base, admin)
    page.goto(base + reverse("comite:session-create"))
    axe.check("nouvelle séance")
    page.get_by_role("button", name="Créer la séance").click()
    page.wait_for_load_state("load")
    assert "Choisissez la campagne." in page.content()
    axe.check("nouvelle séance (erreurs)")
    page.goto(base + reverse("comite:agenda", args=[session.pk]))
    axe.check("ordre du jour (administrateur)")
    page.goto(base + reverse("comite:envelopes"))
    axe.check("enveloppes et liste complémentaire")
    page.locator("header button[type=submit]", has_text="Se déconnecter").first.click()
    page.wait_for_load_state("load")

    # the member: Comité menu → the session → the dossier → vote
    _login(page, base, member)
    page.get_by_role("link", name="Comité").first.click()
    page.wait_for_url(re.compile(r"/comite/$"))
    axe.check("mes séances")
    session_url = reverse("comite:session", args=[session.pk])
    page.locator(f'main a[href="{session_url}"]').click()
    page.wait_for_url(re.compile(rf"/comite/seances/{session.pk}/$"))
    assert dossier.reference in page.content()
    axe.check("séance : ordre du jour")
    page.goto(base + reverse("comite:proxy", args=[session.pk]))
    axe.check("donner procuration")
    page.goto(base + reverse("comite:conflict", args=[session.pk, item.pk]))
    axe.check("déclarer un conflit d'intérêts")
    page.goto(base + session_url)
    page.get_by_role("link", name=dossier.reference).click()
    page.wait_for_url(re.compile(rf"/dossiers/{item.pk}/$"))
    html = page.content()
    assert "Grille de l'instructeur" in html and "Favorable" in html and "Le vote est ouvert" in html
    axe.check("dossier : résumé et vote")
    page.get_by_role("button", name="Voter").click()  # no choice: refused in French, nothing recorded
    page.wait_for_load_state("load")
    assert "choisissez pour, contre ou abstention" in page.content()
    assert not Vote.objects.filter(elector=member).exists()
    axe.check("vote sans choix")
    page.check("input[name=moi-choice][value=pour]", force=True)
    page.get_by_role("button", name="Voter").click()
    page.wait_for_load_state("load")
    assert "Vote « pour » enregistré" in page.content()
    assert Vote.objects.get(item=item, elector=member).choice == "pour"
    axe.check("vote enregistré")
    page.locator("header button[type=submit]", has_text="Se déconnecter").first.click()
    page.wait_for_load_state("load")

    # the chair: the sitting page, close the vote, record the decision
    services.cast_vote(item, by=others[0], choice="pour")
    _login(page, base, chair)
    page.goto(base + reverse("comite:sitting", args=[session.pk]))
    assert "Quorum de la séance" in page.content()
    axe.check("conduite de la séance")
    page.goto(base + reverse("comite:item", args=[session.pk, item.pk]))
    page.get_by_role("link", name="Clore le vote").click()
    page.wait_for_url(re.compile(r"/clore-le-vote/$"))
    axe.check("clore le vote")
    page.check("input[name=confirm]", force=True)
    page.get_by_role("button", name="Clore le vote").click()
    page.wait_for_url(re.compile(r"/decision/$"))
    assert "2 pour, 0 contre" in page.content()
    axe.check("décision")
    page.check("input[name=outcome][value=approve]", force=True)
    page.check("input[name=confirm]", force=True)
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url(re.compile(r"/seance/"))
    item.refresh_from_db()
    assert item.outcome == AgendaItem.Outcome.APPROVED
    axe.check("séance après décision")

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.blocking, axe.report()
