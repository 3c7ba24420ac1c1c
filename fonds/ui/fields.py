"""Form fields shared by every screen."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from fonds.formats import EXAMPLES, AmountError, parse_amount

from .widgets import FastTextInput


class AmountField(forms.DecimalField):
    """An amount in euros as a French person types it (« 5 500 », « 5 500,50 », « 5500.50 »,
    « 1 500 € »), read by ``fonds.formats.parse_amount``: one reading for every amount field.

    A text input with the decimal keypad (a number input refuses spaces); 0 or more, cents at most.
    A refused text gets the parser's message, which quotes it, unless the form gives its own."""

    widget = FastTextInput
    default_error_messages = {"invalid": f"Montant invalide : écrivez-le en chiffres, {EXAMPLES}."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_amount(value)
        except AmountError as error:
            own = self.error_messages["invalid"]
            message = str(error) if own == self.default_error_messages["invalid"] else own
            raise ValidationError(message, code="invalid") from None
