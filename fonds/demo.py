"""Demo data for ``python manage.py seed_demo``: one open campaign, one account per role and
about forty dossiers in every status of the state machine.

Nothing here writes a status: every dossier is created by ``editing.create_draft``, its pieces
uploaded by ``documents.add_document`` and its status reached through the real transitions
(``services.perform``), by the user whose role allows each one (``None`` for the system). The
audit trail of the demo is therefore the one the application would have written, and
``manage.py verify_audit`` holds afterwards.

Deterministic: the communes are drawn with ``random.Random(2026)`` from the referential
(communes of 250 to 3,500 inhabitants, a few overseas), so two databases with the same referential
get the same demo (dates excepted: the campaign is built around today).

Idempotent: the demo campaign is recognised by its name; when it exists nothing is written
(the audit trail is append-only: the demo is never deleted nor rebuilt).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import textwrap
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit import chain as audit
from fonds.dossiers import editing, services
from fonds.dossiers.models import Document, Dossier
from fonds.dossiers.states import Status
from fonds.formats import euros, inhabitants
from fonds.referentiel.geo import great_circle_km
from fonds.referentiel.models import Campaign, Commune, Jumelage, PartnerTown, Zone
from fonds.referentiel.siret import demo_siret
from fonds import clock

DEMO_CAMPAIGN_NAME = "Appel à projets « Jumelages jeunesse » — démonstration"
DEMO_DOMAIN = "demo.fjj.fr"
PASSWORD_ENV = "FJJ_DEMO_PASSWORD"
DEFAULT_PASSWORD = "demo-jumelages-2026"
SEED = 2026
ENVELOPE = Decimal("2000000.00")
MIN_POPULATION = 250  # a commune of a few dozen inhabitants cannot send 6 teenagers abroad
OVERSEAS_COUNT = 4
ACTOR_LABEL = "manage.py seed_demo"
PARIS = ZoneInfo("Europe/Paris")

CENT = Decimal("0.01")


class DemoError(Exception):
    """The demo cannot be seeded (message in French, for the command line)."""


# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------

#: (local part, role, first name, last name, staff) — the fund's staff accounts
STAFF_ACCOUNTS = [
    ("instructeur", Role.INSTRUCTEUR, "Camille", "Martin", False),
    ("comite", Role.COMITE, "Julien", "Bernard", False),
    ("president", Role.COMITE, "Hélène", "Dubois", False),
    ("finance", Role.FINANCE, "Sophie", "Laurent", False),
    ("auditeur", Role.AUDITEUR, "Marc", "Lefebvre", False),
    ("admin", Role.ADMIN, "Nadia", "Moreau", True),
]
MAIN_PORTEUR = f"porteur@{DEMO_DOMAIN}"


def porteur_email(commune_code: str, main: bool = False) -> str:
    return MAIN_PORTEUR if main else f"porteur-{commune_code.lower()}@{DEMO_DOMAIN}"


def demo_password() -> str:
    return os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD


# ---------------------------------------------------------------------------------------------
# Partner towns abroad (real towns, town-hall coordinates rounded to 4 decimals)
# ---------------------------------------------------------------------------------------------

#: ISO code → (French name, "in <country>" phrase, language practised)
COUNTRIES = {
    "AT": ("Autriche", "en Autriche", "allemand"),
    "BE": ("Belgique", "en Belgique", "néerlandais"),
    "BR": ("Brésil", "au Brésil", "portugais"),
    "CA": ("Canada", "au Canada", "anglais"),
    "CK": ("Îles Cook", "aux Îles Cook", "anglais"),
    "CZ": ("Tchéquie", "en Tchéquie", "tchèque"),
    "DE": ("Allemagne", "en Allemagne", "allemand"),
    "DK": ("Danemark", "au Danemark", "danois"),
    "DM": ("Dominique", "à la Dominique", "anglais"),
    "ES": ("Espagne", "en Espagne", "espagnol"),
    "GR": ("Grèce", "en Grèce", "grec"),
    "HR": ("Croatie", "en Croatie", "croate"),
    "HU": ("Hongrie", "en Hongrie", "hongrois"),
    "IE": ("Irlande", "en Irlande", "anglais"),
    "IT": ("Italie", "en Italie", "italien"),
    "JP": ("Japon", "au Japon", "japonais"),
    "KM": ("Comores", "aux Comores", "comorien"),
    "LC": ("Sainte-Lucie", "à Sainte-Lucie", "anglais"),
    "LU": ("Luxembourg", "au Luxembourg", "luxembourgeois"),
    "MA": ("Maroc", "au Maroc", "arabe"),
    "MU": ("Maurice", "à Maurice", "anglais"),
    "NZ": ("Nouvelle-Zélande", "en Nouvelle-Zélande", "anglais"),
    "PL": ("Pologne", "en Pologne", "polonais"),
    "PT": ("Portugal", "au Portugal", "portugais"),
    "RO": ("Roumanie", "en Roumanie", "roumain"),
    "SN": ("Sénégal", "au Sénégal", "wolof"),
    "SR": ("Suriname", "au Suriname", "néerlandais"),
    "VU": ("Vanuatu", "au Vanuatu", "bichelamar"),
    "WS": ("Samoa", "aux Samoa", "samoan"),
}

#: (name, ISO country, latitude, longitude[, "in <region>" phrase, language]) — partners of metropolitan communes
WORLD_PARTNERS = [
    ("Rothenburg ob der Tauber", "DE", "49.3772", "10.1789"),
    ("Bad Urach", "DE", "48.4919", "9.3989"),
    ("Sankt Wendel", "DE", "49.4667", "7.1667"),
    ("Altötting", "DE", "48.2264", "12.6764"),
    ("Königswinter", "DE", "50.6833", "7.1833"),
    ("Montepulciano", "IT", "43.0920", "11.7800"),
    ("Bardolino", "IT", "45.5500", "10.7167"),
    ("Alberobello", "IT", "40.7833", "17.2333"),
    ("Castelnuovo di Garfagnana", "IT", "44.1000", "10.4000"),
    ("Jaca", "ES", "42.5700", "-0.5492"),
    ("Ronda", "ES", "36.7423", "-5.1671"),
    ("Olite", "ES", "42.4817", "-1.6511"),
    ("Kazimierz Dolny", "PL", "51.3200", "21.9500"),
    ("Zakopane", "PL", "49.2992", "19.9496"),
    ("Óbidos", "PT", "39.3606", "-9.1571"),
    ("Ponte de Lima", "PT", "41.7672", "-8.5833"),
    ("Kinsale", "IE", "51.7075", "-8.5306"),
    ("Dingle", "IE", "52.1408", "-10.2689"),
    ("Sighișoara", "RO", "46.2197", "24.7964"),
    ("Sibiu", "RO", "45.7983", "24.1256"),
    ("Podor", "SN", "16.6500", "-14.9500"),
    ("Saint-Louis", "SN", "16.0326", "-16.4818"),
    ("Baie-Saint-Paul", "CA", "47.4419", "-70.4983", "au Québec", "français du Québec"),
    ("Rimouski", "CA", "48.4489", "-68.5236", "au Québec", "français du Québec"),
    ("Takayama", "JP", "36.1461", "137.2522"),
    ("Obama", "JP", "35.4953", "135.7467"),
    ("Durbuy", "BE", "50.3528", "5.4564", "en Belgique", "wallon"),
    ("Český Krumlov", "CZ", "48.8127", "14.3175"),
    ("Rovinj", "HR", "45.0812", "13.6387"),
    ("Nafplio", "GR", "37.5673", "22.8016"),
    ("Chefchaouen", "MA", "35.1688", "-5.2636"),
    ("Vianden", "LU", "49.9350", "6.2089"),
    ("Szentendre", "HU", "47.6694", "19.0756"),
    ("Ribe", "DK", "55.3280", "8.7600"),
    ("Hallstatt", "AT", "47.5622", "13.6493"),
]

#: partners of overseas communes, by département / collectivité code
OVERSEAS_PARTNERS = {
    "971": [("Roseau", "DM", "15.3014", "-61.3883"), ("Portsmouth", "DM", "15.5833", "-61.4667")],
    "972": [("Castries", "LC", "14.0101", "-60.9875"), ("Soufrière", "LC", "13.8566", "-61.0564")],
    "973": [("Oiapoque", "BR", "3.8417", "-51.8331"), ("Albina", "SR", "5.4969", "-54.0544")],
    "974": [("Curepipe", "MU", "-20.3167", "57.5167")],
    "975": [("Fortune", "CA", "47.0733", "-55.8289", "à Terre-Neuve (Canada)", "anglais")],
    "976": [("Mutsamudu", "KM", "-12.1667", "44.4000")],
    "986": [("Apia", "WS", "-13.8333", "-171.7667")],
    "987": [("Avarua", "CK", "-21.2078", "-159.7750"), ("Rotorua", "NZ", "-38.1368", "176.2497")],
    "988": [("Port-Vila", "VU", "-17.7333", "168.3167"), ("Luganville", "VU", "-15.5333", "167.1667")],
}

#: approximate centre of each region (or overseas collectivité): the commune's coordinates are
#: not in the referential, so the declared distance is computed from here
REGION_CENTRES = {
    "11": (48.71, 2.50), "24": (47.48, 1.69), "27": (47.24, 4.81), "28": (49.12, 0.11),
    "32": (49.97, 2.78), "44": (48.69, 5.62), "52": (47.47, -0.82), "53": (48.18, -2.84),
    "75": (45.19, 0.20), "76": (43.70, 2.14), "84": (45.51, 4.54), "93": (43.96, 6.06),
    "94": (42.15, 9.11), "01": (16.20, -61.55), "02": (14.64, -61.02), "03": (4.00, -53.00),
    "04": (-21.13, 55.53), "06": (-12.82, 45.15), "975": (46.78, -56.18), "977": (17.90, -62.83),
    "978": (18.07, -63.05), "986": (-13.28, -176.17), "987": (-17.65, -149.43), "988": (-21.30, 165.50),
}
FRANCE_CENTRE = (46.60, 2.40)


@dataclass(frozen=True)
class Partner:
    name: str
    country: str
    latitude: str
    longitude: str
    in_country: str
    language: str

    @classmethod
    def of(cls, row: tuple) -> "Partner":
        name, country, lat, lon, *extra = row
        _, in_country, language = COUNTRIES[country]
        if extra:
            in_country, language = extra
        return cls(name, country, lat, lon, in_country, language)


# ---------------------------------------------------------------------------------------------
# French wording
# ---------------------------------------------------------------------------------------------

def de(name: str) -> str:
    """``de Vézelay``, ``d'Óbidos``, ``du Mesnil`` (Le …), ``des Rousses`` (Les …)."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    first = unicodedata.normalize("NFKD", name[:1]).encode("ascii", "ignore").decode().lower()
    if first and first in "aeiouy":
        return "d'" + name
    return "de " + name


def a(name: str) -> str:
    """``à Vézelay``, ``au Mesnil``, ``aux Rousses``."""
    if name.startswith("Le "):
        return "au " + name[3:]
    if name.startswith("Les "):
        return "aux " + name[4:]
    return "à " + name


THEMES = [
    dict(
        title="Tournoi sportif des jeunes jumelés {a_partner}",
        summary="Pendant {days} jours, {youth} jeunes {de_commune} retrouvent leurs homologues {de_partner} ({in_country}) pour un tournoi de football et de basket en équipes mixtes, encadré par les clubs des deux villes. Les matchs alternent avec des ateliers d'arbitrage, une randonnée commune et des soirées dans les familles d'accueil.",
        objectives="Faire vivre le jumelage par le sport ; pratiquer {le_lang} au quotidien ; former de jeunes arbitres et animateurs ; préparer la visite retour des jeunes {de_partner} l'année suivante.",
    ),
    dict(
        title="Chantier de jeunes : restauration du patrimoine {de_partner}",
        summary="Un chantier international réunit {youth} jeunes {de_commune} et {de_partner} autour de la restauration d'un lavoir et d'un sentier historique, avec une association de sauvegarde du patrimoine. Les matinées sont consacrées au chantier, les après-midi à la découverte de la ville jumelle et à des ateliers de langue.",
        objectives="Apprendre les gestes des métiers du patrimoine ; travailler en équipe binationale ; découvrir l'histoire de la ville jumelle ; valoriser le chantier par une exposition dans les deux communes.",
    ),
    dict(
        title="Rivières vivantes : chantier nature avec les jeunes {de_partner}",
        summary="{youth} jeunes {de_commune} et {de_partner} inventorient la faune et la flore des berges, nettoient un tronçon de rivière et construisent des nichoirs avec des naturalistes des deux pays. Le séjour se termine par une restitution publique devant les deux conseils municipaux de jeunes.",
        objectives="Sensibiliser à la préservation de l'eau et de la biodiversité ; comparer les pratiques environnementales des deux territoires ; pratiquer {le_lang} sur le terrain ; voyager autrement.",
    ),
    dict(
        title="Orchestre des jeunes jumelés : création musicale avec {partner}",
        summary="Les écoles de musique {de_commune} et {de_partner} réunissent {youth} jeunes musiciens pour écrire et répéter une création commune, jouée en concert de clôture sur la place de la ville jumelle. Chaque journée mêle répétitions, ateliers de chant traditionnel et vie collective.",
        objectives="Créer une œuvre commune entre jeunes des deux villes ; découvrir le répertoire traditionnel du partenaire ; prendre confiance par la scène ; enregistrer le concert pour les familles et les écoles.",
    ),
    dict(
        title="Mémoire et paix : parcours de jeunes entre {commune} et {partner}",
        summary="{youth} jeunes {de_commune} rejoignent ceux {de_partner} pour un parcours de mémoire : lieux d'histoire, rencontres avec des témoins et des historiens, ateliers d'écriture sur la paix et la réconciliation. Ensemble, ils réalisent une exposition bilingue présentée dans les deux communes.",
        objectives="Transmettre l'histoire partagée des deux pays ; débattre de la paix et de la citoyenneté ; produire une exposition bilingue ; renforcer les liens entre les familles des deux villes.",
    ),
    dict(
        title="Terroirs et cuisines : échange de jeunes avec {partner}",
        summary="Autour des produits des deux terroirs, {youth} jeunes {de_commune} et {de_partner} visitent des fermes et des marchés, cuisinent avec des producteurs et organisent un repas partagé ouvert aux habitants. Un carnet de recettes bilingue est édité à l'issue du séjour.",
        objectives="Découvrir l'agriculture et l'alimentation du pays partenaire ; apprendre le vocabulaire de la cuisine en {lang} ; sensibiliser au gaspillage alimentaire ; éditer un carnet de recettes bilingue.",
    ),
    dict(
        title="Théâtre en deux langues avec les jeunes {de_partner}",
        summary="Une compagnie de théâtre accompagne {youth} jeunes {de_commune} et {de_partner} dans l'écriture et la mise en scène d'une pièce bilingue sur l'amitié entre les deux villes. La pièce est jouée en fin de séjour devant les familles d'accueil, puis reprise lors de la visite retour.",
        objectives="S'exprimer en public dans deux langues ; construire un projet artistique commun ; accueillir les jeunes du partenaire dans les familles ; préparer la visite retour.",
    ),
    dict(
        title="Reportage croisé : les jeunes {de_commune} et {de_partner} racontent leurs villes",
        summary="En binômes, {youth} jeunes apprennent à filmer, interviewer et monter de courts reportages sur la vie quotidienne des jeunes {a_partner} ({in_country}). Les films sont diffusés sur les sites des deux communes et projetés lors d'une soirée publique.",
        objectives="S'initier à l'éducation aux médias et à l'information ; découvrir la vie quotidienne des jeunes du pays partenaire ; pratiquer {le_lang} ; faire connaître le jumelage aux habitants.",
    ),
    dict(
        title="Conseils de jeunes : {commune} et {partner} débattent de leur avenir",
        summary="Les membres du conseil municipal des jeunes {de_commune} retrouvent ceux {de_partner} pour {days} jours de débats, de visites d'institutions locales et de rencontres avec les élus. Ils rédigent ensemble des propositions sur la mobilité, l'environnement et les loisirs, remises aux deux maires.",
        objectives="Former les jeunes à la participation citoyenne ; comparer le fonctionnement des collectivités des deux pays ; écrire des propositions communes ; inscrire le jumelage dans la durée.",
    ),
    dict(
        title="Sur les chemins {de_partner} : itinérance et découverte",
        summary="{youth} jeunes {de_commune} et {de_partner} parcourent à pied les sentiers autour de la ville jumelle ({in_country}), avec des accompagnateurs diplômés. Chaque étape comprend une rencontre avec des habitants, un atelier de langue et un temps de bilan collectif.",
        objectives="Découvrir un territoire par l'itinérance douce ; développer l'autonomie et l'entraide ; pratiquer {le_lang} en situation ; offrir à des jeunes un premier voyage à l'étranger.",
    ),
    dict(
        title="Atelier robotique et numérique avec les jeunes {de_partner}",
        summary="Dans les fab labs des deux communes, {youth} jeunes {de_commune} et {de_partner} conçoivent et programment de petits robots, puis les présentent lors d'un défi amical. Les équipes sont binationales et travaillent en français et en {lang}.",
        objectives="Découvrir les métiers du numérique ; travailler en équipe binationale ; lutter contre les stéréotypes filles-garçons dans les sciences ; préparer un défi commun lors de la visite retour.",
    ),
    dict(
        title="Jeunes ruraux d'ici et d'ailleurs : échange entre {commune} et {partner}",
        summary="Ce séjour fait découvrir à {youth} jeunes {de_commune} les exploitations agricoles, l'artisanat et les associations {de_partner} ({in_country}). Les jeunes partagent le quotidien des familles d'accueil et comparent la vie des jeunes dans deux territoires ruraux.",
        objectives="Ouvrir les jeunes ruraux à la mobilité internationale ; comparer les métiers et les modes de vie ruraux ; pratiquer {le_lang} ; renforcer les liens entre les associations des deux communes.",
    ),
]


def _words(theme: dict, **values) -> dict:
    lang = values["lang"]
    # "pratiquer l'allemand", "pratiquer le polonais"
    first = unicodedata.normalize("NFKD", lang[:1]).encode("ascii", "ignore").decode().lower()
    values["le_lang"] = ("l'" if first and first in "aeiou" else "le ") + lang
    out = {k: v.format(**values) for k, v in theme.items()}
    out["title"] = out["title"][:200]
    return out


# ---------------------------------------------------------------------------------------------
# Small valid PDFs (one page, Helvetica, WinAnsi) — no WeasyPrint needed, a few hundred bytes
# ---------------------------------------------------------------------------------------------

def _winansi(text: str) -> bytes:
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            out += unicodedata.normalize("NFKD", char).encode("ascii", "ignore") or b"?"
    return bytes(out).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def simple_pdf(title: str, paragraphs: list[str], *, footer: str = "") -> bytes:
    """A one-page A4 PDF with a bold title and wrapped paragraphs."""
    ops = [b"BT", b"/F2 14 Tf", b"56 780 Td", b"(" + _winansi(title) + b") Tj", b"/F1 10 Tf", b"0 -30 Td"]
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, 100) or [""]:
            ops += [b"(" + _winansi(line) + b") Tj", b"0 -14 Td"]
        ops.append(b"0 -8 Td")
    if footer:
        ops += [b"/F1 8 Tf", b"0 -20 Td", b"(" + _winansi(footer) + b") Tj"]
    ops.append(b"ET")
    stream = b"\n".join(ops)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + _winansi(title) + b") /Producer (Fonds Jumelages Jeunesse - demonstration) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, len(objects), xref)
    return bytes(out)


def demo_iban(commune_code: str) -> tuple[str, str]:
    """A fictitious but well-formed French RIB/IBAN (Trésor public, code banque 30001) for a commune."""
    digits = "".join(c if c.isdigit() else str(ord(c.upper()) - 55)[-1] for c in commune_code)
    bank, branch = "30001", f"{int(hashlib.sha256(commune_code.encode()).hexdigest(), 16) % 100000:05d}"
    account = f"C{digits:0>5}{int(hashlib.md5(commune_code.encode()).hexdigest(), 16) % 100000:05d}"[:11]
    letters = {c: str((ord(c) - 55) % 9 or 9) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    numeric_account = "".join(letters.get(c, c) for c in account)
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(numeric_account)) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    expanded = "".join(str(int(c, 36)) for c in bban + "FR00")
    check = 98 - int(expanded) % 97
    iban = f"FR{check:02d}{bban}"
    return iban, " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


# ---------------------------------------------------------------------------------------------
# The plan: which dossiers, in which status, through which transitions
# ---------------------------------------------------------------------------------------------

SUBMIT = ["submit"]
INSTRUCTION = SUBMIT + ["start_instruction"]
INSTRUCTED = INSTRUCTION + ["complete_instruction"]
COMMITTEE = INSTRUCTED + ["schedule"]
APPROVED = COMMITTEE + ["approve"]
SIGNED = APPROVED + ["accept_agreement"]
ADVANCE = SIGNED + ["pay_advance"]
REPORT = ADVANCE + ["submit_report"]

#: variant → steps (a step is a transition name or a scripted porteur action)
PATHS: dict[str, list[str]] = {
    "draft": [],
    "draft_incomplete": [],
    "draft_started": [],
    "submitted": SUBMIT,
    "in_instruction": INSTRUCTION,
    "in_instruction_corrected": INSTRUCTION + ["request_corrections", "correct", "resubmit"],
    "in_instruction_reopened": INSTRUCTED + ["reopen_instruction"],
    "corrections_requested": INSTRUCTION + ["request_corrections"],
    "ineligible": SUBMIT + ["declare_ineligible"],
    "ineligible_instructed": INSTRUCTION + ["declare_ineligible"],
    "closed_without_follow_up": INSTRUCTION + ["request_corrections", "expire_corrections"],
    "withdrawn": INSTRUCTION + ["withdraw"],
    "withdrawn_draft": ["withdraw"],
    "instructed": INSTRUCTED,
    "instructed_deferred": COMMITTEE + ["defer"],
    "in_committee": COMMITTEE,
    "approved": APPROVED,
    "approved_amended": COMMITTEE + ["approve_amended"],
    "approved_promoted": COMMITTEE + ["waitlist", "promote"],
    "waitlisted": COMMITTEE + ["waitlist"],
    "rejected": INSTRUCTION + ["complete_unfavourable", "schedule", "reject"],
    "rejected_favourable": COMMITTEE + ["reject"],
    "lapsed": APPROVED + ["lapse"],
    "agreement_signed": SIGNED,
    "advance_paid": ADVANCE,
    "report_submitted": REPORT,
    "recovery_pending": REPORT + ["settle_negative"],
    "closed": REPORT + ["settle_positive"],
    "closed_recovered": REPORT + ["settle_negative", "recover"],
}

#: the main commune (porteur@demo.fjj.fr): its dossiers that are no longer live first (E7)
MAIN_PLAN = ["withdrawn", "closed_without_follow_up", "approved"]
#: the other communes, one dossier each
OTHER_PLAN = [
    "draft", "draft_incomplete", "draft_started",
    "submitted", "submitted", "submitted",
    "in_instruction", "in_instruction_corrected", "in_instruction_reopened",
    "corrections_requested", "corrections_requested",
    "ineligible", "ineligible_instructed",
    "closed_without_follow_up",
    "withdrawn_draft",
    "instructed", "instructed", "instructed_deferred",
    "in_committee", "in_committee", "in_committee",
    "approved_amended", "approved_promoted",
    "waitlisted", "waitlisted",
    "rejected", "rejected_favourable",
    "lapsed",
    "agreement_signed", "agreement_signed",
    "advance_paid", "advance_paid",
    "report_submitted", "report_submitted",
    "recovery_pending",
    "closed", "closed_recovered",
]

MOTIVATIONS = {
    "request_corrections": [
        "La délibération jointe ne mentionne pas la part communale inscrite au budget ; merci de joindre la délibération complète et de détailler le programme jour par jour.",
        "Le programme ne précise pas les activités communes avec les jeunes du partenaire ni l'encadrement des mineurs la nuit ; merci de compléter les objectifs.",
    ],
    "expire_corrections": "Délai de corrections expiré sans renvoi du dossier corrigé : dossier classé sans suite.",
    "declare_ineligible": [
        "Le projet présenté est un séjour touristique sans activité d'échange avec les jeunes de la ville partenaire : il ne relève pas de l'objet du fonds.",
        "La lettre d'engagement jointe émane d'une association privée et non de la collectivité partenaire : le jumelage requis n'est pas établi.",
    ],
    "reopen_instruction": "Le partenaire a transmis un programme modifié (hébergement en familles) : l'instruction est reprise pour réévaluer le budget.",
    "reject": [
        "Dossier classé sous le seuil de financement : la part des activités d'échange entre jeunes est trop faible au regard du coût du voyage.",
        "Le comité relève l'absence de réciprocité (aucune visite retour prévue) et un encadrement insuffisant des mineurs.",
    ],
    "lapse": "Convention non acceptée avant l'échéance : l'aide accordée est caduque ; le montant revient à l'enveloppe.",
    "withdraw": [
        "Projet reporté à l'an prochain : la ville partenaire ne peut pas accueillir le groupe aux dates prévues.",
        "Le conseil municipal a décidé de présenter un autre projet, plus ambitieux, pour cet appel.",
    ],
    "approve_amended": "Montant ramené par le comité : les frais d'hébergement sont surévalués au regard des nuitées en familles d'accueil.",
    "waitlist": "Dossier classé après les dossiers financés de la séance : inscrit en liste complémentaire, par ordre de classement.",
    "promote": "Désistement d'une commune : crédits libérés sur l'enveloppe, dossier promu dans l'ordre de la liste complémentaire.",
    "defer": "Le comité souhaite connaître l'avis de la ville partenaire sur les dates avant de se prononcer : examen reporté à la prochaine séance.",
}


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------

@dataclass
class SeedResult:
    created: bool
    campaign: Campaign
    counts: dict = field(default_factory=dict)  # status → number of dossiers
    accounts: list = field(default_factory=list)  # (email, role label, commune or "", detail)
    porteurs: list = field(default_factory=list)  # (email, commune, status label, reference)
    communes: int = 0
    overseas: int = 0
    elapsed: float = 0.0
    password_from_env: bool = False

    def summary_lines(self) -> list[str]:
        c = self.campaign
        if not self.created:
            total = Dossier.objects.filter(campaign=c).count()
            return [f"Démo déjà présente : campagne « {c.name} » ({total} dossiers). Rien n'a été modifié."]
        closes = timezone.localtime(c.closes_at).strftime("%d/%m/%Y à %H:%M")
        committee = ", ".join(dt.date.fromisoformat(d).strftime("%d/%m/%Y") for d in c.committee_dates)
        total = sum(self.counts.values())
        lines = [
            "Démo créée en " + f"{self.elapsed:.1f}".replace(".", ",") + " s.",
            f"Campagne « {c.name} » : dépôts ouverts jusqu'au {closes}, comité le {committee}, "
            f"période d'activité du {c.activity_start:%d/%m/%Y} au {c.activity_end:%d/%m/%Y}, enveloppe {euros(c.envelope)}.",
            f"{total} dossiers dans {self.communes} communes (dont {self.overseas} outre-mer), par statut :",
        ]
        width = max(len(s.label) for s in Status)
        for status in Status:
            lines.append(f"  {status.label:<{width}}  {self.counts.get(status.value, 0):>3}")
        if self.password_from_env:
            lines.append(f"Comptes — mot de passe : celui de la variable {PASSWORD_ENV} :")
        else:
            lines.append(f"Comptes — mot de passe « {DEFAULT_PASSWORD} » (à changer avec la variable {PASSWORD_ENV}) :")
        for email, role, commune, detail in self.accounts:
            extra = f" — {commune}" if commune else ""
            extra += f" — {detail}" if detail else ""
            lines.append(f"  {email:<34} {role}{extra}")
        lines.append("Porteurs des autres communes (un par commune, un dossier chacun) :")
        for email, commune, status, reference in self.porteurs:
            lines.append(f"  {email:<34} {commune} — {reference} ({status})")
        return lines


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT)


def _round_down(value: Decimal, step: int) -> Decimal:
    return (Decimal(value) / step).to_integral_value(rounding=ROUND_DOWN) * step


def demo_totp_key(email: str) -> str:
    """The TOTP secret of a demo agent: derived from the email, so the demo needs no phone.

    Demo accounts only (``@demo.fjj.fr``): ``python manage.py demo_otp_code EMAIL`` prints the
    current code; the command refuses any other account.
    """
    import hashlib

    return hashlib.sha1(f"fjj-demo-totp:{email.lower()}".encode()).hexdigest()


def demo_totp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not user.email.lower().endswith("@" + DEMO_DOMAIN):
        raise DemoError("Appareil TOTP de démonstration réservé aux comptes @" + DEMO_DOMAIN)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="Démonstration", defaults={"key": demo_totp_key(user.email), "confirmed": True})
    return device


def existing_demo() -> Campaign | None:
    return Campaign.objects.filter(name=DEMO_CAMPAIGN_NAME).first()


def seed_demo(*, password: str | None = None) -> SeedResult:
    """Create the demo (in one transaction) unless its campaign already exists."""
    found = existing_demo()
    if found is not None:
        return SeedResult(created=False, campaign=found)
    if not Commune.objects.exists():
        raise DemoError(
            "Le référentiel des communes est vide : lancez d'abord « python manage.py import_communes » "
            "(il charge les communes depuis fixtures/), puis relancez « python manage.py seed_demo »."
        )
    started = time.perf_counter()
    seeder = _Seeder(password=password)
    with transaction.atomic():
        result = seeder.run()
    result.elapsed = time.perf_counter() - started
    return result


class _Seeder:
    def __init__(self, *, password: str | None):
        self.password_from_env = password is None and bool(os.environ.get(PASSWORD_ENV))
        self.password_hash = make_password(password or demo_password())
        self.rng = random.Random(SEED)
        self.now = clock.now()
        self.today = timezone.localdate(self.now)
        self.groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
        self.partner_cache: dict[tuple, PartnerTown] = {}
        self.motivation_turn: dict[str, int] = {}
        self.committee_turn = 0

    # ---- entry point ---------------------------------------------------------------------

    def run(self) -> SeedResult:
        self._dsfr_config()
        self.campaign = self._campaign()
        self.staff = {local: self._staff(local, role, first, last, is_admin) for local, role, first, last, is_admin in STAFF_ACCOUNTS}
        main_commune, others, overseas = self._communes(1 + len(OTHER_PLAN))
        metro_partners = [Partner.of(row) for row in WORLD_PARTNERS]
        self.rng.shuffle(metro_partners)
        self.metro_partners = metro_partners
        self.partner_index = 0

        result = SeedResult(created=True, campaign=self.campaign, password_from_env=self.password_from_env)
        main_porteur = self._porteur(main_commune, main=True)
        main_jumelage = self._jumelage(main_commune)
        for variant in MAIN_PLAN:
            self._dossier(main_commune, main_porteur, main_jumelage, variant)

        plan = list(OTHER_PLAN)
        for commune, variant in zip(others, plan):
            porteur = self._porteur(commune)
            dossier = self._dossier(commune, porteur, self._jumelage(commune), variant)
            result.porteurs.append((porteur.email, f"{commune.name} ({commune.code})", Status(dossier.status).label.lower(), dossier.reference))

        counts = {}
        for status in Dossier.objects.filter(campaign=self.campaign).values_list("status", flat=True):
            counts[status] = counts.get(status, 0) + 1
        result.counts = counts
        result.communes = 1 + len(others)
        result.overseas = overseas
        main_count = Dossier.objects.filter(campaign=self.campaign, commune=main_commune).count()
        result.accounts = [(MAIN_PORTEUR, Role.PORTEUR.label, f"{main_commune.name} ({main_commune.code})", f"{main_count} dossiers")]
        for local, role, *_ in STAFF_ACCOUNTS:
            detail = "préside les séances du comité" if local == "president" else ""
            if local == "admin":
                detail = "accès à l'administration Django (superutilisateur)"
            result.accounts.append((f"{local}@{DEMO_DOMAIN}", Role(role).label, "", detail))
        audit.append_many([{
            "action": "demo.seeded",
            "actor_label": ACTOR_LABEL,
            "obj": self.campaign,
            "payload": {"campaign": self.campaign.pk, "dossiers": sum(counts.values()), "statuses": dict(sorted(counts.items())), "seed": SEED},
        }])
        return result

    # ---- referential, campaign, accounts -------------------------------------------------

    def _dsfr_config(self) -> None:
        try:
            from dsfr.models import DsfrConfig
        except ImportError:  # pragma: no cover - django-dsfr is a dependency
            return
        if not DsfrConfig.objects.exists():
            DsfrConfig.objects.create(site_title="Fonds Jumelages Jeunesse", site_tagline="Mobilité des jeunes des petites communes", language="fr")

    def _campaign(self) -> Campaign:
        opens = dt.datetime.combine(self.today - dt.timedelta(days=21), dt.time(9, 0), tzinfo=PARIS)
        closes_day = self.today + dt.timedelta(days=40)
        closes = dt.datetime.combine(closes_day, dt.time(12, 0), tzinfo=PARIS)
        committee = closes_day + dt.timedelta(days=21)
        try:
            activity_end = committee.replace(year=committee.year + 1)
        except ValueError:  # 29 February
            activity_end = committee.replace(year=committee.year + 1, day=28)
        campaign = Campaign(
            name=DEMO_CAMPAIGN_NAME,
            year=self.today.year,
            opens_at=opens,
            closes_at=closes,
            activity_start=committee + dt.timedelta(days=1),
            activity_end=activity_end,
            envelope=ENVELOPE,
            committee_dates=[committee.isoformat()],
        )
        campaign.full_clean()
        campaign.save()  # its first rule set: the règlement's defaults
        audit.append_many([{
            "action": "referentiel.campaign_created",
            "actor_label": ACTOR_LABEL,
            "obj": campaign,
            "payload": {
                "name": campaign.name,
                "opens_at": campaign.opens_at.isoformat(),
                "closes_at": campaign.closes_at.isoformat(),
                "activity_start": campaign.activity_start.isoformat(),
                "activity_end": campaign.activity_end.isoformat(),
                "envelope": format(campaign.envelope, "f"),
                "committee_dates": campaign.committee_dates,
                "rules_version": campaign.rules.version,
            },
        }])
        return campaign

    def _user(self, email: str, roles: list[str], *, first: str, last: str, commune=None, staff=False, superuser=False) -> User:
        user = User.objects.filter(email__iexact=email).first()
        creating = user is None
        if creating:
            user = User(email=email, username=email, first_name=first, last_name=last, commune=commune,
                        is_staff=staff, is_superuser=superuser, password=self.password_hash)
            user.save()
        elif commune is not None and user.commune_id != commune.pk:
            raise DemoError(
                f"Le compte {email} existe déjà, rattaché à une autre commune ({user.commune_id or 'aucune'}) : "
                "supprimez-le ou changez sa commune avant de créer la démo."
            )
        missing = [self.groups[r] for r in roles if not user.groups.filter(name=r).exists()]
        if missing:
            user.groups.add(*missing)
        user._fjj_roles = None
        if creating or missing:
            audit.append_many([{
                "action": "accounts.user_created" if creating else "accounts.user_updated",
                "actor_label": ACTOR_LABEL,
                "obj": user,
                "payload": {"email": user.email, "roles": sorted(roles), "commune": user.commune_id or "", "is_staff": user.is_staff, "password_set": creating, "demo": True},
            }])
        return user

    def _staff(self, local, role, first, last, is_admin) -> User:
        user = self._user(f"{local}@{DEMO_DOMAIN}", [role], first=first, last=last, staff=is_admin, superuser=is_admin)
        demo_totp_device(user)
        return user

    def _porteur(self, commune: Commune, main: bool = False) -> User:
        return self._user(porteur_email(commune.code, main), [Role.PORTEUR], first="Mairie", last=commune.name[:150], commune=commune)

    def _communes(self, needed: int) -> tuple[Commune, list[Commune], int]:
        """The main commune, the others (one per dossier) and the number of overseas ones."""
        limit = int(self.campaign.rules.params["eligibility"]["max_population"])
        base = Commune.objects.filter(population__isnull=False, population__lte=limit).order_by("code")
        pool = list(base.filter(population__gte=MIN_POPULATION).values_list("code", "zone", "departement"))
        if len(pool) < needed:
            pool = list(base.values_list("code", "zone", "departement"))
        if len(pool) < needed:
            raise DemoError(
                f"Le référentiel ne compte que {len(pool)} commune(s) de {inhabitants(limit)} au plus ; il en faut {needed} "
                "pour la démonstration (une par dossier). Lancez « python manage.py import_communes »."
            )
        metro = [code for code, zone, _ in pool if zone == Zone.METRO]
        overseas_pool = [(code, dep) for code, zone, dep in pool if zone != Zone.METRO]
        self.rng.shuffle(overseas_pool)
        overseas, seen = [], set()
        for code, dep in overseas_pool:  # a few, from different territories
            if len(overseas) < OVERSEAS_COUNT and dep not in seen:
                overseas.append(code)
                seen.add(dep)
        if len(metro) < needed - len(overseas):
            overseas = [code for code, _ in overseas_pool][: needed - len(metro)]
        picked = self.rng.sample(metro, needed - len(overseas))
        main, others = picked[0], picked[1:]
        positions = sorted(self.rng.sample(range(3, len(others) + len(overseas)), len(overseas))) if overseas else []
        for position, code in zip(positions, overseas):
            others.insert(position, code)
        by_code = Commune.objects.in_bulk([main, *others])
        return by_code[main], [by_code[c] for c in others], len(overseas)

    def _partner_for(self, commune: Commune) -> Partner:
        if commune.zone != Zone.METRO and commune.departement in OVERSEAS_PARTNERS:
            return Partner.of(self.rng.choice(OVERSEAS_PARTNERS[commune.departement]))
        partner = self.metro_partners[self.partner_index % len(self.metro_partners)]
        self.partner_index += 1
        return partner

    def _jumelage(self, commune: Commune) -> Jumelage:
        partner = self._partner_for(commune)
        key = (partner.name, partner.country)
        town = self.partner_cache.get(key) or PartnerTown.objects.filter(name=partner.name, country=partner.country).first()
        if town is None:
            town = PartnerTown(name=partner.name, country=partner.country, latitude=Decimal(partner.latitude), longitude=Decimal(partner.longitude))
            town.full_clean()
            town.save()
        self.partner_cache[key] = town
        jumelage = Jumelage.objects.filter(commune=commune, partner=town).first()
        if jumelage is None:
            if self.rng.random() < 0.15:
                jumelage = Jumelage(commune=commune, partner=town, kind=Jumelage.Kind.PARTNERSHIP, letter_of_intent=True)
            else:
                year = self.rng.randint(1962, 2022)
                jumelage = Jumelage(commune=commune, partner=town, agreement_date=dt.date(year, self.rng.randint(1, 12), self.rng.randint(1, 28)))
            jumelage.save()
        jumelage.partner_info = partner
        return jumelage

    # ---- one dossier -----------------------------------------------------------------------

    def _origin(self, commune: Commune) -> tuple[float, float]:
        return REGION_CENTRES.get(commune.region) or REGION_CENTRES.get(commune.departement) or FRANCE_CENTRE

    def _content(self, commune: Commune, jumelage: Jumelage) -> tuple[dict, list[dict]]:
        rng = self.rng
        partner: Partner = jumelage.partner_info
        lat, lon = self._origin(commune)
        distance = max(10, great_circle_km(lat, lon, partner.latitude, partner.longitude))
        overseas = commune.zone != Zone.METRO

        youth = rng.randint(6, 16)
        older = rng.random() < 0.2
        youth_ages = sorted(rng.randint(16, 25) if older else rng.randint(13, 18) for _ in range(youth))
        leaders = -(-youth // 10) + rng.randint(0, 1)
        leader_ages = sorted(rng.randint(23, 62) for _ in range(leaders))
        travellers = youth + leaders

        if overseas and distance < 600:
            mode, low_carbon, per_person = "mixed", False, 120 + 0.3 * 2 * distance
        elif distance < 1300 or (distance < 2200 and rng.random() < 0.3):
            mode, low_carbon = rng.choice(["train", "train", "coach"]), True
            per_person = min(450, max(80, 0.18 * 2 * distance))
        else:
            mode, low_carbon, per_person = "plane", False, min(1400, 180 + 0.07 * 2 * distance)
        per_person *= rng.uniform(0.9, 1.1)
        travel_days = 2 if distance >= 3000 else 1

        activity_days = rng.randint(5, 12)
        nights = activity_days + travel_days
        nights_hosted = rng.choice([0, nights // 2, nights - 1, nights - 2])
        c = self.campaign
        latest = (c.activity_end - c.activity_start).days - nights - 30
        start = c.activity_start + dt.timedelta(days=rng.randint(10, max(11, latest)))
        end = start + dt.timedelta(days=nights)

        def r10(value) -> Decimal:
            return _money(_round_down(Decimal(str(value)), 10))

        expenses = [
            ("travel", "Transport aller-retour" + (" en train" if mode == "train" else " en car" if mode == "coach" else ""), r10(per_person * travellers), True),
            ("accommodation", "Hébergement (auberge de jeunesse)", r10((nights - nights_hosted) * travellers * rng.randint(22, 32)), True),
            ("food", "Repas", r10(nights * travellers * rng.randint(12, 18)), True),
            ("activities", "Activités, visites et intervenants", r10(rng.randint(600, 2500)), True),
            ("other_expense", "Assurance et frais de dossier", r10(rng.randint(150, 400)), True),
        ]
        expenses = [e for e in expenses if e[2] > 0]
        if rng.random() < 0.3:
            expenses.append(("other_expense", "Cadeaux protocolaires", r10(rng.randint(100, 250)), False))
        total = sum(e[2] for e in expenses)
        eligible = sum(e[2] for e in expenses if e[3])
        requested = _round_down(eligible * Decimal(str(rng.uniform(0.45, 0.65))), 10)
        requested = min(requested, Decimal("15000"), _round_down(eligible * Decimal("0.8"), 10))
        requested = _money(max(requested, Decimal("1000")))
        own_min = _money((total * Decimal("0.015")).to_integral_value(rounding=ROUND_CEILING) * 10)  # 15 %, to the 10 € above
        available = max(Decimal("0"), total - requested - own_min)
        families = min(_money(youth * rng.choice([30, 40, 50, 60, 80])), available)
        other = min(_money(rng.choice([0, 0, 500, 800, 1000, 1500])), available - families)
        own = total - requested - families - other
        incomes = [("own_share", f"Part de la commune {de(commune.name)}", own)]
        if families:
            incomes.append(("participants", "Participation des familles", families))
        if other:
            funder = "Conseil départemental" if commune.zone == Zone.METRO else "Collectivité territoriale"
            if partner.country == "DE" and rng.random() < 0.5:
                funder = "Office franco-allemand pour la Jeunesse (OFAJ)"
            incomes.append(("other_funder", funder, other))

        theme = THEMES[rng.randrange(len(THEMES))]
        words = _words(
            theme, commune=commune.name, partner=partner.name, de_commune=de(commune.name), de_partner=de(partner.name),
            a_partner=a(partner.name), in_country=partner.in_country, lang=partner.language, youth=youth, days=activity_days,
        )
        fields = dict(
            jumelage=jumelage,
            title=words["title"],
            summary=words["summary"],
            objectives=words["objectives"],
            start_date=start,
            end_date=end,
            activity_days=activity_days,
            youth_ages=youth_ages,
            leader_ages=leader_ages,
            youth_fewer_opportunities=rng.randint(0, youth // 2),
            youth_first_travel=rng.randint(youth // 4, youth),
            travel_mode=mode,
            low_carbon=low_carbon,
            distance_km=distance,
            nights=nights,
            nights_hosted=nights_hosted,
            requested_amount=requested,
        )
        lines = [dict(kind="expense", category=cat, label=label, amount=amount, eligible=ok) for cat, label, amount, ok in expenses]
        lines += [dict(kind="income", category=cat, label=label, amount=_money(amount), eligible=True) for cat, label, amount in incomes]
        return fields, lines

    def _documents(self, dossier: Dossier, porteur: User, jumelage: Jumelage, kinds=None) -> None:
        commune, partner = dossier.commune, jumelage.partner_info
        country = COUNTRIES[partner.country][0]
        own = next((l.amount for l in dossier.budget_lines.all() if l.category == "own_share"), Decimal("0"))
        council_day = self.today - dt.timedelta(days=self.rng.randint(10, 60))
        footer = "Document de démonstration généré par manage.py seed_demo — sans valeur juridique."
        iban, iban_text = demo_iban(commune.code)
        if jumelage.agreement_date:
            basis = f"La convention de jumelage a été signée le {jumelage.agreement_date:%d/%m/%Y} par les maires des deux villes."
        else:
            basis = "Les deux conseils municipaux déclarent leur intention de signer une convention de jumelage au cours de l'année."
        pieces = {
            Document.Kind.DELIBERATION: (
                f"deliberation-conseil-municipal-{commune.code}.pdf",
                f"Commune {de(commune.name)} — extrait du registre des délibérations",
                [
                    f"Séance du conseil municipal du {council_day:%d/%m/%Y}.",
                    f"Objet : projet « {dossier.title} » — demande de subvention au Fonds Jumelages Jeunesse.",
                    f"Le conseil municipal approuve le projet de mobilité des jeunes avec {partner.name} ({country}), "
                    f"sollicite une subvention de {euros(dossier.requested_amount)} et s'engage à inscrire au budget la part communale de {euros(own)}.",
                    "Le maire est autorisé à signer tout document relatif à ce projet. Adopté à l'unanimité.",
                ],
            ),
            Document.Kind.TWINNING_AGREEMENT: (
                f"convention-jumelage-{commune.code}.pdf",
                ("Convention de jumelage" if jumelage.agreement_date else "Lettre d'intention de jumelage") + f" {commune.name} — {partner.name}",
                [
                    f"Entre la commune {de(commune.name)} (France) et la ville {de(partner.name)} ({country}).",
                    basis,
                    "Les deux collectivités s'engagent à favoriser les échanges entre leurs habitants, en particulier entre leurs jeunes, "
                    "dans un esprit d'amitié, de réciprocité et de compréhension mutuelle.",
                ],
            ),
            Document.Kind.PARTNER_COMMITMENT: (
                f"lettre-engagement-{partner.name}.pdf",
                f"Lettre d'engagement de la ville {de(partner.name)}",
                [
                    f"La ville {de(partner.name)} ({country}) confirme sa participation au projet « {dossier.title} ».",
                    f"Elle accueillera le groupe de la commune {de(commune.name)} du {dossier.start_date:%d/%m/%Y} au {dossier.end_date:%d/%m/%Y}, "
                    f"mobilisera ses services jeunesse et ses associations et désigne un référent pour la sécurité des mineurs.",
                ],
            ),
            Document.Kind.RIB: (
                f"rib-commune-{commune.code}.pdf",
                "Relevé d'identité bancaire",
                [
                    f"Titulaire : COMMUNE {de(commune.name).upper()} — SIREN {commune.siren or 'non renseigné'}.",
                    "Domiciliation : Direction départementale des finances publiques (Trésor public).",
                    f"IBAN (fictif, démonstration) : {iban_text}",
                    "BIC : BDFEFRPPCCT",
                    f"SIRET de la mairie (fictif, démonstration) : {demo_siret(commune.siren) or 'non renseigné'}",
                ],
            ),
        }
        for kind in kinds or pieces:
            name, title, paragraphs = pieces[kind]
            self._upload(dossier, porteur, kind, name, simple_pdf(title, paragraphs, footer=footer))

    def _upload(self, dossier, porteur, kind, name, data: bytes) -> None:
        try:
            from fonds.dossiers.documents import add_document
        except ImportError:  # the upload service is not there: store the piece directly
            add_document = None
        if add_document is not None:
            add_document(dossier, by=porteur, kind=kind, name=name, data=data)
            return
        from django.core.files.base import ContentFile

        Document.objects.create(
            dossier=dossier, kind=kind, file=ContentFile(data, name=name), original_name=name,
            content_type="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=porteur,
        )

    def _dossier(self, commune: Commune, porteur: User, jumelage: Jumelage, variant: str) -> Dossier:
        fields, lines = self._content(commune, jumelage)
        if variant == "draft_started":
            fields = {k: fields[k] for k in ("jumelage", "title", "summary")}
            lines = None
        dossier = editing.create_draft(by=porteur, campaign=self.campaign, fields=fields, budget_lines=lines)
        if variant == "draft_incomplete":
            self._documents(dossier, porteur, jumelage, kinds=[Document.Kind.DELIBERATION, Document.Kind.RIB])
        elif variant != "draft_started":
            self._documents(dossier, porteur, jumelage)
        for step in PATHS[variant]:
            try:
                dossier = self._step(dossier, step, porteur, jumelage)
                if step == "accept_agreement":  # the mayor gives the bank details; finance certifies them
                    self._bank_details(dossier, porteur, certify=PATHS[variant][-1] != "accept_agreement")
            except services.TransitionRefused as exc:
                raise DemoError(f"Démo : l'étape « {step} » du dossier {dossier.reference} ({variant}) a été refusée : {exc.message}") from exc
            except DemoError:
                raise
            except Exception as exc:
                raise DemoError(
                    f"Démo : l'étape « {step} » du dossier {dossier.reference} ({variant}, statut {dossier.status}) a levé "
                    f"{type(exc).__module__}.{type(exc).__name__} : {exc}"
                ) from exc
        return dossier

    def _bank_details(self, dossier: Dossier, porteur: User, *, certify: bool) -> None:
        """The commune's bank details (fictitious IBAN, demonstration SIRET: the SIREN + NIC 9999x,
        see ``fonds.referentiel.siret.demo_siret``) read from the dossier's RIB, through the
        payment services (audited); certified by finance unless the dossier stops at the signed
        convention (its advance then waits for the certification, as in real life)."""
        from fonds.payments import services as payments

        commune = dossier.commune
        iban, _ = demo_iban(commune.code)
        rib = dossier.documents.filter(kind=Document.Kind.RIB, replaced_by__isnull=True).first()
        bank = payments.set_bank_details(
            commune, by=porteur, iban=iban, bic="BDFEFRPPCCT", holder=f"Commune {de(commune.name)}"[:70],
            siret=demo_siret(commune.siren) or None, rib_document=rib,
        )
        if certify and not bank.is_certified:
            payments.certify_bank_details(commune, by=self.staff["finance"])

    def _motivation(self, key: str) -> str:
        value = MOTIVATIONS[key]
        if isinstance(value, str):
            return value
        turn = self.motivation_turn.get(key, 0)
        self.motivation_turn[key] = turn + 1
        return value[turn % len(value)]

    def _committee_member(self) -> User:
        self.committee_turn += 1
        return self.staff["president"] if self.committee_turn % 3 == 0 else self.staff["comite"]

    def _proposed(self, dossier: Dossier) -> Decimal:
        try:
            from fonds.instruction.amount import grant_for_dossier
        except ImportError:
            return dossier.requested_amount
        grant = grant_for_dossier(dossier).grant
        return _money(grant) if grant >= Decimal("1000") else dossier.requested_amount

    def _step(self, dossier: Dossier, step: str, porteur: User, jumelage: Jumelage) -> Dossier:
        perform = services.perform
        instructeur, finance, admin = self.staff["instructeur"], self.staff["finance"], self.staff["admin"]
        if step == "submit":
            return perform(dossier, "submit", by=porteur)
        if step == "start_instruction":
            return perform(dossier, "start_instruction", by=instructeur)
        if step == "request_corrections":
            return perform(dossier, "request_corrections", by=instructeur, motivation=self._motivation("request_corrections"),
                           data={"fields": ["objectives"], "documents": ["deliberation"]})
        if step == "correct":  # the porteur completes the programme and uploads the full délibération
            editing.update_content(dossier, by=porteur, fields={"objectives": dossier.objectives + " Programme détaillé jour par jour joint ; "
                                   "deux accompagnateurs veillent sur les mineurs la nuit, en lien avec les familles d'accueil."})
            self._documents(dossier, porteur, jumelage, kinds=[Document.Kind.DELIBERATION])
            dossier.refresh_from_db()
            return dossier
        if step == "resubmit":
            return perform(dossier, "resubmit", by=porteur, motivation="Programme détaillé et délibération complète joints.")
        if step == "expire_corrections":
            return perform(dossier, "expire_corrections", by=None, motivation=self._motivation("expire_corrections"))
        if step == "declare_ineligible":
            return perform(dossier, "declare_ineligible", by=instructeur, motivation=self._motivation("declare_ineligible"))
        if step == "withdraw":
            return perform(dossier, "withdraw", by=porteur, motivation=self._motivation("withdraw"))
        if step == "complete_instruction":
            from fonds.instruction.testing import ready_for_completion

            data = {"opinion": "favourable", "proposed_amount": str(self._proposed(dossier))}
            if ready_for_completion(dossier, by=instructeur) != "favourable":
                data["opinion_motivation"] = "Priorité territoriale faible, mais projet exemplaire : avis favorable."
            return perform(dossier, "complete_instruction", by=instructeur, data=data)
        if step == "complete_unfavourable":
            from fonds.instruction.testing import ready_for_completion

            ready_for_completion(dossier, by=instructeur, favourable=False)
            return perform(dossier, "complete_instruction", by=instructeur, data={"opinion": "unfavourable"},
                           motivation="Avis défavorable : programme d'échange trop peu développé au regard du coût du voyage.")
        if step == "reopen_instruction":
            return perform(dossier, "reopen_instruction", by=instructeur, motivation=self._motivation("reopen_instruction"))
        if step == "schedule":
            return perform(dossier, "schedule", by=instructeur)
        if step == "defer":
            return perform(dossier, "defer", by=self._committee_member(), motivation=self._motivation("defer"))
        if step == "approve":
            return perform(dossier, "approve", by=self._committee_member())
        if step == "approve_amended":
            amount = _money(_round_down(dossier.proposed_amount * Decimal("0.9"), 100))
            return perform(dossier, "approve", by=self._committee_member(), motivation=self._motivation("approve_amended"), data={"amount": str(amount)})
        if step == "reject":
            return perform(dossier, "reject", by=self._committee_member(), motivation=self._motivation("reject"))
        if step == "waitlist":
            return perform(dossier, "waitlist", by=self._committee_member(), motivation=self._motivation("waitlist"))
        if step == "promote":
            return perform(dossier, "promote", by=admin, motivation=self._motivation("promote"))
        if step == "lapse":
            return perform(dossier, "lapse", by=None, motivation=self._motivation("lapse"))
        if step == "accept_agreement":  # the mayor reads the convention, accepts it under a typed name
            from fonds.suivi.testing import acceptance_data

            return perform(dossier, "accept_agreement", by=porteur, data=acceptance_data(dossier, porteur.get_full_name() or f"Maire {de(dossier.commune.name)}"))
        if step == "pay_advance":
            return perform(dossier, "pay_advance", by=finance)
        if step == "submit_report":  # a complete final report first: the plan, a text, the signed list
            from fonds.suivi.testing import file_complete_report

            signed = simple_pdf(f"Liste des participants — {dossier.reference}", [f"Jeune participant n° {i + 1}" for i in range(len(dossier.youth_ages))])
            file_complete_report(dossier, by=porteur, activity_report="Le projet s'est déroulé comme prévu. " + dossier.summary,
                                 participant_list=("liste-participants-signee.pdf", signed))
            return perform(dossier, "submit_report", by=porteur)
        if step == "settle_positive":
            balance = _money(dossier.approved_amount * Decimal("0.25"))
            return perform(dossier, "settle", by=finance, data={"balance": str(balance)})
        if step == "settle_negative":
            return perform(dossier, "settle", by=finance, data={"balance": "-250.00"},
                           motivation="Dépenses réelles inférieures au budget prévisionnel : trop-perçu sur l'avance, procédure contradictoire engagée.")
        if step == "recover":
            return perform(dossier, "recover", by=finance, motivation="Reversement reçu de la commune : dossier soldé.")
        raise ValueError(f"étape inconnue : {step}")
