"""French display of money, numbers, distances and dates, and the parser of typed amounts.

One module so that every screen, email, PDF, export and message writes « 5 700 € »,
« 1 541 habitants », « 12,5 % », « 5 décembre 2026 » the same way. Digit groups are separated
by a no-break space (U+00A0, ``NBSP``), which never splits an amount across lines. Pure.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone

NBSP = "\u00a0"
CENT = Decimal("0.01")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def dec(value) -> Decimal:
    """A Decimal from a parameter or a model value (strings in JSON, never floats)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _grouped(digits: str) -> str:
    """``"1234567"`` → ``"1 234 567"`` (no-break spaces; a leading ``-`` kept)."""
    sign, digits = ("-", digits[1:]) if digits.startswith("-") else ("", digits)
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sign + NBSP.join(groups)


def number(value, decimals: int | None = None) -> str:
    """A number in French: ``3 500``, ``1 234,5``; ``decimals`` fixes the places (``5 700,00``).

    Without ``decimals`` a whole value shows no decimals and another shows the ones it has."""
    value = dec(value)
    if decimals is None:
        if value == value.to_integral_value():
            return _grouped(str(int(value)))
        text = f"{value.normalize():f}"
    else:
        text = f"{value.quantize(Decimal(1).scaleb(-decimals)):f}"
    whole, _, fraction = text.partition(".")
    return _grouped(whole) + ("," + fraction if fraction else "")


def euros(amount, *, cents: bool = False) -> str:
    """An amount: ``15 000 €``, ``999,99 €``; whole euros show no cents unless ``cents``."""
    amount = dec(amount)
    whole = amount == amount.to_integral_value() and not cents
    return f"{number(amount, 0 if whole else 2)}{NBSP}€"


def pct(value) -> str:
    """A percentage: ``10 %``, ``12,5 %``."""
    return f"{number(value)}{NBSP}%"


def km(value) -> str:
    """A distance: ``1 200 km``."""
    return f"{number(value)}{NBSP}km"


def inhabitants(value) -> str:
    """A population: ``1 541 habitants``, ``1 habitant``."""
    return f"{number(value)}{NBSP}habitant{'s' if abs(dec(value)) >= 2 else ''}"


def _day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def long_date(value) -> str:
    """A date in words: ``5 décembre 2026``, ``1er mars 2027`` (an aware datetime in Paris time)."""
    day = _day(value)
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


def short_date(value) -> str:
    """A date in digits, for tables: ``05/12/2026`` (an aware datetime in Paris time)."""
    return _day(value).strftime("%d/%m/%Y")


# ---- amounts typed by people --------------------------------------------------------------------


class AmountError(ValueError):
    """A text that is not an amount; ``str()`` is the French message for the person who typed it."""


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_CURRENCY = re.compile(r"^(?:€|eur|euros?)|(?:€|eur|euros?)$", re.IGNORECASE)
_PLAIN = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_DOTTED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
EXAMPLES = "par exemple 5 500 ou 5 500,50"


def parse_amount(value) -> Decimal:
    """The Decimal a French person means: ``5 500``, ``5 500,50``, ``5500.5``, ``5.500,50``,
    ``1 500 €`` (any kind of space). Raises ``AmountError`` (French message) for anything else;
    the caller checks the sign and the number of decimals."""
    if isinstance(value, bool):
        raise AmountError(f"Montant invalide : indiquez un nombre d'euros, {EXAMPLES}.")
    if isinstance(value, (Decimal, int)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    typed = str(value if value is not None else "").strip()
    text = _CURRENCY.sub("", _SPACES.sub("", typed))
    if not text:
        raise AmountError(f"Montant vide : indiquez un nombre d'euros, {EXAMPLES}.")
    if _DOTTED_THOUSANDS.match(text) and "," in text:
        text = text.replace(".", "")
    elif not _PLAIN.match(text):
        shown = typed[:40]
        raise AmountError(f"Montant invalide : « {shown} » n'est pas un nombre d'euros ; écrivez {EXAMPLES}.")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the patterns above only let numbers through
        raise AmountError(f"Montant invalide : « {typed[:40]} », écrivez {EXAMPLES}.") from None
