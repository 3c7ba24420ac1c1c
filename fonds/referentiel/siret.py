"""SIRET of a commune: the French rules and messages over python-stdnum's ``fr.siret``.

SIREN (9 digits, from the referential) + NIC of the town hall (5 digits, typed by the mayor with
the bank details, certified by finance); published as ``idBeneficiaire`` in the SCDL open data.
Checksum: stdnum's (Luhn, or La Poste's digit sum). ``siret_error`` names the first broken rule.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

#: the NIC prefix of the demonstration and benchmark SIRETs (no town hall has a NIC this high)
DEMO_NIC_PREFIX = "9999"

_SPACES = re.compile(r"[\s\u00a0\u202f.-]+")


def normalize(value) -> str:
    """The SIRET without the spaces (also non-breaking), dots or dashes a person may type."""
    return _SPACES.sub("", str(value or ""))


def checksum_ok(siret: str) -> bool:
    """The checksum rules of a 14-digit SIRET (stdnum ``fr.siret``: Luhn or La Poste's, valid SIREN)."""
    return stdnum_siret.is_valid(siret)


def siret_error(value, siren: str = "") -> str:
    """The French message of the first rule ``value`` breaks for a commune of SIREN ``siren``, or ``""``.

    ``siren`` empty (a commune the referential gives no SIREN, e.g. in a COM): the prefix rule
    cannot be checked and is skipped; the length and checksum rules still apply.
    """
    siret = normalize(value)
    siren = (siren or "").strip()
    if not siret:
        return "Indiquez le SIRET de la mairie (14 chiffres)."
    if not (siret.isascii() and siret.isdigit()):
        return "Le SIRET ne contient que des chiffres (les espaces sont acceptés)."
    if len(siret) != 14:
        return f"Le SIRET compte 14 chiffres : vous en avez saisi {len(siret)}."
    if siren and not siret.startswith(siren):
        return f"Le SIRET doit commencer par le SIREN de la commune, {siren}."
    if not stdnum_siren.is_valid(siret[:9]):
        return (
            "Ce SIRET n'existe pas : ses 9 premiers chiffres ne forment pas un SIREN valide "
            "(clé de contrôle fausse). Vérifiez-les."
        )
    if not checksum_ok(siret):
        return (
            "Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez les 14 chiffres, "
            "en particulier les 5 derniers (le NIC de la mairie)."
        )
    return ""


def is_valid_siret(value, siren: str = "") -> bool:
    return not siret_error(value, siren)


def validate_siret(value, siren: str = "") -> str:
    """The normalised SIRET, or ``ValidationError`` (French message, code ``invalid_siret``)."""
    message = siret_error(value, siren)
    if message:
        raise ValidationError(message, code="invalid_siret")
    return normalize(value)


def demo_siret(siren: str) -> str:
    """A valid but fictitious SIRET for demonstration and benchmark data: the SIREN, the NIC
    prefix ``9999`` (far above any town hall's NIC) and the Luhn check digit. ``""`` when the
    SIREN is not a valid SIREN."""
    siren = (siren or "").strip()
    if not stdnum_siren.is_valid(siren):
        return ""
    stem = siren + DEMO_NIC_PREFIX
    siret = stem + luhn.calc_check_digit(stem)
    return siret if checksum_ok(siret) else ""  # La Poste's rule: never for a commune
