"""Invite accounts in bulk from a CSV file: the mayors (INSEE code, email, name) or the fund's
agents (email, name, role). ``check`` reads the file and says, line by line, what would be
invited and what is refused (unknown INSEE code, commune over the population threshold of the
current campaign's rules, duplicate in the file or already an account, invalid email or role);
``invite_line`` creates one accepted account, audited, and sends its invitation through
``fonds.depot.invitations`` (the email goes through the outbox); ``import_jobs`` runs them in a
Celery task, in chunks, with a progress bar.

Files as Excel or LibreOffice export them: UTF-8 with or without BOM (Windows-1252 read too),
``;`` or ``,`` between columns, an optional header line, INSEE codes that lost their leading zero.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from fonds import clock
from fonds.accounts.lifecycle import snapshot
from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.formats import inhabitants, number
from fonds.referentiel.models import Campaign, Commune
from fonds.referentiel.rules import setting

from ..invitations import send_invitation

MAYORS, AGENTS = "maires", "agents"
#: every commune of France (about 35,000) fits in one file; checked in the request (about 1 s per
#: 10,000 lines on SQLite), invited by a Celery task (bench/bench_csv_invite.py)
MAX_LINES = 40_000
MAX_BYTES = 4_000_000
HEADER_WORDS = {
    "insee",
    "code",
    "email",
    "courriel",
    "mail",
    "nom",
    "name",
    "role",
    "rôle",
    "adresse",
    "e-mail",
}
#: the words an agents' file may use for a role (lower case, accents kept)
ROLE_WORDS = {
    "instructeur": Role.INSTRUCTEUR,
    "instructrice": Role.INSTRUCTEUR,
    "finance": Role.FINANCE,
    "gestionnaire financier": Role.FINANCE,
    "gestionnaire financière": Role.FINANCE,
    "comite": Role.COMITE,
    "comité": Role.COMITE,
    "membre du comité": Role.COMITE,
    "membre du comite": Role.COMITE,
    "auditeur": Role.AUDITEUR,
    "auditrice": Role.AUDITEUR,
    "admin": Role.ADMIN,
    "administrateur": Role.ADMIN,
    "administratrice": Role.ADMIN,
}


class CsvUnreadable(ValueError):
    """The file as a whole cannot be read (not text, empty, too long): nothing is checked."""


@dataclass
class Line:
    number: int  # in the file, header included, from 1
    email: str
    name: str
    insee: str = ""
    roles: list[str] = field(default_factory=list)
    commune: Commune | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Report:
    kind: str
    lines: list[Line]
    campaign: Campaign | None
    max_population: int | None
    text: str  # the file as read (UTF-8), kept by the confirmation form

    @property
    def accepted(self) -> list[Line]:
        return [line for line in self.lines if not line.reasons]

    @property
    def refused(self) -> list[Line]:
        return [line for line in self.lines if line.reasons]


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise CsvUnreadable(
            f"Le fichier dépasse {MAX_BYTES // 1_000_000} Mo : découpez-le en plusieurs fichiers."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CsvUnreadable("Le fichier n'est pas un fichier texte CSV (UTF-8 attendu).") from exc


def rows(text: str) -> list[tuple[int, list[str]]]:
    """``(line number, cells)`` of the non-blank lines, the header line left out."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    found = [
        (number, [cell.strip() for cell in cells])
        for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)
        if any(cell.strip() for cell in cells)
    ]
    if found and {c.lower().replace("_", " ").split(" ")[0] for c in found[0][1]} & HEADER_WORDS:
        found = found[1:]
    if not found:
        raise CsvUnreadable("Le fichier ne contient aucune ligne à importer.")
    if len(found) > MAX_LINES:
        raise CsvUnreadable(
            f"Le fichier dépasse {number(MAX_LINES)} lignes : découpez-le en plusieurs fichiers."
        )
    return found


def current_campaign() -> Campaign | None:
    """The campaign open now (the one closing first), else the latest one."""
    now = clock.now()
    open_now = Campaign.objects.filter(opens_at__lte=now, closes_at__gte=now).order_by("closes_at").first()
    return open_now or Campaign.objects.order_by("-opens_at", "-pk").first()


def normalize_insee(value: str) -> str:
    value = value.strip().upper()
    return value.zfill(5) if value.isdigit() and len(value) < 5 else value


def parse_roles(value: str) -> list[str]:
    words = [w.strip().lower() for w in value.replace("|", "+").replace("/", "+").split("+")]
    return [ROLE_WORDS.get(w, "") for w in words if w]


def _parse(kind: str, number: int, cells: list[str]) -> Line:
    cells = [*cells, "", "", ""]
    if kind == MAYORS:
        return Line(number, email=cells[1].lower(), name=cells[2], insee=normalize_insee(cells[0]))
    line = Line(number, email=cells[0].lower(), name=cells[1])
    roles = parse_roles(cells[2])
    if not roles:
        line.reasons.append("rôle manquant (instructeur, finance, comité, auditeur ou administrateur)")
    elif "" in roles:
        line.reasons.append(
            f"rôle inconnu « {cells[2]} » (instructeur, finance, comité, auditeur ou administrateur ; "
            "les maires s'invitent avec le fichier des communes)"
        )
    line.roles = sorted(set(roles) - {""})
    return line


def check(kind: str, text: str) -> Report:
    """Every line of the file with the reasons it is refused (none: it will be invited)."""
    lines = [_parse(kind, number, cells) for number, cells in rows(text)]
    emails = {line.email for line in lines}
    taken = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    campaign, max_population = None, None
    if kind == MAYORS:
        communes = Commune.objects.in_bulk([line.insee for line in lines if line.insee])
        campaign = current_campaign()
        if campaign is not None:
            max_population = int(setting(campaign.rules.params, "eligibility", "max_population"))
    seen: dict[str, int] = {}
    for line in lines:
        try:
            validate_email(line.email)
        except ValidationError:
            line.reasons.append(f"adresse électronique invalide « {line.email} »")
        if line.email in seen:
            line.reasons.append(f"en double dans le fichier (déjà à la ligne {seen[line.email]})")
        elif line.email in taken:
            line.reasons.append("un compte existe déjà à cette adresse")
        seen.setdefault(line.email, line.number)
        if kind == MAYORS:
            _check_commune(line, communes, max_population)
    return Report(kind, lines, campaign, max_population, text)


def _check_commune(line: Line, communes: dict, max_population: int | None) -> None:
    commune = communes.get(line.insee)
    if commune is None or not commune.is_current:
        line.reasons.append(f"code INSEE inconnu « {line.insee} »")
        return
    line.commune = commune
    if max_population is not None and commune.population is not None and commune.population > max_population:
        line.reasons.append(
            f"{commune.name} compte {inhabitants(commune.population)}, au-delà du seuil de "
            f"{inhabitants(max_population)} des règles de la campagne"
        )


def _names(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return (first, last.strip()) if last else ("", first)


def invite_line(line: dict, *, commune, groups: dict, by, source: str) -> User:
    """Create the account of one accepted line (``line_data``) and invite it: one
    ``account_invited`` event (before/after) and the invitation (``invitation_sent``, email through
    the outbox). Runs inside the caller's transaction."""
    first, last = _names(line["name"])
    user = User.objects.create_user(line["email"], None, first_name=first, last_name=last, commune=commune)
    user.groups.set([groups[name] for name in (line["roles"] or [Role.PORTEUR])])
    payload = {"before": None, "after": snapshot(user), "source": f"{source}, ligne {line['number']}"}
    audit.append("account_invited", actor=by, role=Role.ADMIN, obj=user, payload=payload)
    send_invitation(user, by=by)
    return user


def line_data(line: Line) -> dict:
    """A line as a job keeps it (JSON)."""
    return {
        "number": line.number,
        "email": line.email,
        "name": line.name,
        "insee": line.insee,
        "roles": line.roles,
        "commune": line.commune.name if line.commune else "",
        "reasons": line.reasons,
    }
