"""Where the demonstration happens: communes drawn from the referential (deterministically), their
partner towns abroad and their jumelages.

Communes of 250 to 3,500 inhabitants with a SIREN, a few overseas. The committee ranks by score
then smaller population and every favourable demo dossier gets full marks, so a dossier's rank
follows from its commune (``rank_key``): the history knows which ones the committee approves.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from fonds.instruction.grid import territorial_points
from fonds.referentiel.models import Commune, Jumelage, PartnerTown, Zone

from .accounts import DemoError
from .content import distance_km
from .words import OVERSEAS_PARTNERS, WORLD_PARTNERS, Partner

MIN_POPULATION = 250  # a commune of a few dozen inhabitants cannot send 6 teenagers abroad
OVERSEAS_COUNT = 4
FAR_KM = 4000  # a trip this far makes a large grant (the past campaign's last waitlisted dossier)


def rank_key(commune: Commune, params: dict) -> tuple:
    """The committee's order between dossiers with the same instructor's marks: territorial points
    (descending), then smaller population."""
    points, _ = territorial_points(commune.population, commune.zone != Zone.METRO, params)
    return (-points, commune.population or 0)


class Places:
    def __init__(self, rng: random.Random, params: dict):
        self.rng = rng
        self.params = params
        self.partner_towns: dict[tuple, PartnerTown] = {}
        self.partners: dict[str, Partner] = {}  # commune code → its partner
        metro = [Partner.of(row) for row in WORLD_PARTNERS]
        rng.shuffle(metro)
        self.metro_partners = metro
        self.partner_index = 0

    # ---- communes ---------------------------------------------------------------------------

    def draw(self, needed: int) -> tuple[Commune, list[Commune], list[Commune]]:
        """``(main, metropolitan others, overseas)``: ``needed`` communes in all, each its own."""
        limit = int(self.params["eligibility"]["max_population"])
        base = Commune.objects.filter(
            is_current=True, population__isnull=False, population__lte=limit, siren__regex=r"^[0-9]{9}$"
        ).order_by("code")
        pool = list(base.filter(population__gte=MIN_POPULATION))
        if len(pool) < needed:
            pool = list(base)
        if len(pool) < needed:
            raise DemoError(
                f"Le référentiel ne compte que {len(pool)} commune(s) de {limit} habitants au plus (avec un "
                f"SIREN) ; il en faut {needed} pour la démonstration (une par dossier). Lancez « python "
                "manage.py import_communes »."
            )
        metro = [c for c in pool if c.zone == Zone.METRO]
        far = [c for c in pool if c.zone != Zone.METRO]
        self.rng.shuffle(far)
        overseas, seen = [], set()
        for commune in far:  # a few, from different territories
            if len(overseas) < OVERSEAS_COUNT and commune.departement not in seen:
                overseas.append(commune)
                seen.add(commune.departement)
        if len(metro) < needed - len(overseas):
            overseas = far[: needed - len(metro)]
        small = [c for c in metro if c.population < 1000] or metro
        main = self.rng.choice(small)
        others = self.rng.sample([c for c in metro if c.pk != main.pk], needed - 1 - len(overseas))
        return main, others, overseas

    # ---- partners and jumelages ---------------------------------------------------------------

    def partner_for(self, commune: Commune, *, far: bool = False) -> Partner:
        """The commune's partner town abroad (the same for all its dossiers); ``far``: 4,000 km away
        at least, when one is."""
        if commune.pk not in self.partners:
            self.partners[commune.pk] = self._pick(commune, far)
        return self.partners[commune.pk]

    def _pick(self, commune: Commune, far: bool) -> Partner:
        if far:
            choices = [p for p in self.metro_partners if distance_km(commune, p) >= FAR_KM]
            if choices:
                return choices[0]
        if commune.zone != Zone.METRO and commune.departement in OVERSEAS_PARTNERS:
            return Partner.of(self.rng.choice(OVERSEAS_PARTNERS[commune.departement]))
        partner = self.metro_partners[self.partner_index % len(self.metro_partners)]
        self.partner_index += 1
        return partner

    def jumelage(self, commune: Commune, partner: Partner) -> Jumelage:
        """The commune's jumelage with ``partner`` (the town and the link created if missing)."""
        key = (partner.name, partner.country)
        town = (
            self.partner_towns.get(key)
            or PartnerTown.objects.filter(name=partner.name, country=partner.country).first()
        )
        if town is None:
            town = PartnerTown(
                name=partner.name,
                country=partner.country,
                latitude=Decimal(partner.latitude),
                longitude=Decimal(partner.longitude),
            )
            town.full_clean()
            town.save()
        self.partner_towns[key] = town
        jumelage = Jumelage.objects.filter(commune=commune, partner=town).first()
        if jumelage is None:
            if self.rng.random() < 0.15:
                jumelage = Jumelage(
                    commune=commune, partner=town, kind=Jumelage.Kind.PARTNERSHIP, letter_of_intent=True
                )
            else:
                signed = dt.date(
                    self.rng.randint(1962, 2022), self.rng.randint(1, 12), self.rng.randint(1, 28)
                )
                jumelage = Jumelage(commune=commune, partner=town, agreement_date=signed)
            jumelage.save()
        return jumelage
