"""SIRET of a commune: the rules, as plain functions (no database).

A SIRET is the SIREN of the legal person (9 digits) followed by the NIC of one of its
establishments (5 digits); for a commune, the establishment is the town hall (mairie). The
commune referential (Etalab ``decoupage-administratif``) gives the SIREN but no NIC, so the SIRET
is typed by the mayor with the bank details and certified by finance
(``fonds.payments.models.BankDetails.siret``); it is published as ``idBeneficiaire`` in the SCDL
open data (``fonds.reporting.scdl``).

Rules (one function each, one test each in ``tests/payments/test_siret.py``):

* ``siret_length``: 14 digits once the spaces the user typed are removed (``normalize``);
* ``siret_siren_prefix``: it begins with the commune's SIREN;
* ``siret_luhn``: its 14 digits pass the Luhn checksum (as every SIREN and SIRET does) —
  except La Poste (SIREN ``356000000``), whose establishments' SIRETs have a digit sum that is a
  multiple of 5 instead (``siret_la_poste``; the head office ``35600000000048`` passes Luhn).

``siret_error`` returns the French message of the first broken rule (or ``""``);
``validate_siret`` raises ``django.core.exceptions.ValidationError`` with it (the form and the
service show it next to the field).
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError

LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE = "35600000000048"
#: the NIC prefix of the demonstration and benchmark SIRETs (no town hall has a NIC this high)
DEMO_NIC_PREFIX = "9999"

_SPACES = re.compile(r"[\s\u00a0\u202f.-]+")


def normalize(value) -> str:
    """The SIRET without the spaces (also non-breaking), dots or dashes a person may type."""
    return _SPACES.sub("", str(value or ""))


def luhn_ok(digits: str) -> bool:
    """Luhn checksum (from the right, every second digit doubled) of a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def checksum_ok(siret: str) -> bool:
    """The checksum rule of a 14-digit SIRET: Luhn, or La Poste's digit sum multiple of 5."""
    if siret.startswith(LA_POSTE_SIREN) and siret != LA_POSTE_HEAD_OFFICE:
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def siret_error(value, siren: str = "") -> str:
    """The French message of the first rule ``value`` breaks for a commune of SIREN ``siren``, or ``""``.

    ``siren`` empty (a commune the referential gives no SIREN, e.g. in a COM): the prefix rule
    cannot be checked and is skipped; the length and checksum rules still apply.
    """
    siret = normalize(value)
    siren = (siren or "").strip()
    if not siret:
        return "Indiquez le SIRET de la mairie (14 chiffres)."
    if not siret.isdigit():
        return "Le SIRET ne contient que des chiffres (les espaces sont acceptés)."
    if len(siret) != 14:
        return f"Le SIRET compte 14 chiffres : vous en avez saisi {len(siret)}."
    if siren and not siret.startswith(siren):
        return f"Le SIRET doit commencer par le SIREN de la commune, {siren}."
    if not checksum_ok(siret):
        return ("Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez les 14 chiffres, "
                "en particulier les 5 derniers (le NIC de la mairie).")
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
    """A syntactically valid but fictitious SIRET for demonstration and benchmark data: the SIREN,
    the NIC prefix ``9999`` (far above any town hall's NIC) and the one digit that makes Luhn pass.
    ``""`` when the SIREN is not 9 digits."""
    siren = (siren or "").strip()
    if len(siren) != 9 or not siren.isdigit():
        return ""
    stem = siren + DEMO_NIC_PREFIX
    for last in "0123456789":
        if checksum_ok(stem + last):
            return stem + last
    return ""  # La Poste's rule with no digit fitting: never for a commune
