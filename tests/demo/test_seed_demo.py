"""``manage.py seed_demo`` on a small referential: every status, real transitions, intact audit trail, idempotent."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from fonds.accounts.models import User
from fonds.audit.chain import event_payload, verify
from fonds.audit.models import AuditEvent
from fonds.demo import DEMO_CAMPAIGN_NAME, DEMO_DOMAIN, MAIN_PORTEUR, PATHS, MAIN_PLAN, OTHER_PLAN, demo_iban, simple_pdf
from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.services import transition_names
from fonds.dossiers.states import Status
from fonds.referentiel.models import Campaign, Commune, Jumelage, PartnerTown
from tests.factories import fake_siren

PASSWORD = "mot-de-passe-de-demo-test"

STAFF = {
    "instructeur": "instructeur",
    "comite": "comite",
    "president": "comite",
    "finance": "finance",
    "auditeur": "auditeur",
    "admin": "admin",
}


def small_referential() -> dict[str, list[str]]:
    """55 metropolitan communes of 260 to 3,480 inhabitants, 5 overseas, and 6 that may never be picked."""
    rows = []
    for i in range(55):
        dep = f"{1 + i % 89:02d}"
        rows.append((f"{dep}{100 + i:03d}", f"Bourg-{i}", dep, "84", "metro", 260 + (i * 59) % 3221))
    overseas = [("97101", "971", "01", "drom"), ("97201", "972", "02", "drom"), ("97301", "973", "03", "drom"),
                ("98701", "987", "987", "com"), ("98801", "988", "988", "com")]
    for code, dep, region, zone in overseas:
        rows.append((code, f"Commune d'outre-mer {code}", dep, region, zone, 900 + int(code[-1]) * 100))
    big = [("75056", "Paris", "75", "11", "metro", 2_113_705), ("33063", "Bordeaux", "33", "75", "metro", 261_804),
           ("44184", "Saint-Nazaire", "44", "52", "metro", 72_299), ("01004", "Ambérieu-en-Bugey", "01", "84", "metro", 14_514),
           ("97411", "Saint-Denis", "974", "04", "drom", 153_810), ("35001", "Acigné", "35", "53", "metro", 3_501)]
    rows += big
    Commune.objects.bulk_create(
        Commune(code=code, name=name, departement=dep, region=region, zone=zone, population=pop, siren=fake_siren(code))
        for code, name, dep, region, zone, pop in rows
    )
    return {"big": [r[0] for r in big], "overseas": [o[0] for o in overseas]}


def seed(monkeypatch) -> str:
    monkeypatch.setenv("FJJ_DEMO_PASSWORD", PASSWORD)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Campaign, Dossier, User, Document, Jumelage, PartnerTown, AuditEvent)
    }


@pytest.mark.django_db
def test_seed_demo_covers_every_status_through_real_transitions(monkeypatch):
    referential = small_referential()
    output = seed(monkeypatch)

    campaign = Campaign.objects.get(name=DEMO_CAMPAIGN_NAME)
    assert campaign.is_open()
    assert campaign.envelope == Decimal("2000000.00")
    assert campaign.rules.version == 1
    dossiers = list(Dossier.objects.filter(campaign=campaign).select_related("commune", "created_by"))
    assert len(dossiers) >= 35

    # every one of the 18 statuses
    present = {d.status for d in dossiers}
    assert present == set(Status.values), set(Status.values) - present

    # communes: ≤ 3,500 inhabitants, some overseas, never the big ones; one live dossier per commune (E7)
    assert all(d.commune.population <= 3500 for d in dossiers)
    assert not any(d.commune_id in referential["big"] for d in dossiers)
    assert any(d.commune_id in referential["overseas"] for d in dossiers)
    live = [d.commune_id for d in dossiers if d.status not in ("withdrawn", "closed_without_follow_up", "closed", "draft")]
    assert len(live) == len(set(live))

    # accounts: one per role, the password from FJJ_DEMO_PASSWORD
    for local, role in STAFF.items():
        user = User.objects.get(email=f"{local}@{DEMO_DOMAIN}")
        assert role in user.roles and user.check_password(PASSWORD)
    admin = User.objects.get(email=f"admin@{DEMO_DOMAIN}")
    assert admin.is_staff and admin.is_superuser
    main = User.objects.get(email=MAIN_PORTEUR)
    assert main.roles == {"porteur"} and main.commune_id
    assert Dossier.objects.filter(commune=main.commune).count() == len(MAIN_PLAN)
    for d in dossiers:  # each dossier created by the porteur of its commune
        assert d.created_by.commune_id == d.commune_id and "porteur" in d.created_by.roles

    # status reached by the audited transitions: the last transition event of each dossier ends there
    names = set(transition_names())
    for d in dossiers:
        events = list(AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(d.pk)).order_by("seq"))
        assert events[0].action == "create_draft"
        moves = [e for e in events if e.action in names]
        if d.status == Status.DRAFT:
            assert not moves
        else:
            assert event_payload(moves[-1])["to"] == d.status
            assert event_payload(moves[0])["from"] == Status.DRAFT

    # submitted dossiers carry the 4 required pieces, uploaded (and audited) as real PDFs
    submitted = [d for d in dossiers if d.submitted_at]
    assert submitted
    for d in submitted:
        kinds = set(d.documents.filter(replaced_by__isnull=True).values_list("kind", flat=True))
        assert {"deliberation", "twinning_agreement", "partner_commitment", "rib"} <= kinds
    assert AuditEvent.objects.filter(action="document_uploaded").count() == Document.objects.count()
    assert Document.objects.filter(replaced_by__isnull=False).exists()  # the corrected délibération

    # communes past the convention have bank details with a demonstration SIRET (SIREN + NIC 9999x),
    # certified by finance except where the dossier waits at the signed convention
    from fonds.payments.models import BankDetails
    from fonds.referentiel.siret import is_valid_siret

    banks = list(BankDetails.objects.select_related("commune"))
    assert banks and all(is_valid_siret(b.siret, b.commune.siren) and b.siret[9:13] == "9999" for b in banks if b.commune.siren)
    assert any(b.is_certified for b in banks) and any(not b.is_certified for b in banks)

    # jumelages with real towns abroad
    assert not PartnerTown.objects.filter(country="FR").exists()
    assert PartnerTown.objects.values("country").distinct().count() >= 8

    # systems actions are the system's; the whole chain verifies
    for action in ("expire_corrections", "lapse"):
        assert AuditEvent.objects.filter(action=action, actor_id__isnull=True).exists()
    assert verify().ok

    assert "Démo créée" in output and MAIN_PORTEUR in output and "Reversement demandé" in output

    # a second run changes nothing
    before = snapshot()
    again = seed(monkeypatch)
    assert "Démo déjà présente" in again
    assert snapshot() == before
    assert verify().ok


@pytest.mark.django_db
def test_seed_demo_refuses_an_empty_referential():
    with pytest.raises(CommandError, match="import_communes"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Campaign.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_referential_too_small():
    Commune.objects.create(code="01001", name="Seule", departement="01", region="84", population=800)
    with pytest.raises(CommandError, match="il en faut"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Campaign.objects.exists()  # nothing half-written


def test_plan_covers_every_status():
    assert len(MAIN_PLAN) + len(OTHER_PLAN) >= 35
    assert set(PATHS) >= set(MAIN_PLAN + OTHER_PLAN)


def test_simple_pdf_is_a_readable_pdf_with_french_text():
    data = simple_pdf("Délibération — commune d'Évian (ça coûte 1 000 €)", ["Sighișoara : jumelage ; « échanges » de jeunes."])
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Délibération" in text and "€" in text and "Sighisoara" in text


def test_demo_iban_is_well_formed():
    iban, spaced = demo_iban("81306")
    assert iban.startswith("FR") and len(iban) == 27 and spaced.replace(" ", "") == iban
    assert int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1
