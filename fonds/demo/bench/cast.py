"""Who and when: campaigns, staff, the committee (members, sessions, attendance), one porteur and
one certified bank account per commune. Everything the dossiers' rows point at."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.comite.models import Attendance, CommitteeMember, Session
from fonds.payments.models import BankDetails
from fonds.referentiel.models import Campaign, Commune

from .keys import Keys

BATCH = 5000
MEMBERS = 9  # voting members of each campaign's committee
CLOSED_SESSIONS = 4  # sittings that decided; one more convened session holds the pending items


@dataclass
class Cast:
    campaigns: list[Campaign]
    communes: list[str]  # INSEE codes of the communes of ≤ 3,500 inhabitants
    population: dict[str, int]
    porteurs: dict[str, int]  # commune → porteur user id
    instructors: list[User]
    finance: User
    members: list[User]
    #: campaign id → (closed sessions, the convened one)
    sessions: dict[int, tuple[list[Session], Session]] = field(default_factory=dict)
    tag: str = ""


def _user(email: str, **extra) -> User:
    return User(email=email, username=email, password="!", **extra)


def _campaigns(count: int, now) -> list[Campaign]:
    campaigns = []
    for k in range(count):
        ago = count - 1 - k
        year = now.year - ago
        opens = now - dt.timedelta(days=450 + 365 * ago)  # each life over by now
        campaign = Campaign.objects.create(
            name=f"Banc d'essai — appel {year} ({k + 1}/{count})",
            year=year,
            opens_at=opens,
            closes_at=opens + dt.timedelta(days=90),
            activity_start=(opens + dt.timedelta(days=40)).date(),
            activity_end=(opens + dt.timedelta(days=430)).date(),
            envelope=Decimal("50000000.00"),
        )
        campaign.rules  # noqa: B018 — creates rules version 1
        campaigns.append(campaign)
    return campaigns


def _staff(tag: str, instructors: int) -> tuple[list[User], User, list[User]]:
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in Role.values}
    wanted = (
        [(f"bench-instructeur{i}-{tag}@bench.fjj.fr", Role.INSTRUCTEUR) for i in range(instructors)]
        + [(f"bench-finance-{tag}@bench.fjj.fr", Role.FINANCE)]
        + [(f"bench-comite{i}-{tag}@bench.fjj.fr", Role.COMITE) for i in range(MEMBERS)]
    )
    User.objects.bulk_create([_user(email) for email, _ in wanted])
    users = {u.email: u for u in User.objects.filter(email__endswith=f"-{tag}@bench.fjj.fr")}
    through = User.groups.through
    through.objects.bulk_create([through(user_id=users[e].pk, group_id=groups[r].pk) for e, r in wanted])
    by_role = {role: [users[e] for e, r in wanted if r == role] for role in Role.values}
    return by_role[Role.INSTRUCTEUR], by_role[Role.FINANCE][0], by_role[Role.COMITE]


def _porteurs(codes: list[str], tag: str) -> dict[str, int]:
    existing = dict(
        User.objects.filter(commune_id__in=codes, groups__name=Role.PORTEUR).values_list("commune_id", "pk")
    )
    new = [_user(f"mairie-{c}-{tag}@bench.fjj.fr", commune_id=c) for c in codes if c not in existing]
    User.objects.bulk_create(new, batch_size=BATCH)
    created = dict(
        User.objects.filter(email__startswith="mairie-", email__endswith=f"-{tag}@bench.fjj.fr").values_list(
            "commune_id", "pk"
        )
    )
    group = Group.objects.get(name=Role.PORTEUR)
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=pk, group_id=group.pk) for pk in created.values()], batch_size=BATCH
    )
    return {**existing, **created}


def _bank_details(codes: list[str], finance: User, now) -> None:
    have = set(BankDetails.objects.filter(commune_id__in=codes).values_list("commune_id", flat=True))
    rows = []
    for code in codes:
        if code in have:
            continue
        iban = f"FR76{int(code.replace('A', '0').replace('B', '1')):05d}0000100000000000{len(rows) % 97:02d}"
        rows.append(
            BankDetails(
                commune_id=code,
                iban=iban,
                bic="TRPUFRP1",
                holder=f"Trésor public — commune {code}",
                updated_at=now,
                certified_at=now,
                certified_by=finance,
                certified_fingerprint=hashlib.sha256(iban.encode()).hexdigest(),
            )
        )
    BankDetails.objects.bulk_create(rows, batch_size=BATCH)


def _committee(cast: Cast, keys: Keys, now) -> None:
    chair, deputy = cast.members[0], cast.members[1]
    CommitteeMember.objects.bulk_create(
        [
            CommitteeMember(campaign=c, member=m, appointed_by=chair, appointed_at=c.opens_at)
            for c in cast.campaigns
            for m in cast.members
        ]
    )
    sessions: list[Session] = []
    for campaign in cast.campaigns:
        closed = []
        for k in range(CLOSED_SESSIONS + 1):
            starts = campaign.closes_at + dt.timedelta(days=30 + 21 * k)
            sitting = k < CLOSED_SESSIONS
            session = Session(
                pk=keys.take(Session),
                campaign=campaign,
                starts_at=starts,
                place="Salle du conseil, siège du fonds",
                chair=chair,
                deputy_chair=deputy,
                status=Session.Status.CLOSED if sitting else Session.Status.CONVENED,
                created_by=chair,
                created_at=starts - dt.timedelta(days=20),
                convened_at=starts - dt.timedelta(days=15),
                opened_at=starts if sitting else None,
                ended_at=starts + dt.timedelta(hours=4) if sitting else None,
                rules_version=1,
            )
            sessions.append(session)
            closed.append(session)
        cast.sessions[campaign.pk] = (closed[:-1], closed[-1])
    Session.objects.bulk_create(sessions)
    through = Session.members.through
    through.objects.bulk_create(
        [through(session_id=s.pk, user_id=m.pk) for s in sessions for m in cast.members]
    )
    Attendance.objects.bulk_create(
        [
            Attendance(session=s, member=m, presence=Attendance.Presence.PRESENT, recorded_at=s.opened_at)
            for s in sessions
            if s.opened_at is not None
            for m in cast.members
        ]
    )


def small_communes() -> list[tuple[str, int]]:
    """(code, population) of the current communes of ≤ 3,500 inhabitants (every commune when the
    referential has no population), the referential imported first if empty."""
    if not Commune.objects.exists():
        call_command("import_communes", verbosity=0)
    rows = list(Commune.objects.filter(is_current=True).order_by("code").values_list("code", "population"))
    small = [(c, pop) for c, pop in rows if pop is not None and pop <= 3500] or [
        (c, pop or 0) for c, pop in rows
    ]
    if not small:
        raise CommandError("Aucune commune dans le référentiel.")
    return small


def make_cast(*, campaigns: int, small: list, used: list[str], instructors: int, keys: Keys, out) -> Cast:
    """Campaigns, staff and committee; a porteur and certified bank details for each ``used`` commune."""
    started = time.perf_counter()
    now = clock.now()
    tag = f"{int(time.time())}{random.randrange(1000):03d}"
    instructors_, finance, members = _staff(tag, instructors)
    cast = Cast(
        campaigns=_campaigns(campaigns, now),
        communes=[c for c, _ in small],
        population=dict(small),
        porteurs=_porteurs(used, tag),
        instructors=instructors_,
        finance=finance,
        members=members,
        tag=tag,
    )
    _bank_details(used, finance, now)
    _committee(cast, keys, now)
    out(
        f"référentiel : {len(small)} communes de 3 500 habitants au plus, {len(used)} avec dossier · "
        f"{len(cast.campaigns)} campagne(s) · {len(instructors_)} instructeurs · {MEMBERS} membres du "
        f"comité ({time.perf_counter() - started:.1f} s)"
    )
    return cast
