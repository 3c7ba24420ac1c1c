"""The budget step's forms: expense and income lines (formsets) and the amount requested."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from dsfr.forms import DsfrBaseForm

from fonds.dossiers.models import BudgetLine
from fonds.formats import euros, pct
from fonds.ui.fields import AmountField
from fonds.ui.widgets import FastCheckboxInput, FastSelect, FastTextInput

EXPENSE_CATEGORIES = [(c.value, c.label) for c in BudgetLine.EXPENSES]
INCOME_CATEGORIES = [(c.value, c.label) for c in BudgetLine.INCOMES]


def amount_field(label: str) -> AmountField:
    """An amount of the budget: optional while the draft is unfinished, ten digits at most."""
    return AmountField(
        label=label,
        required=False,
        max_digits=10,
        error_messages={
            "min_value": "Le montant ne peut pas être négatif.",
            "max_decimal_places": "Deux décimales au plus.",
            "max_digits": "Montant trop élevé.",
        },
    )


class _LineForm(DsfrBaseForm):
    kind = ""
    category = forms.ChoiceField(label="Catégorie", required=False, widget=FastSelect)
    label = forms.CharField(
        label="Libellé (facultatif)", required=False, max_length=200, widget=FastTextInput
    )
    amount = amount_field("Montant (€)")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("category") and data.get("amount") is None and not data.get("label"):
            data["empty"] = True  # a blank line: ignored
            return data
        if not data.get("category"):
            self.add_error("category", "Choisissez la catégorie de cette ligne.")
        if data.get("amount") is None:
            self.add_error("amount", "Indiquez le montant de cette ligne.")
        return data

    def line(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("category") or data.get("empty") or data.get("DELETE"):  # blank, untouched or deleted
            return None
        return {
            "kind": self.kind,
            "category": data["category"],
            "label": data.get("label") or "",
            "amount": data["amount"],
            "eligible": bool(data.get("eligible", False)),
        }


def _category_field(label: str, categories: list[tuple[str, str]]) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, required=False, choices=[("", "Choisissez"), *categories], widget=FastSelect
    )


class ExpenseLineForm(_LineForm):
    kind = BudgetLine.Kind.EXPENSE
    category = _category_field("Catégorie de dépense", EXPENSE_CATEGORIES)
    eligible = forms.BooleanField(
        label="Dépense éligible",
        required=False,
        initial=True,
        widget=FastCheckboxInput,
        help_text="Décochez une dépense que le fonds ne finance pas (par exemple des frais de réception).",
    )


class IncomeLineForm(_LineForm):
    kind = BudgetLine.Kind.INCOME
    category = _category_field("Origine de la recette", INCOME_CATEGORIES)


class _BaseLineFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Supprimer cette ligne"
            form.fields["DELETE"].widget = FastCheckboxInput()

    def lines(self) -> list[dict]:
        return [line for form in self.forms if (line := form.line()) is not None]


def _line_formset(form: type[_LineForm], most: int):
    """One blank line shown, each line deletable, ``most`` lines at most."""
    return formset_factory(
        form,
        formset=_BaseLineFormSet,
        extra=1,
        can_delete=True,
        max_num=most,
        absolute_max=most,
        validate_max=True,
    )


ExpenseFormSet = _line_formset(ExpenseLineForm, 60)
IncomeFormSet = _line_formset(IncomeLineForm, 30)


class BudgetForm(DsfrBaseForm):
    requested_amount = amount_field("Montant demandé au fonds (€)")

    def __init__(self, *args, params: dict, **kwargs):
        """``params``: the rules the dossier follows (E6's bounds, said in the help text)."""
        super().__init__(*args, **kwargs)
        rule = params["eligibility"]
        help_text = (
            f"Entre {euros(rule['min_request'])} et {euros(rule['max_request'])}, et au plus "
            f"{pct(rule['max_grant_pct_of_eligible'])} des dépenses éligibles."
        )
        # the bound field (made by DsfrBaseForm's __init__) keeps its own copy of the help text
        self.fields["requested_amount"].help_text = self["requested_amount"].help_text = help_text
