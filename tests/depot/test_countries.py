"""The partner country select: ISO codes stored, French names shown (django-countries)."""

from fonds.depot.countries import FRENCH_CODES, partner_countries
from fonds.depot.forms import PartnershipForm


def test_partner_countries_are_iso_codes_with_french_names_sorted():
    names = dict(partner_countries())
    assert names["DE"] == "Allemagne" and names["GB"] == "Royaume-Uni" and names["GY"] == "Guyana"
    assert all(len(code) == 2 and code.isupper() for code in names)
    order = [name for _, name in partner_countries()]
    assert order.index("Afrique du Sud") < order.index("Allemagne")
    assert order.index("Équateur") < order.index("Espagne")  # accents ignored


def test_france_and_its_overseas_territories_are_not_partner_countries():
    codes = {code for code, _ in partner_countries()}
    assert not codes & FRENCH_CODES and "FR" in FRENCH_CODES
    field = PartnershipForm().fields["country"]
    assert ("", "Choisissez un pays") == field.choices[0] and ("FR", "France") not in field.choices
