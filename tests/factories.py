"""Builders for test data that satisfies the règlement (an eligible dossier by default)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from stdnum import luhn

from fonds import clock
from fonds.accounts.models import User
from fonds.dossiers.models import BudgetLine, Document, Dossier
from fonds.referentiel.models import Campaign, Commune, Jumelage, PartnerTown

_seq = itertools.count(1)
PASSWORD = "mot-de-passe-solide-2026"
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n168\n%%EOF\n"
)


def fake_siren(code: str) -> str:
    """A fictitious SIREN with a valid check digit (``2``, the code, ``00``, the Luhn digit)."""
    stem = f"2{code}00"[:8]
    return stem + luhn.calc_check_digit(stem) if stem.isdigit() else f"2{code}000"[:9]


def make_commune(code: str | None = None, population: int = 800, zone: str = "metro", **extra) -> Commune:
    code = code or f"{90000 + next(_seq):05d}"[-5:]
    defaults = dict(
        name=f"Commune {code}",
        departement=code[:2],
        region="84",
        zone=zone,
        population=population,
        siren=fake_siren(code),
    )
    defaults.update(extra)
    commune, _ = Commune.objects.update_or_create(code=code, defaults=defaults)
    return commune


def make_campaign(**extra) -> Campaign:
    now = clock.now()
    defaults = dict(
        name=f"Appel à projets {now.year} n°{next(_seq)}",
        year=now.year,
        opens_at=now - dt.timedelta(days=30),
        closes_at=now + dt.timedelta(days=60),
        activity_start=(now + dt.timedelta(days=10)).date(),
        activity_end=(now + dt.timedelta(days=400)).date(),
        envelope=Decimal("500000.00"),
    )
    defaults.update(extra)
    return Campaign.objects.create(**defaults)


def make_user(
    role: str | list[str] | None = None, *, commune: Commune | None = None, email: str | None = None, **extra
) -> User:
    roles = [role] if isinstance(role, str) else list(role or [])
    email = email or f"{(roles[0] if roles else 'user')}{next(_seq)}@test.fjj.fr"
    user = User.objects.create_user(email, PASSWORD, commune=commune, **extra)
    for name in roles:
        user.groups.add(
            Group.objects.get_or_create(name=name)[0]
        )  # transaction=True tests flush data migrations
    return user


def make_jumelage(
    commune: Commune, *, country: str = "DE", name: str = "Partnerstadt", lat="48.137154", lon="11.576124"
) -> Jumelage:
    partner = PartnerTown.objects.create(
        name=f"{name} {next(_seq)}", country=country, latitude=Decimal(lat), longitude=Decimal(lon)
    )
    return Jumelage.objects.create(commune=commune, partner=partner, agreement_date=dt.date(2015, 6, 1))


#: the four required pieces with the names a mayor would give them (shown in documents)
DOCUMENT_NAMES = {
    "deliberation": "deliberation.pdf",
    "twinning_agreement": "lettre-de-jumelage.pdf",
    "partner_commitment": "engagement-du-partenaire.pdf",
    "rib": "rib.pdf",
}


def make_dossier(
    *,
    campaign: Campaign | None = None,
    commune: Commune | None = None,
    porteur: User | None = None,
    complete: bool = True,
    **extra,
) -> Dossier:
    """A draft dossier; with ``complete`` it meets every rule E1–E9 (so it can be submitted)."""
    campaign = campaign or make_campaign()
    commune = commune or make_commune()
    porteur = porteur or make_user("porteur", commune=commune)
    fields = dict(
        campaign=campaign,
        commune=commune,
        created_by=porteur,
        title="Échange de jeunes avec notre ville jumelle",
    )
    if complete:
        start = max(campaign.activity_start, clock.today() + dt.timedelta(days=45))
        fields.update(
            jumelage=make_jumelage(commune),
            summary="Une semaine d'échanges sportifs et culturels.",
            objectives="Découvrir la langue et la culture du partenaire.",
            start_date=start,
            end_date=start + dt.timedelta(days=8),
            activity_days=7,
            youth_ages=[14, 15, 15, 16, 17, 17, 18, 19],
            leader_ages=[35, 42],
            youth_fewer_opportunities=3,
            youth_first_travel=5,
            travel_mode="train",
            low_carbon=True,
            distance_km=850,
            nights=8,
            nights_hosted=4,
            requested_amount=Decimal("6000.00"),
        )
    fields.update(extra)
    dossier = Dossier.objects.create(**fields)
    if complete:
        for kind, category, amount in [
            ("expense", "travel", "6000"),
            ("expense", "accommodation", "2000"),
            ("expense", "activities", "1500"),
            ("expense", "food", "500"),
            ("income", "own_share", "2000"),
            ("income", "participants", "2000"),
        ]:
            BudgetLine.objects.create(dossier=dossier, kind=kind, category=category, amount=Decimal(amount))
        for kind, name in DOCUMENT_NAMES.items():
            Document.objects.create(
                dossier=dossier,
                kind=kind,
                file=ContentFile(PDF_BYTES, name=f"{kind}.pdf"),
                original_name=name,
                content_type="application/pdf",
                size=len(PDF_BYTES),
                sha256="0" * 64,
                uploaded_by=porteur,
            )
    return dossier
