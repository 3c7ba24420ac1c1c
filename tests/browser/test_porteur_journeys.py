"""Issue 3, journeys 1–9 walked in a real browser (Debian's Chromium through Playwright) by a demo
porteur, with axe-core run on every front-office page: zero violations of any impact (issue 18).

Staff steps between the porteur's journeys (instruction, committee, payment) go through
``services.perform`` like the back office would; everything the mayor does is done in the page."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfWriter

from fonds.comite.testing import Committee
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Forum
from fonds.instruction.testing import ready_for_completion
from fonds.suivi.testing import travel_after_project
from tests.factories import PASSWORD, make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.browser


def _one_page_pdf() -> bytes:
    """A well-formed one-page PDF (pypdf reads it without a warning)."""
    writer, out = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


PDF = _one_page_pdf()


def pdf(name):
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
def test_porteur_walks_journeys_1_to_9(live_server, page, axe, clock):
    base = live_server.url
    campaign = make_campaign()
    commune = make_commune(population=950, name="Saint-Exemple-sur-Loire")
    porteur = make_user(
        "porteur", commune=commune, first_name="Marie", last_name="Dupont", email="maire@demo.fjj.fr"
    )
    instructeur, comite, finance = make_user("instructeur"), make_user("comite"), make_user("finance")
    # a second draft, for journey 6 (withdraw)
    other = make_dossier(campaign=campaign, commune=commune, porteur=porteur, title="Séjour à retirer")

    # 1. sign in → "Mes dossiers"
    page.goto(base + reverse("login"))
    axe.check("connexion")
    page.fill("input[name=username]", porteur.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/depot/$"))
    assert page.get_by_role("heading", name=re.compile("Mes dossiers")).first.is_visible()
    html = page.content()
    for text in ("Séjour à retirer", "Action attendue de votre part", "Échéance"):
        assert text in html, text
    axe.check("mes dossiers")

    # 2. build a dossier in six steps
    page.get_by_role("link", name=re.compile("Nouveau dossier")).click()
    axe.check("étape projet")
    start = clock.today() + dt.timedelta(days=60)
    page.fill("[name=title]", "Rencontre de jeunes à Mutlangen")
    page.fill(
        "[name=summary]", "Une semaine d'échanges sportifs et culturels entre les jeunes des deux villes."
    )
    page.fill("[name=objectives]", "Découvrir la langue et la culture du partenaire.")
    page.fill("[name=start_date]", start.isoformat())
    page.fill("[name=end_date]", (start + dt.timedelta(days=8)).isoformat())
    page.fill("[name=activity_days]", "7")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(re.compile(r"/etapes/partenariat/$"))
    dossier = Dossier.objects.get(title="Rencontre de jeunes à Mutlangen")
    axe.check("étape partenariat")
    page.fill("[name=partner_name]", "Mutlangen")
    page.select_option("[name=country]", "DE")
    page.check("input[name=kind][value=twinning]", force=True)
    page.fill("[name=agreement_date]", "2012-06-01")
    page.fill("[name=latitude]", "48,8253")
    page.fill("[name=longitude]", "9,7964")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(re.compile(r"/etapes/participants/$"))
    axe.check("étape participants")
    page.fill("[name=youth_ages]", "14, 15, 15, 16, 17, 17, 18, 19")
    page.fill("[name=leader_ages]", "35, 42")
    page.fill("[name=youth_fewer_opportunities]", "3")
    page.fill("[name=youth_first_travel]", "5")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(re.compile(r"/etapes/voyage/$"))
    axe.check("étape voyage")
    page.check("input[name=travel_mode][value=train]", force=True)
    page.check("[name=low_carbon]", force=True)
    if page.locator("[name=distance_km]").count():
        page.fill("[name=distance_km]", "850")
    page.fill("[name=nights]", "8")
    page.fill("[name=nights_hosted]", "4")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(re.compile(r"/etapes/budget/$"))
    axe.check("étape budget")
    page.select_option("[name=depenses-0-category]", "travel")
    page.fill("[name=depenses-0-amount]", "8000")
    page.select_option("[name=recettes-0-category]", "own_share")
    page.fill("[name=recettes-0-amount]", "2000")
    page.fill("[name=requested_amount]", "6000")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(re.compile(r"/etapes/pieces/$"))
    axe.check("étape pièces")
    for kind in ("deliberation", "twinning_agreement", "partner_commitment", "rib"):
        page.set_input_files(f"input[name={kind}]", pdf(f"{kind}.pdf"))
    page.get_by_role("button", name=re.compile("continuer|vérifi", re.I)).first.click()

    # 3. check page: E1–E9 and the amount
    page.wait_for_url(re.compile(r"/verification/$"))
    html = page.content()
    for code in [f"E{i}" for i in range(1, 10)]:
        assert code in html, code
    for text in (
        "Voyage (T)",
        "Séjour (S)",
        "Organisation (O)",
        "Total de la formule",
        "Plafond du fonds",
        "€",
    ):
        assert text in html, text
    axe.check("vérification")

    # 4. submit after confirmation → confirmation page with the receipt link
    page.get_by_role("button", name="Déposer le dossier").click()  # not confirmed: refused in French
    page.wait_for_load_state("load")
    assert "Cochez la case de confirmation pour déposer le dossier." in page.content()
    dossier.refresh_from_db()
    assert dossier.status == "draft"
    axe.check("vérification (confirmation manquante)")
    page.check("[name=confirm]", force=True)
    page.get_by_role("button", name="Déposer le dossier").click()
    page.wait_for_url(re.compile(r"/depose/$"))
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    axe.check("dépôt confirmé")
    receipt = page.get_by_role("link", name=re.compile("récépissé", re.I)).first
    with page.expect_download() as download:
        receipt.click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

    # 5. answer a correction request (the instructor's side through perform)
    perform(dossier, "start_instruction", by=instructeur)
    perform(
        dossier,
        "request_corrections",
        by=instructeur,
        motivation="Précisez l'âge des accompagnateurs et joignez un RIB lisible.",
        data={"fields": ["leader_ages"], "documents": ["rib"]},
    )
    page.goto(base + reverse("depot:my-dossiers"))
    axe.check("mes dossiers (corrections demandées)")
    page.goto(base + reverse("suivi:dossier", args=[dossier.pk]))
    axe.check("suivi du dossier (corrections demandées)")
    page.get_by_role("link", name="Demande de corrections de l'instructeur").click()
    page.wait_for_url(re.compile(r"/corrections/$"))
    assert "Précisez l'âge des accompagnateurs" in page.content()
    axe.check("corrections")
    page.get_by_role("link", name=re.compile("Corriger dans l'étape")).first.click()
    page.wait_for_url(re.compile(r"/etapes/participants/"))
    axe.check("étape participants (correction)")
    page.fill("[name=leader_ages]", "36, 42")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state("load")
    page.goto(base + reverse("depot:step", args=[dossier.pk, "pieces"]))
    page.set_input_files("input[name=rib]", pdf("rib-lisible.pdf"))
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state("load")
    axe.check("étape pièces (correction)")
    page.goto(base + reverse("suivi:corrections", args=[dossier.pk]))
    if page.locator("[name=message]").count():
        page.fill("[name=message]", "Âges corrigés et RIB remplacé.")
    page.check("[name=confirm]", force=True)
    page.get_by_role("button", name="Renvoyer le dossier corrigé").click()
    page.wait_for_load_state("load")
    dossier.refresh_from_db()
    assert dossier.status == "in_instruction" and dossier.leader_ages == [36, 42]
    axe.check("après renvoi des corrections")

    # 6. withdraw the second dossier (confirmation, motivation optional)
    page.goto(base + reverse("suivi:dossier", args=[other.pk]))
    page.get_by_role("link", name="Retirer le dossier").click()
    page.wait_for_url(re.compile(r"/retrait/$"))
    axe.check("retrait")
    page.check("[name=confirm]", force=True)
    page.get_by_role("button", name="Retirer définitivement le dossier").click()
    page.wait_for_load_state("load")
    other.refresh_from_db()
    assert other.status == "withdrawn"
    axe.check("après retrait")

    # 7. accept the convention (instruction through perform; the decision in a committee sitting)
    opinion = ready_for_completion(dossier, by=instructeur)
    perform(dossier, "complete_instruction", by=instructeur, data={"opinion": opinion})
    Committee(admin=make_user("admin"), chair=comite).decide(
        dossier, "approve"
    )  # moves the shared clock to the sitting
    dossier.refresh_from_db()
    assert dossier.status == "approved"
    page.goto(base + reverse("suivi:dossier", args=[dossier.pk]))
    axe.check("suivi du dossier (accordé)")
    page.get_by_role("link", name=re.compile("Convention attributive")).click()
    page.wait_for_url(re.compile(r"/convention/$"))
    axe.check("convention")
    page.fill("[name=signatory_name]", "Marie Dupont")
    page.locator(
        "label[for=id_accept]"
    ).click()  # the label, as a user does: it waits until nothing covers it
    page.get_by_role("button", name="Accepter la convention").click()
    page.wait_for_load_state("load")
    dossier.refresh_from_db()
    assert dossier.status == "agreement_signed"
    axe.check("convention acceptée")

    # 8. final report (the advance recorded from the payment services' forum), once the trip has happened
    perform(dossier, "pay_advance", by=finance, forum=Forum.PAYMENTS)
    page.goto(base + reverse("suivi:report", args=[dossier.pk]))
    assert page.locator("#date-depot").get_by_text(re.compile("pourra être déposé")).is_visible()
    assert page.get_by_role("link", name="Déposer le rapport final").count() == 0
    travel_after_project(clock, dossier)  # the live server shares the fund's clock
    page.goto(base + reverse("suivi:report", args=[dossier.pk]))
    axe.check("rapport final (premier brouillon)")
    page.fill(
        "[name=activity_report]", "Huit jeunes ont passé une semaine à Mutlangen : sport, langue, visites."
    )
    page.set_input_files("input[name=participant_list]", pdf("liste-signee.pdf"))
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Aperçu du solde").is_visible()
    assert "Solde à verser à la commune" in page.content() or "Trop-perçu à reverser" in page.content()
    axe.check("rapport final (solde)")
    page.get_by_role("link", name="Déposer le rapport final").click()
    page.wait_for_url(re.compile(r"/rapport/deposer/$"))
    axe.check("dépôt du rapport")
    page.check("[name=confirm]", force=True)
    page.get_by_role("button", name="Déposer le rapport final").click()
    page.wait_for_load_state("load")
    dossier.refresh_from_db()
    assert dossier.status == "report_submitted"
    axe.check("rapport déposé")

    # 9. timeline from the audit events; letters and PDFs downloadable
    page.goto(base + reverse("suivi:timeline", args=[dossier.pk]))
    html = page.content()
    for label in (
        "Dossier déposé",
        "Corrections demandées",
        "Dossier corrigé renvoyé",
        "Subvention accordée",
        "Convention acceptée",
        "Avance versée",
        "Rapport final déposé",
    ):
        assert label in html, label
    axe.check("historique")
    links = page.locator(
        "main a[href*='/documents/'], main a[href*='/pieces/'], main a[href*='liste-participants']"
    )
    hrefs = sorted({links.nth(i).get_attribute("href") for i in range(links.count())})
    assert len(hrefs) >= 6, hrefs  # receipt, convention, 4+ uploaded pieces, participant list
    for href in hrefs:
        response = page.request.get(base + href)
        assert response.status == 200, href
        assert response.body()[:4] == b"%PDF", href

    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()


def test_axe_flags_a_serious_violation(page, axe):
    """The harness itself: an image without alternative text in an untitled page is reported as blocking."""
    page.set_content(
        '<html lang="fr"><head><title>t</title><style>body{font-family:Marianne}</style></head>'
        '<body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>'
    )
    axe.check("page de contrôle")
    assert any("image-alt" in line for line in axe.blocking), axe.report()


def test_csp_violation_is_reported(page, live_server):
    """The harness itself: a page of the site with an inline script is reported (and the script blocked)."""
    from tests.browser.conftest import Axe

    checker = Axe(page)
    page.goto(live_server.url + "/connexion/")  # a real page: the site's CSP header applies
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1'; "
        "document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.ran") == "undefined"  # the inline script did not run
    assert checker.csp, "la violation de CSP n'a pas été signalée"
