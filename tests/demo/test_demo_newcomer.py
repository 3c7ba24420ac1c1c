"""What a newcomer does first with the demo (issue 13, point 5): the chair opens the convened session
at once, porteur@demo.fjj.fr starts and submits a dossier in the open campaign, the SCDL export of
the demo validates against the official schema with the demonstration SIRET of the fund."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from frictionless import Resource, Schema, validate

from fonds import clock
from fonds.accounts.models import User
from fonds.comite.models import Session
from fonds.demo import DEMO_FUND_SIRET, MAIN_PORTEUR, simple_pdf
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.eligibilite.models import Verdict
from fonds.reporting import scdl
from fonds.reporting.scdl import AWARDED

from .seeded import PASSWORD, SeededDemo


class NewcomerTest(SeededDemo):
    def test_a_convened_session_with_its_agenda_can_be_opened_now_by_the_chair(self):
        session = Session.objects.get(status=Session.Status.CONVENED)
        assert session.campaign_id == self.campaign.pk
        assert session.starts_at <= self.finished  # its start time has come
        assert session.starts_at - session.convened_at >= dt.timedelta(days=5)
        items = list(session.items.select_related("dossier"))
        assert len(items) >= 3 and all(i.dossier.status == Status.IN_COMMITTEE for i in items)
        president = User.objects.get(email="president@demo.fjj.fr")
        assert session.chair_id == president.pk

        self.client.force_login(president)
        response = self.client.post(reverse("comite:open-sitting", args=[session.pk]), {"confirm": "on"})
        assert response.status_code == 302, response.content.decode()[:2000]
        session.refresh_from_db()
        assert session.status == Session.Status.SITTING and session.opened_at >= session.starts_at

    def test_porteur_demo_creates_and_submits_a_new_dossier_in_the_open_campaign(self):
        client = self.client
        response = client.post(reverse("login"), {"username": MAIN_PORTEUR, "password": PASSWORD})
        assert response.status_code == 302
        porteur = User.objects.get(email=MAIN_PORTEUR)
        page = client.get(reverse("depot:my-dossiers")).content.decode()
        new = reverse("depot:new", args=[self.campaign.pk])
        assert new in page  # « Nouveau dossier » is offered: nothing blocks (E7)

        start = clock.today() + dt.timedelta(days=60)
        response = client.post(
            new,
            {
                "title": "Échange de jeunes musiciens avec notre ville jumelle",
                "summary": "Dix jeunes, une création commune.",
                "objectives": "Créer une œuvre commune ; pratiquer la langue du partenaire.",
                "start_date": start.isoformat(),
                "end_date": (start + dt.timedelta(days=8)).isoformat(),
                "activity_days": "6",
            },
        )
        assert response.status_code == 302
        dossier = Dossier.objects.get(commune=porteur.commune, campaign=self.campaign, status=Status.DRAFT)
        step = lambda slug: reverse("depot:step", args=[dossier.pk, slug])  # noqa: E731

        jumelage = porteur.commune.jumelages.select_related("partner").get()  # E2: the commune's twin town
        assert (
            client.post(
                step("partenariat"),
                {
                    "partner_name": jumelage.partner.name,
                    "country": jumelage.partner.country,
                    "kind": jumelage.kind,
                    "agreement_date": jumelage.agreement_date.isoformat() if jumelage.agreement_date else "",
                    "letter_of_intent": "on" if jumelage.letter_of_intent else "",
                },
            ).status_code
            == 302
        )
        assert (
            client.post(
                step("participants"),
                {
                    "youth_ages": "14, 15, 15, 16, 16, 17, 17, 18",
                    "leader_ages": "35, 42",
                    "youth_fewer_opportunities": "2",
                    "youth_first_travel": "4",
                },
            ).status_code
            == 302
        )
        assert (
            client.post(
                step("voyage"),
                {
                    "travel_mode": "train",
                    "low_carbon": "on",
                    "distance_km": "850",
                    "nights": "8",
                    "nights_hosted": "4",
                },
            ).status_code
            == 302
        )
        budget = {
            "depenses-TOTAL_FORMS": "4",
            "depenses-INITIAL_FORMS": "0",
            "recettes-TOTAL_FORMS": "2",
            "recettes-INITIAL_FORMS": "0",
            "requested_amount": "5500",
        }
        for i, (category, amount) in enumerate(
            [("travel", "4000"), ("accommodation", "1500"), ("food", "1800"), ("activities", "1200")]
        ):
            budget.update(
                {
                    f"depenses-{i}-category": category,
                    f"depenses-{i}-amount": amount,
                    f"depenses-{i}-label": "",
                    f"depenses-{i}-eligible": "on",
                }
            )
        for i, (category, amount) in enumerate([("own_share", "2500"), ("participants", "500")]):
            budget.update({f"recettes-{i}-category": category, f"recettes-{i}-amount": amount})
        assert client.post(step("budget"), budget).status_code == 302
        pieces = {
            kind: SimpleUploadedFile(
                f"{kind}.pdf", simple_pdf(kind, ["Pièce du dossier."]), "application/pdf"
            )
            for kind in ("deliberation", "twinning_agreement", "partner_commitment", "rib")
        }
        assert client.post(step("pieces"), pieces).status_code == 302

        check = client.get(reverse("depot:check", args=[dossier.pk]))
        assert check.status_code == 200 and check.context["can_submit"], check.context["blocking"]
        response = client.post(reverse("depot:submit", args=[dossier.pk]), {"confirm": "on"})
        assert response.status_code == 302 and response["Location"] == reverse(
            "depot:submitted", args=[dossier.pk]
        )
        dossier.refresh_from_db()
        assert dossier.status == Status.SUBMITTED
        verdicts = dict(Verdict.objects.filter(run__dossier=dossier).values_list("code", "result"))
        assert verdicts["E7"] == verdicts["E8"] == verdicts["E2"] == verdicts["E5"] == Verdict.Result.PASS

    def test_scdl_export_of_the_demo_validates_against_the_official_schema(self):
        folder = Path(tempfile.mkdtemp(prefix="fjj-scdl-"))
        self.addCleanup(shutil.rmtree, folder, True)
        path = folder / "subventions.csv"
        err = io.StringIO()
        with self.settings(FJJ_SIRET=DEMO_FUND_SIRET):
            call_command(
                "export_decisions", "--format", "scdl", "-o", str(path), stdout=io.StringIO(), stderr=err
            )
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        awarded = Dossier.objects.filter(status__in=AWARDED)
        assert len(rows) == awarded.count() >= 6  # none held back: every demo commune has its SIRET
        assert "retenue" not in err.getvalue()
        assert {row["idAttribuant"] for row in rows} == {DEMO_FUND_SIRET}
        assert {row["idBeneficiaire"][9:13] for row in rows} == {"9999"}  # demo_siret: fictitious NIC
        report = validate(
            Resource(path=path.name, basepath=str(folder), schema=Schema.from_descriptor(scdl.schema()))
        )
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
