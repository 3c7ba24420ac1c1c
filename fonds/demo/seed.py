"""``seed_demo()``: writes the demonstration's history once, in one transaction, then puts the
clock back (see ``fonds.demo.history``); ``SeedResult`` is what the command prints.

Idempotent: the open demo campaign is recognised by its name; when it exists nothing is written
(the audit trail is append-only: the demo is never deleted nor rebuilt). Deterministic for a given
referential (``random.Random(SEED)``), dates excepted: the history is built around today.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from dsfr.models import DsfrConfig

from fonds import clock
from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.comite.models import Session
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.formats import euros
from fonds.referentiel.models import Campaign, Commune

from .accounts import (
    ACTOR_LABEL,
    DEFAULT_PASSWORD,
    DEMO_DOMAIN,
    MAIN_PORTEUR,
    PASSWORD_ENV,
    STAFF_ACCOUNTS,
    Accounts,
    DemoError,
)
from .history import History
from .open_call import NAME as DEMO_CAMPAIGN_NAME
from .timeline import eager_tasks

SEED = 2026


@dataclass
class SeedResult:
    created: bool
    campaign: Campaign  # the open campaign
    past: Campaign | None = None
    counts: dict = field(default_factory=dict)  # status → number of dossiers (both campaigns)
    accounts: list = field(default_factory=list)  # (email, role label, commune or "", detail)
    porteurs: list = field(default_factory=list)  # (email, commune, status label, reference)
    session: Session | None = None  # the convened session, ready to sit
    communes: int = 0
    overseas: int = 0
    elapsed: float = 0.0
    password_from_env: bool = False

    def summary_lines(self) -> list[str]:
        c = self.campaign
        if not self.created:
            total = Dossier.objects.filter(campaign=c).count()
            return [f"Démo déjà présente : campagne « {c.name} » ({total} dossiers). Rien n'a été modifié."]
        when = lambda moment: timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M")  # noqa: E731
        total = sum(self.counts.values())
        lines = ["Démo créée en " + f"{self.elapsed:.1f}".replace(".", ",") + " s."]
        if self.past is not None:
            lines.append(
                f"Campagne pilote close « {self.past.name} » : enveloppe {euros(self.past.envelope)}, "
                f"comité du {dt.date.fromisoformat(self.past.committee_dates[0]):%d/%m/%Y}, voyages faits."
            )
        lines.append(
            f"Campagne ouverte « {c.name} » : dépôts jusqu'au {when(c.closes_at)}, enveloppe "
            f"{euros(c.envelope)}, période d'activité du {c.activity_start:%d/%m/%Y} au "
            f"{c.activity_end:%d/%m/%Y}."
        )
        if self.session is not None:
            items = self.session.items.select_related("dossier").order_by("rank")
            lines.append(
                f"Séance du comité convoquée pour le {when(self.session.starts_at)}, pas encore ouverte : "
                f"{', '.join(i.dossier.reference for i in items)} — president@{DEMO_DOMAIN} peut l'ouvrir."
            )
        lines.append(
            f"{total} dossiers dans {self.communes} communes (dont {self.overseas} outre-mer), par statut :"
        )
        width = max(len(s.label) for s in Status)
        for status in Status:
            lines.append(f"  {status.label:<{width}}  {self.counts.get(status.value, 0):>3}")
        if self.password_from_env:
            lines.append(f"Comptes — mot de passe : celui de la variable {PASSWORD_ENV} :")
        else:
            lines.append(
                f"Comptes — mot de passe « {DEFAULT_PASSWORD} » (à changer avec la variable {PASSWORD_ENV}) :"
            )
        for email, role, commune, detail in self.accounts:
            extra = f" — {commune}" if commune else ""
            extra += f" — {detail}" if detail else ""
            lines.append(f"  {email:<34} {role}{extra}")
        lines.append("Porteurs des autres communes (un par commune) :")
        for email, commune, status, reference in self.porteurs:
            lines.append(f"  {email:<34} {commune} — {reference} ({status})")
        return lines


def existing_demo() -> Campaign | None:
    return Campaign.objects.filter(name=DEMO_CAMPAIGN_NAME).first()


def seed_demo(*, password: str | None = None) -> SeedResult:
    """Write the demo (in one transaction) unless its open campaign already exists."""
    found = existing_demo()
    if found is not None:
        return SeedResult(created=False, campaign=found)
    if not Commune.objects.exists():
        raise DemoError(
            "Le référentiel des communes est vide : lancez d'abord « python manage.py import_communes » "
            "(il charge les communes depuis fixtures/), puis relancez « python manage.py seed_demo »."
        )
    started = time.perf_counter()
    origin = clock.now()
    accounts = Accounts(password)
    with eager_tasks(), transaction.atomic():
        history = History(rng=random.Random(SEED), accounts=accounts, origin=origin)
        with clock.travel(origin):  # the history moves the clock; the caller's clock is back afterwards
            history.plan()
            history.timeline.start()
            history.timeline.run()
        history.timeline.beat(force=True)  # the fund's beat, now: nothing is left overdue
        result = _result(history, accounts)
        _dsfr_config()
        audit.append_many(
            [
                {
                    "action": "demo.seeded",
                    "actor_label": ACTOR_LABEL,
                    "obj": history.open,
                    "payload": {
                        "campaigns": [history.pilot.pk, history.open.pk],
                        "dossiers": sum(result.counts.values()),
                        "statuses": dict(sorted(result.counts.items())),
                        "seed": SEED,
                        "session_ready": history.sessions["prochaine"].pk,
                    },
                }
            ]
        )
    result.elapsed = time.perf_counter() - started
    return result


def _result(history: History, accounts: Accounts) -> SeedResult:
    campaigns = [history.pilot, history.open]
    result = SeedResult(
        created=True,
        campaign=history.open,
        past=history.pilot,
        session=history.sessions["prochaine"],
        password_from_env=accounts.password_from_env,
    )
    for status in Dossier.objects.filter(campaign__in=campaigns).values_list("status", flat=True):
        result.counts[status] = result.counts.get(status, 0) + 1
    communes = {case.commune.pk: case.commune for case in history.cases}
    result.communes = len(communes)
    result.overseas = sum(1 for c in communes.values() if c.zone != "metro")
    main = history.main
    mine = Dossier.objects.filter(commune=main).order_by("created_at")
    detail = ", ".join(f"{d.reference} ({d.get_status_display().lower()})" for d in mine)
    result.accounts = [(MAIN_PORTEUR, Role.PORTEUR.label, f"{main.name} ({main.code})", detail)]
    for local, role, *_ in STAFF_ACCOUNTS:
        detail = "préside les séances du comité" if local == "president" else ""
        if local == "admin":
            detail = "accès à l'administration Django (superutilisateur)"
        result.accounts.append((f"{local}@{DEMO_DOMAIN}", Role(role).label, "", detail))
    for case in history.cases:
        if case.commune.pk != main.pk:
            dossier = Dossier.objects.get(pk=case.dossier.pk)
            result.porteurs.append(
                (
                    case.porteur.email,
                    f"{case.commune.name} ({case.commune.code})",
                    Status(dossier.status).label.lower(),
                    dossier.reference,
                )
            )
    return result


def _dsfr_config() -> None:
    if not DsfrConfig.objects.exists():
        DsfrConfig.objects.create(
            site_title="Fonds Jumelages Jeunesse",
            site_tagline="Mobilité des jeunes des petites communes",
            language="fr",
        )
