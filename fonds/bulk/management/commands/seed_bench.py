"""``python manage.py seed_bench --dossiers 100000`` — a large, realistic BENCH data set, fast."""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status as S
from fonds.referentiel.models import Campaign, Commune

_INSTRUCTED = ["submit", "start_instruction", "complete_instruction"]
_APPROVED = [*_INSTRUCTED, "schedule", "approve"]
_PAID = [*_APPROVED, "accept_agreement", "pay_advance"]
#: status → (weight, path of transitions from the draft: the audit events written for it)
PATHS = {
    S.DRAFT: (8, []),
    S.SUBMITTED: (30, ["submit"]),
    S.IN_INSTRUCTION: (14, ["submit", "start_instruction"]),
    S.CORRECTIONS_REQUESTED: (5, ["submit", "start_instruction", "request_corrections"]),
    S.INELIGIBLE: (3, ["submit", "declare_ineligible"]),
    S.CLOSED_WITHOUT_FOLLOW_UP: (
        1,
        ["submit", "start_instruction", "request_corrections", "expire_corrections"],
    ),
    S.WITHDRAWN: (2, ["submit", "withdraw"]),
    S.INSTRUCTED: (9, _INSTRUCTED),
    S.IN_COMMITTEE: (4, [*_INSTRUCTED, "schedule"]),
    S.APPROVED: (4, _APPROVED),
    S.WAITLISTED: (2, [*_INSTRUCTED, "schedule", "waitlist"]),
    S.REJECTED: (5, [*_INSTRUCTED, "schedule", "reject"]),
    S.LAPSED: (1, [*_APPROVED, "lapse"]),
    S.AGREEMENT_SIGNED: (3, [*_APPROVED, "accept_agreement"]),
    S.ADVANCE_PAID: (4, _PAID),
    S.REPORT_SUBMITTED: (2, [*_PAID, "submit_report"]),
    S.RECOVERY_PENDING: (1, [*_PAID, "submit_report", "settle"]),
    S.CLOSED: (2, [*_PAID, "submit_report", "settle"]),
}

ROLE_OF = {
    "submit": Role.PORTEUR,
    "withdraw": Role.PORTEUR,
    "accept_agreement": Role.PORTEUR,
    "submit_report": Role.PORTEUR,
    "approve": Role.COMITE,
    "reject": Role.COMITE,
    "waitlist": Role.COMITE,
    "pay_advance": Role.FINANCE,
    "settle": Role.FINANCE,
    "expire_corrections": "system",
    "lapse": "system",
}
TITLES = [
    "Échange de jeunes avec notre ville jumelle",
    "Semaine sportive franco-allemande",
    "Chantier de jeunes européens",
    "Festival de musique des villes jumelles",
    "Découverte du patrimoine partagé",
    "Rencontre théâtrale des jeunes",
    "Séjour linguistique croisé",
]
BATCH = 5000


class Command(BaseCommand):
    help = (
        "Crée un jeu de données de BANC D'ESSAI (jamais en production) : N dossiers répartis sur des "
        "communes réelles du "
        "référentiel et sur tous les statuts, avec leur piste d'audit chaînée. Les dossiers sont insérés en "
        "masse "
        "(bulk_create) directement dans leur statut cible, SANS passer par perform ni par viewflow : "
        "acceptable pour un "
        "banc d'essai seulement. Les événements d'audit (un par transition du chemin de chaque dossier) sont "
        "ajoutés en lots "
        "par fonds.audit.chain.append_many, donc correctement chaînés. Les dossiers n'ont pas de processus "
        "viewflow "
        "(une transition ultérieure l'« adopte », cf. workflows/handlers.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--instructors", type=int, default=20)

    def handle(self, *args, dossiers: int, seed: int, instructors: int, **options):
        if dossiers < 1:
            raise CommandError("--dossiers doit être positif.")
        started = time.perf_counter()
        rng = random.Random(seed)
        if not Commune.objects.exists():
            call_command("import_communes", verbosity=0)
        communes = list(Commune.objects.filter(is_current=True).values_list("code", "population"))
        small = [c for c, pop in communes if pop is not None and pop <= 3500] or [c for c, _ in communes]
        if not small:
            raise CommandError("Aucune commune dans le référentiel.")
        now = clock.now()
        per_campaign = len(small)  # E7: one live dossier per commune and campaign
        n_campaigns = -(-dossiers // per_campaign)
        campaigns = []
        for k in range(n_campaigns):
            year = now.year - (n_campaigns - 1 - k)
            opens = now - dt.timedelta(days=30 + 365 * (n_campaigns - 1 - k))
            campaign = Campaign.objects.create(
                name=f"Banc d'essai — appel {year} ({k + 1}/{n_campaigns})",
                year=year,
                opens_at=opens,
                closes_at=opens + dt.timedelta(days=90),
                activity_start=(opens + dt.timedelta(days=40)).date(),
                activity_end=(opens + dt.timedelta(days=430)).date(),
                envelope=Decimal("5000000.00"),
            )
            campaign.rules  # noqa: B018 — creates rules version 1
            campaigns.append(campaign)
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
        tag = f"{int(time.time())}"
        staff = User.objects.bulk_create(
            [_user(f"bench-instructeur{i}-{tag}@bench.fjj.fr") for i in range(instructors)]
            + [_user(f"bench-{r}-{tag}@bench.fjj.fr") for r in ("comite", "finance")]
        )
        staff = list(User.objects.filter(email__endswith=f"-{tag}@bench.fjj.fr").order_by("pk"))
        through = User.groups.through
        through.objects.bulk_create(
            [
                through(
                    user_id=u.pk,
                    group_id=groups[
                        Role.INSTRUCTEUR if "instructeur" in u.email else u.email.split("-")[1]
                    ].pk,
                )
                for u in staff
            ]
        )
        instructors_ = [u for u in staff if "instructeur" in u.email]
        by_role = {
            Role.COMITE: next(u for u in staff if "-comite-" in u.email),
            Role.FINANCE: next(u for u in staff if "-finance-" in u.email),
        }

        used = small[: min(len(small), dossiers)]
        existing = dict(
            User.objects.filter(commune_id__in=used, groups__name=Role.PORTEUR).values_list(
                "commune_id", "pk"
            )
        )
        new = [
            _user(f"mairie-{code}-{tag}@bench.fjj.fr", commune_id=code)
            for code in used
            if code not in existing
        ]
        for start in range(0, len(new), BATCH):
            User.objects.bulk_create(new[start : start + BATCH])
        created = dict(
            User.objects.filter(email__endswith=f"-{tag}@bench.fjj.fr", commune_id__isnull=False).values_list(
                "commune_id", "pk"
            )
        )
        through.objects.bulk_create(
            [through(user_id=pk, group_id=groups[Role.PORTEUR].pk) for pk in created.values()],
            batch_size=BATCH,
        )
        porteurs = {**existing, **created}
        self.stdout.write(
            f"référentiel : {len(communes)} communes · {len(campaigns)} campagne(s) · {len(porteurs)} "
            f"porteurs · {len(instructors_)} instructeurs ({time.perf_counter() - started:.1f} s)"
        )

        statuses = list(PATHS)
        weights = [PATHS[s][0] for s in statuses]
        next_pk = (Dossier.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        made = events = 0
        while made < dossiers:
            n = min(BATCH, dossiers - made)
            rows, entries = [], []
            for i in range(n):
                index = made + i
                campaign = campaigns[index // per_campaign]
                code = small[index % per_campaign]
                status = rng.choices(statuses, weights)[0]
                path = PATHS[status][1]
                pk = next_pk + index
                created_at = campaign.opens_at + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 80))
                submitted_at = created_at + dt.timedelta(hours=rng.randrange(1, 200)) if path else None
                instructor = rng.choice(instructors_) if "start_instruction" in path else None
                amount = Decimal(rng.randrange(1000, 15000))
                d = Dossier(
                    pk=pk,
                    reference=f"FJJ-{campaign.year}-{pk:06d}",
                    campaign=campaign,
                    commune_id=code,
                    created_by_id=porteurs[code],
                    status=status,
                    title=rng.choice(TITLES),
                    summary="Jeu de données de banc d'essai.",
                    created_at=created_at,
                    submitted_at=submitted_at,
                    instructor=instructor,
                    requested_amount=amount,
                    rules_version=1,
                    youth_ages=[14, 15, 16, 17],
                    leader_ages=[40],
                    distance_km=rng.randrange(50, 2500),
                    nights=rng.randrange(3, 10),
                )
                if status == S.CORRECTIONS_REQUESTED:
                    d.corrections_due = now + dt.timedelta(days=rng.randrange(-10, 15))
                if status in (
                    S.INSTRUCTED,
                    S.IN_COMMITTEE,
                    S.APPROVED,
                    S.WAITLISTED,
                    S.REJECTED,
                    S.LAPSED,
                    S.AGREEMENT_SIGNED,
                    S.ADVANCE_PAID,
                    S.REPORT_SUBMITTED,
                    S.RECOVERY_PENDING,
                    S.CLOSED,
                ):
                    d.proposed_amount = amount
                if status == S.APPROVED:
                    d.approved_amount, d.agreement_due = (
                        amount,
                        now + dt.timedelta(days=rng.randrange(-5, 40)),
                    )
                if status in (S.ADVANCE_PAID,):
                    d.report_due = (now + dt.timedelta(days=rng.randrange(-30, 200))).date()
                rows.append(d)
                at = submitted_at or created_at
                source = S.DRAFT
                for step, name in enumerate(path):
                    role = ROLE_OF.get(name, Role.INSTRUCTEUR)
                    actor = {Role.PORTEUR: None, "system": None}.get(role, instructor or instructors_[0])
                    actor = by_role.get(role, actor)
                    target = status if step == len(path) - 1 else _target(path[step])
                    entries.append(
                        {
                            "action": name,
                            "actor": actor
                            if actor is not None
                            else (f"mairie-{code}" if role == Role.PORTEUR else "system"),
                            "role": role,
                            "obj": ("dossiers.dossier", pk),
                            "at": at + dt.timedelta(hours=step),
                            "payload": {
                                "reference": d.reference,
                                "from": source,
                                "to": target,
                                "motivation": "",
                                "data": {},
                                "rules_version": 1,
                                "seed_bench": True,
                            },
                        }
                    )
                    source = target
            with transaction.atomic():
                Dossier.objects.bulk_create(rows, batch_size=1000)
                audit.append_many(entries)
            made += n
            events += len(entries)
            self.stdout.write(
                f"  {made} dossiers, {events} événements d'audit ({time.perf_counter() - started:.1f} s)"
            )

        with connection.cursor() as cursor:
            # what autovacuum gives a live database: fresh statistics and, on PostgreSQL, the
            # visibility map without which index-only scans still read every heap page
            # (VACUUM cannot run in a transaction: plain ANALYZE when called inside one, as in tests)
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"{made} dossiers et {events} événements d'audit créés en "
                f"{time.perf_counter() - started:.1f} s."
            )
        )


_TARGETS = {
    "submit": S.SUBMITTED,
    "start_instruction": S.IN_INSTRUCTION,
    "request_corrections": S.CORRECTIONS_REQUESTED,
    "complete_instruction": S.INSTRUCTED,
    "schedule": S.IN_COMMITTEE,
    "approve": S.APPROVED,
    "accept_agreement": S.AGREEMENT_SIGNED,
    "pay_advance": S.ADVANCE_PAID,
    "submit_report": S.REPORT_SUBMITTED,
}


def _user(email: str, **extra) -> User:
    return User(email=email, username=email, password="!", **extra)


def _target(name: str) -> str:
    return _TARGETS[name]
