"""Form fields shared by every screen."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from fonds.formats import AmountError, euros, parse_amount

from .widgets import FastTextInput


class AmountField(forms.DecimalField):
    """An amount in euros as a French person types it (« 5 500 », « 5 500,50 », « 5500.50 »,
    « 1 500 € », any kind of space), read by ``fonds.formats.parse_amount``: one reading for every
    amount field. A text input with the decimal keypad (a number input refuses spaces); 0 or more,
    cents at most. A refused text gets the parser's message, which quotes it; a refused amount says
    the limit in euros."""

    widget = FastTextInput
    default_error_messages = {
        "max_decimal_places": "Montant refusé : un montant s'écrit au centime près (deux décimales au plus).",
        "max_digits": "Montant refusé : ce nombre est trop grand pour un montant en euros.",
        "max_whole_digits": "Montant refusé : ce nombre est trop grand pour un montant en euros.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.validators = [
            v for v in self.validators if not isinstance(v, (MinValueValidator, MaxValueValidator))
        ]
        if self.min_value is not None:
            low = (
                "Montant refusé : il ne peut pas être négatif."
                if self.min_value == 0
                else f"Montant refusé : il doit être d'au moins {euros(self.min_value)}."
            )
            self.validators.append(MinValueValidator(self.min_value, message=low))
        if self.max_value is not None:
            high = f"Montant refusé : il doit être d'au plus {euros(self.max_value)}."
            self.validators.append(MaxValueValidator(self.max_value, message=high))

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_amount(value)
        except AmountError as error:
            raise ValidationError(str(error), code="invalid") from None
