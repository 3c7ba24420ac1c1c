"""The papers of the demonstration: small one-page PDFs (no WeasyPrint: a few hundred bytes each)
for the pieces a mayor uploads — délibération, twinning agreement, partner's letter, RIB, signed
participant list — and the fictitious but well-formed IBAN of a commune.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import textwrap
import unicodedata
from decimal import Decimal

from fonds.dossiers.documents import add_document
from fonds.dossiers.models import Document
from fonds.formats import euros
from fonds.referentiel.siret import demo_siret

from .words import COUNTRIES, de

FOOTER = "Document de démonstration généré par manage.py seed_demo — sans valeur juridique."
BIC = "BDFEFRPPCCT"


def _winansi(text: str) -> bytes:
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            out += unicodedata.normalize("NFKD", char).encode("ascii", "ignore") or b"?"
    return bytes(out).replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def simple_pdf(title: str, paragraphs: list[str], *, footer: str = "") -> bytes:
    """A one-page A4 PDF with a bold title and wrapped paragraphs (Helvetica, WinAnsi)."""
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
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
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
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    return bytes(out)


def demo_iban(commune_code: str) -> tuple[str, str]:
    """A fictitious but well-formed French RIB/IBAN (Trésor public, code banque 30001) for a commune:
    ``(iban, iban in groups of four)``."""
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
    return iban, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _pieces(dossier, jumelage, partner, council_day: dt.date) -> dict:
    commune = dossier.commune
    country = COUNTRIES[partner.country][0]
    own = next(
        (line.amount for line in dossier.budget_lines.all() if line.category == "own_share"), Decimal("0")
    )
    _, iban_text = demo_iban(commune.code)
    if jumelage.agreement_date:
        basis = (
            f"La convention de jumelage a été signée le {jumelage.agreement_date:%d/%m/%Y} par les maires "
            "des deux villes."
        )
    else:
        basis = (
            "Les deux conseils municipaux déclarent leur intention de signer une convention de jumelage au "
            "cours de l'année."
        )
    agreement = "Convention de jumelage" if jumelage.agreement_date else "Lettre d'intention de jumelage"
    return {
        Document.Kind.DELIBERATION: (
            f"deliberation-conseil-municipal-{commune.code}.pdf",
            f"Commune {de(commune.name)} — extrait du registre des délibérations",
            [
                f"Séance du conseil municipal du {council_day:%d/%m/%Y}.",
                f"Objet : projet « {dossier.title} » — demande de subvention au Fonds Jumelages Jeunesse.",
                f"Le conseil municipal approuve le projet de mobilité des jeunes avec {partner.name} "
                f"({country}), sollicite une subvention de {euros(dossier.requested_amount)} et s'engage à "
                f"inscrire au budget la part communale de {euros(own)}.",
                "Le maire est autorisé à signer tout document relatif à ce projet. Adopté à l'unanimité.",
            ],
        ),
        Document.Kind.TWINNING_AGREEMENT: (
            f"convention-jumelage-{commune.code}.pdf",
            f"{agreement} {commune.name} — {partner.name}",
            [
                f"Entre la commune {de(commune.name)} (France) et la ville {de(partner.name)} ({country}).",
                basis,
                "Les deux collectivités s'engagent à favoriser les échanges entre leurs habitants, en "
                "particulier entre leurs jeunes, dans un esprit d'amitié, de réciprocité et de compréhension "
                "mutuelle.",
            ],
        ),
        Document.Kind.PARTNER_COMMITMENT: (
            f"lettre-engagement-{partner.name}.pdf",
            f"Lettre d'engagement de la ville {de(partner.name)}",
            [
                f"La ville {de(partner.name)} ({country}) confirme sa participation au projet "
                f"« {dossier.title} ».",
                f"Elle accueillera le groupe de la commune {de(commune.name)} du "
                f"{dossier.start_date:%d/%m/%Y} au {dossier.end_date:%d/%m/%Y}, mobilisera ses services "
                "jeunesse et ses associations et désigne un référent pour la sécurité des mineurs.",
            ],
        ),
        Document.Kind.RIB: (
            f"rib-commune-{commune.code}.pdf",
            "Relevé d'identité bancaire",
            [
                f"Titulaire : COMMUNE {de(commune.name).upper()} — SIREN {commune.siren or 'non renseigné'}.",
                "Domiciliation : Direction départementale des finances publiques (Trésor public).",
                f"IBAN (fictif, démonstration) : {iban_text}",
                f"BIC : {BIC}",
                "SIRET de la mairie (fictif, démonstration) : "
                f"{demo_siret(commune.siren) or 'non renseigné'}",
            ],
        ),
    }


def upload_pieces(dossier, porteur, jumelage, partner, *, council_day: dt.date, kinds=None) -> None:
    """The mayor uploads the required pieces (or only ``kinds``) through the upload service (audited)."""
    pieces = _pieces(dossier, jumelage, partner, council_day)
    for kind in kinds or pieces:
        name, title, paragraphs = pieces[kind]
        add_document(
            dossier, by=porteur, kind=kind, name=name, data=simple_pdf(title, paragraphs, footer=FOOTER)
        )


def participant_list(dossier, youth: int) -> tuple[str, bytes]:
    """The signed participant list of a final report (a name per young participant)."""
    lines = [f"Jeune participant n° {i + 1} — signature" for i in range(youth)]
    return "liste-participants-signee.pdf", simple_pdf(
        f"Liste des participants — {dossier.reference}", lines, footer=FOOTER
    )
