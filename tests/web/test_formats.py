"""The French formatting layer (fonds.formats), its template filters and the amount field."""

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.template import Context, Template

from fonds import formats
from fonds.formats import (
    AmountError,
    euros,
    inhabitants,
    km,
    long_date,
    number,
    parse_amount,
    pct,
    short_date,
)
from fonds.ui.fields import AmountField

NB = "\u00a0"
ROOT = Path(__file__).resolve().parents[2]


def test_amount_whole_euros_without_cents_and_groups_of_three():
    assert euros(D("15000")) == f"15{NB}000{NB}€"
    assert euros(5700) == f"5{NB}700{NB}€"
    assert euros(D("1234567.00")) == f"1{NB}234{NB}567{NB}€"


def test_amount_with_cents_has_a_decimal_comma():
    assert euros(D("5700.5")) == f"5{NB}700,50{NB}€"
    assert euros(D("999.99")) == f"999,99{NB}€"
    assert euros("4252.50") == f"4{NB}252,50{NB}€"  # JSON payloads hold strings


def test_amount_with_cents_asked_for_a_column():
    assert euros(D("5700"), cents=True) == f"5{NB}700,00{NB}€"


def test_negative_amount_keeps_its_sign():
    assert euros(D("-3752.50")) == f"-3{NB}752,50{NB}€"


def test_number_population_distance_and_percentage():
    assert number(1541) == f"1{NB}541"
    assert number(D("5700"), 2) == f"5{NB}700,00"
    assert number(D("58.8"), 1) == "58,8"
    assert inhabitants(1541) == f"1{NB}541{NB}habitants"
    assert inhabitants(1) == f"1{NB}habitant"
    assert km(1200) == f"1{NB}200{NB}km"
    assert pct(D("12.50")) == f"12,5{NB}%" and pct(10) == f"10{NB}%"


def test_dates_in_words_and_in_digits():
    assert long_date(dt.date(2026, 12, 5)) == "5 décembre 2026"
    assert long_date(dt.date(2027, 3, 1)) == "1er mars 2027"
    assert short_date(dt.date(2026, 12, 5)) == "05/12/2026"


def test_dates_of_aware_datetimes_are_taken_in_paris_time():
    late_utc = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # already 1 January in Paris
    assert long_date(late_utc) == "1er janvier 2027" and short_date(late_utc) == "01/01/2027"


@pytest.mark.parametrize(
    "typed, amount",
    [
        ("5 500", D("5500")),
        ("5 500,50", D("5500.50")),
        ("5500.5", D("5500.5")),
        ("5500,50", D("5500.50")),
        ("5\u202f500,50 €", D("5500.50")),
        (f"1{NB}500{NB}€", D("1500")),
        ("1.500,50", D("1500.50")),
        (" 12 euros ", D("12")),
        (D("3.20"), D("3.20")),
        (7, D("7")),
    ],
)
def test_parse_amount_reads_what_a_french_person_types(typed, amount):
    assert parse_amount(typed) == amount


@pytest.mark.parametrize("typed", ["", "  ", None, "abc", "1,500.50", "12 34,5,6", "NaN", "1e5", "5 €50"])
def test_parse_amount_refuses_other_texts_with_a_french_message(typed):
    with pytest.raises(AmountError) as refused:
        parse_amount(typed)
    assert "5 500,50" in str(refused.value)


def test_parse_amount_quotes_the_refused_text():
    with pytest.raises(AmountError, match="« 1,500.50 »"):
        parse_amount("1,500.50")


def test_template_filters_of_the_one_library():
    html = Template(
        "{% load fjj %}{{ a|euros }}|{{ none|euros }}|{{ a|number:2 }}|{{ p|inhabitants }}|{{ d|km }}|"
        "{{ none|km }}|{{ r|pct }}|{{ day|long_date }}|{{ bad|euros }}"
    ).render(
        Context(
            {
                "a": D("5700"),
                "none": None,
                "p": 1541,
                "d": 1200,
                "r": D("12.5"),
                "day": dt.date(2026, 12, 5),
                "bad": "n/a",
            }
        )
    )
    assert html == (
        f"5{NB}700{NB}€|—|5{NB}700,00|1{NB}541{NB}habitants|1{NB}200{NB}km|"
        f"distance inconnue|12,5{NB}%|5 décembre 2026|n/a"
    )


def test_one_euros_filter_in_the_whole_project():
    libraries = [p for p in (ROOT / "fonds").glob("*/templatetags/*.py") if "def euros(" in p.read_text()]
    assert [p.relative_to(ROOT).as_posix() for p in libraries] == ["fonds/ui/templatetags/fjj.py"]


def test_amount_field_accepts_spaces_and_decimal_comma():
    field = AmountField(required=False)
    assert field.clean("5 500") == D("5500") and field.clean("5 500,50") == D("5500.50")
    assert field.clean("5500.50") == D("5500.50") and field.clean("") is None


def test_amount_field_says_what_it_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        AmountField().clean("cinq cents")
    assert "« cinq cents »" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        AmountField().clean("-5")  # 0 or more
    with pytest.raises(ValidationError):
        AmountField().clean("5,505")  # cents at most


def test_amount_field_is_a_text_input_with_the_decimal_keypad():
    html = str(AmountField().widget.render("amount", D("5500.50")))
    assert 'type="text"' in html and 'inputmode="decimal"' in html


def test_no_other_module_groups_digits_itself():
    """Thousands grouped by hand (``f"{n:,}"``) are the formatters this module replaced."""
    grouping = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "fonds").rglob("*.py")
        if "migrations" not in p.parts
        and p.name != "formats.py"
        and (":,}" in p.read_text() or ":,." in p.read_text())
    ]
    assert grouping == [] and formats.NBSP == NB
