"""The SIRET rules of ``fonds.referentiel.siret`` — one test per rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from stdnum.luhn import is_valid as luhn_ok

from fonds.referentiel.siret import demo_siret, is_valid_siret, siret_error, validate_siret

SIREN = "213501232"
SIRET = "21350123200010"  # SIREN + NIC 00010, Luhn-valid (test value)


def test_siret_length_is_14_digits():
    assert siret_error("2135012320001", SIREN) == "Le SIRET compte 14 chiffres : vous en avez saisi 13."
    assert siret_error("213501232000100", SIREN) == "Le SIRET compte 14 chiffres : vous en avez saisi 15."
    assert siret_error("", SIREN) == "Indiquez le SIRET de la mairie (14 chiffres)."
    assert (
        siret_error("2135O123200010", SIREN)
        == "Le SIRET ne contient que des chiffres (les espaces sont acceptés)."
    )


def test_siret_spaces_typed_are_accepted_and_stripped():
    assert validate_siret(" 213 501 232 00010 ", SIREN) == SIRET
    assert validate_siret("213\u00a0501\u00a0232\u00a000010", SIREN) == SIRET


def test_siret_siren_prefix():
    other = demo_siret("217500016")  # valid SIRET, another commune
    assert is_valid_siret(other) and not is_valid_siret(other, SIREN)
    assert siret_error(other, SIREN) == "Le SIRET doit commencer par le SIREN de la commune, 213501232."
    assert is_valid_siret(SIRET, SIREN)


def test_siret_luhn_checksum():
    assert luhn_ok(SIRET) and is_valid_siret(SIRET, SIREN)
    wrong = "21350123200015"  # same SIREN, one digit off
    assert not luhn_ok(wrong)
    assert "clé de contrôle est fausse" in siret_error(wrong, SIREN)
    with pytest.raises(ValidationError) as exc:
        validate_siret(wrong, SIREN)
    assert exc.value.code == "invalid_siret"


def test_siret_la_poste_digit_sum_multiple_of_5():
    # La Poste (SIREN 356000000): the digit sum is a multiple of 5, Luhn does not apply
    assert not luhn_ok("35600000000010") and is_valid_siret("35600000000010", "356000000")  # 3+5+6+1 = 15
    assert luhn_ok("35600000000014") and not is_valid_siret("35600000000014", "356000000")  # sum 19
    assert is_valid_siret("35600000000048", "356000000")  # the head office follows Luhn


def test_siret_siren_part_is_a_valid_siren():
    # Luhn holds on the 14 digits, but 123456780 is no SIREN (stdnum's fr.siret checks both)
    assert luhn_ok("12345678000014") and not is_valid_siret("12345678000014")
    assert "ne forment pas un SIREN valide" in siret_error("12345678000014")


def test_demo_siret_is_valid_and_clearly_fictitious():
    siret = demo_siret(SIREN)
    assert is_valid_siret(siret, SIREN) and siret[9:13] == "9999"
    assert demo_siret("") == "" and demo_siret("12") == "" and demo_siret("123456780") == ""
