"""Issues 5 and 13 in a real browser (Debian's Chromium through Playwright): a committee member opens
the session from the "Comité" menu, reads a dossier's summary and votes; then the chair closes the
vote and records the decision. A committee member on an in-committee dossier's own page finds no
decision button: the same member, as chair, runs the sitting — from its scheduled start — and
decides there. axe-core runs on every page: zero violations of any impact (issue 18)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from fonds import clock
from fonds.comite import convocation as comite_convocation
from fonds.comite import sessions
from fonds.comite import sitting as comite_sitting
from fonds.comite import votes as comite_votes
from fonds.comite.models import AgendaItem, Vote
from tests.comite.conftest import instructed_dossier
from tests.factories import PASSWORD, make_campaign, make_user

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
    session = sessions.create_session(
        campaign,
        by=admin,
        starts_at=clock.now() + dt.timedelta(days=10),
        chair=chair,
        place="Salle du conseil",
    )
    comite_convocation.build_agenda(session, by=admin)
    comite_convocation.send_convocation(session, by=admin)
    clock.travel_to(
        session.starts_at
    )  # the sitting happens on its date (the live server reads the same clock)
    comite_sitting.open_sitting(session, by=chair)
    comite_sitting.record_attendance(
        session,
        by=chair,
        presence={chair: "present", member: "present", others[0]: "present", others[1]: "absent"},
    )
    item = session.items.get()
    comite_votes.open_vote(item, by=chair)

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
    page.goto(base + reverse("comite:compositions"))
    axe.check("composition du comité (campagnes)")
    page.goto(base + reverse("comite:composition", args=[campaign.pk]))
    assert "Composition par défaut" in page.content()
    axe.check("composition du comité d'une campagne")
    page.goto(base + reverse("comite:session-create") + f"?campagne={campaign.pk}")
    assert "Membres convoqués : composition du comité" in page.content()
    axe.check("nouvelle séance (composition de la campagne)")
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
    comite_votes.cast_vote(item, by=others[0], choice="pour")
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
    assert not axe.violations, axe.report()


@pytest.mark.django_db(transaction=True)
def test_member_finds_no_decision_button_outside_the_sitting_then_decides_in_it(live_server, page, axe):
    """Issue 13: a committee member approved a dossier alone from its page. Now: the dossier page
    offers no decision; the member, chairing the session, opens the sitting at its scheduled start
    (not before), takes the attendance, puts the dossier to the vote and records the outcome."""
    base = live_server.url
    campaign = make_campaign()
    admin = make_user("admin", first_name="Alice", last_name="Admin")
    chair = make_user("comite", first_name="Claire", last_name="Présidente")
    others = [make_user("comite", first_name=n, last_name="Membre") for n in ("Bruno", "Chloé")]
    dossier = instructed_dossier(campaign, score=82, proposed="4800.00")
    session = sessions.create_session(
        campaign,
        by=admin,
        starts_at=clock.now() + dt.timedelta(days=8),
        chair=chair,
        place="Salle du conseil",
    )
    comite_convocation.build_agenda(session, by=admin)
    comite_convocation.send_convocation(session, by=admin)
    item = session.items.get()

    # the admin's pages: a convened session's date no longer changes; a planned session too close
    # to be convened in time is refused its convocation and offered another date
    soon = sessions.create_session(
        campaign, by=admin, starts_at=clock.now() + dt.timedelta(days=6), chair=chair, place="Salle des fêtes"
    )
    clock.advance(days=2)
    _login(page, base, admin)
    page.goto(base + reverse("comite:reschedule", args=[session.pk]))
    axe.check("changer la date (séance convoquée)")
    page.goto(base + reverse("comite:convocation", args=[soon.pk]))
    assert "la convocation est refusée" in page.content()
    axe.check("convocation refusée (moins de 5 jours)")
    page.get_by_role("link", name="Changer la date de la séance").click()
    page.wait_for_url(re.compile(r"/date/$"))
    axe.check("changer la date (séance programmée)")
    page.locator("header button[type=submit]", has_text="Se déconnecter").first.click()
    page.wait_for_load_state("load")

    # the member's view of the dossier itself: no decision button, and the action page refuses
    _login(page, base, chair)
    page.goto(base + reverse("dossier-detail", args=[dossier.pk]))
    html = page.content()
    assert dossier.reference in html and "En comité" in html
    for name in ("approve", "reject", "waitlist", "defer"):
        assert reverse("dossier-transition", args=[dossier.pk, name]) not in html
    assert (
        page.get_by_role("link", name="Accorder").count() == 0
        and page.get_by_role("button", name="Accorder").count() == 0
    )
    axe.check("dossier en comité (membre du comité)")

    # before the scheduled start: the sitting page says from when it can be opened
    page.goto(base + reverse("comite:sitting", args=[session.pk]))
    assert (
        "pourra être ouverte" in page.content()
        and page.get_by_role("link", name="Ouvrir la séance").count() == 0
    )
    axe.check("séance convoquée, avant l'heure")

    # at the scheduled start: open the sitting, take the attendance
    clock.travel_to(session.starts_at)
    page.goto(base + reverse("comite:sitting", args=[session.pk]))
    page.get_by_role("link", name="Ouvrir la séance").click()
    page.wait_for_url(re.compile(r"/seance/ouvrir/$"))
    axe.check("ouvrir la séance")
    page.check("input[name=confirm]", force=True)
    page.get_by_role("button", name="Ouvrir la séance").click()
    page.wait_for_url(re.compile(r"/seance/"))
    for user in (chair, *others):
        page.check(f"input[name=m{user.pk}][value=present]", force=True)
    page.get_by_role("button", name="Enregistrer l'émargement").click()
    page.wait_for_load_state("load")
    assert "3 membre(s) présent(s) ou représenté(s) sur 3" in page.content()
    axe.check("séance ouverte, émargement")

    # the dossier put to the vote in the sitting, then decided
    page.goto(base + reverse("comite:item", args=[session.pk, item.pk]))
    assert "Montant possible" in page.content()
    page.get_by_role("button", name="Ouvrir le vote").click()
    page.wait_for_load_state("load")
    page.check("input[name=moi-choice][value=pour]", force=True)
    page.get_by_role("button", name="Voter").click()
    page.wait_for_load_state("load")
    for member in others:
        comite_votes.cast_vote(item, by=member, choice="pour")
    page.goto(base + reverse("comite:close-vote", args=[session.pk, item.pk]))
    page.check("input[name=confirm]", force=True)
    page.get_by_role("button", name="Clore le vote").click()
    page.wait_for_url(re.compile(r"/decision/$"))
    assert "3 pour, 0 contre" in page.content()
    axe.check("décision en séance")
    page.check("input[name=outcome][value=approve]", force=True)
    page.check("input[name=confirm]", force=True)
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url(re.compile(r"/seance/"))
    item.refresh_from_db()
    dossier.refresh_from_db()
    assert item.outcome == AgendaItem.Outcome.APPROVED and dossier.status == "approved"
    assert str(dossier.approved_amount) == "4800.00"

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()


@pytest.mark.django_db(transaction=True)
def test_porteur_renounces_an_award_in_the_browser(live_server, page, axe):
    """The mayor's renunciation screen: motivation required, explicit confirmation, final."""
    from decimal import Decimal

    from fonds.dossiers.models import Dossier
    from tests.factories import make_commune, make_dossier

    base = live_server.url
    commune = make_commune(population=700)
    porteur = make_user("porteur", commune=commune, first_name="Marie", last_name="Maire")
    dossier = make_dossier(commune=commune, porteur=porteur)
    Dossier.objects.filter(pk=dossier.pk).update(
        status="approved",
        approved_amount=Decimal("5000.00"),
        proposed_amount=Decimal("5000.00"),
        agreement_due=clock.now() + dt.timedelta(days=30),
    )  # test setup
    _login(page, base, porteur)
    page.goto(base + reverse("suivi:dossier", args=[dossier.pk]))
    axe.check("suivi du dossier accordé")
    page.get_by_role("link", name="Renoncer à la subvention").click()
    page.wait_for_url(re.compile(r"/renonciation/$"))
    assert "La renonciation est définitive" in page.content()
    axe.check("renoncer à la subvention")
    page.get_by_role(
        "button", name="Renoncer définitivement à la subvention"
    ).click()  # nothing filled: refused
    page.wait_for_load_state("load")
    assert "Indiquez le motif de la renonciation." in page.content()
    axe.check("renoncer (erreurs)")
    page.fill("textarea[name=motivation]", "La ville partenaire annule l'échange.")
    page.check("input[name=confirm]", force=True)
    page.get_by_role("button", name="Renoncer définitivement à la subvention").click()
    page.wait_for_url(re.compile(rf"/suivi/{dossier.pk}/$"))
    dossier.refresh_from_db()
    assert dossier.status == "renounced"
    axe.check("suivi après renonciation")

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()
