"""Forms of the front office after submission (DSFR, labels always visible)."""

from __future__ import annotations

import re

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds.dossiers.models import BudgetLine
from fonds.ui.fields import AmountField
from fonds.ui.forms import long_text_field

from .models import EXPENSE_CATEGORIES, INCOME_CATEGORIES
from .report_dates import actual_dates_errors

CATEGORY_LABELS = dict(BudgetLine.Category.choices)


class WithdrawForm(DsfrBaseForm):
    motivation = long_text_field(
        "Motif du retrait (facultatif)", help_text="Il est conservé dans l'historique du dossier."
    )
    confirm = forms.BooleanField(label="Je confirme le retrait définitif de ce dossier", required=True)


class RenounceForm(DsfrBaseForm):
    motivation = long_text_field(
        "Motif de la renonciation",
        required=True,
        help_text=(
            "Obligatoire. Par exemple : le voyage est annulé par la ville partenaire. Il est conservé dans "
            "l'historique du dossier."
        ),
        error_messages={"required": "Indiquez le motif de la renonciation."},
    )
    confirm = forms.BooleanField(
        label="Je renonce définitivement, au nom de la commune, à la subvention accordée à ce dossier",
        error_messages={"required": "Cochez la case pour confirmer la renonciation."},
    )

    def clean_motivation(self):
        text = (self.cleaned_data.get("motivation") or "").strip()
        if not text:
            raise forms.ValidationError("Indiquez le motif de la renonciation.")
        return text


class AcceptAgreementForm(DsfrBaseForm):
    accept = forms.BooleanField(label="J'accepte la convention au nom de la commune", required=True)
    signatory_name = forms.CharField(
        label="Vos prénom et nom",
        help_text=(
            "Tels qu'ils figureront dans la piste d'audit comme signataire, par exemple : Marie Dupont."
        ),
        min_length=3,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=64)

    field_order = ["signatory_name", "accept", "document_sha256"]

    def clean_signatory_name(self):
        return " ".join(self.cleaned_data["signatory_name"].split())


class ConfirmReportForm(DsfrBaseForm):
    confirm = forms.BooleanField(
        label="Je certifie exacts les chiffres du rapport final et je le dépose au nom de la commune",
        required=True,
    )


class AgesField(forms.CharField):
    """Ages typed as "14, 15, 16" (commas, semicolons or spaces) → a list of ints."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3000)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(a) for a in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        ages = []
        for token in re.split(r"[\s,;]+", text.strip()):
            if not token:
                continue
            if not token.isdigit() or not 0 <= int(token) <= 120:
                raise forms.ValidationError(
                    f"« {token[:20]} » n'est pas un âge : indiquez des nombres entiers (en années) "
                    "séparés par des virgules."
                )
            ages.append(int(token))
        if len(ages) > 500:
            raise forms.ValidationError("500 participants au plus.")
        return ages


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class FinalReportForm(DsfrBaseForm):
    start_date = forms.DateField(label="Premier jour effectif du projet", required=False, widget=DateInput)
    end_date = forms.DateField(label="Dernier jour effectif du projet", required=False, widget=DateInput)
    youth_ages = AgesField(
        label="Âges des jeunes qui ont réellement participé",
        help_text=(
            "Un âge par jeune, au premier jour, séparés par des virgules. Par exemple : 14, 15, 15, 17."
        ),
        required=False,
    )
    leader_ages = AgesField(
        label="Âges des accompagnateurs",
        help_text="Séparés par des virgules. Par exemple : 34, 51.",
        required=False,
    )
    nights = forms.IntegerField(label="Nombre total de nuitées", min_value=0, max_value=366, required=False)
    nights_hosted = forms.IntegerField(
        label="Dont nuitées en familles d'accueil", min_value=0, max_value=366, required=False
    )
    activity_report = long_text_field(
        "Compte rendu d'activité",
        rows=8,
        max_length=10000,
        help_text=(
            "Ce qui a été réalisé, les échanges entre jeunes, ce que le projet leur a apporté (10 000 "
            "caractères au plus)."
        ),
    )
    participant_list = forms.FileField(
        label="Liste des participants signée (PDF)",
        help_text=(
            "Fichier PDF de 10 Mo au plus. Elle contient des données de mineurs : seuls la commune et les "
            "services du fonds qui en ont besoin y ont accès."
        ),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean(self):
        data = super().clean()
        for name, message in actual_dates_errors(data.get("start_date"), data.get("end_date")).items():
            self.add_error(name, message)  # first ≤ last, neither in the future (the trip must have happened)
        nights, hosted = data.get("nights") or 0, data.get("nights_hosted") or 0
        if hosted > nights:
            self.add_error(
                "nights_hosted", "Les nuitées en familles ne peuvent dépasser le nombre total de nuitées."
            )
        return data


class LineForm(DsfrBaseForm):
    kind = "expense"
    categories: list[str] = EXPENSE_CATEGORIES

    category = forms.ChoiceField(label="Catégorie")
    label = forms.CharField(label="Libellé (facultatif)", required=False, max_length=200)
    amount = AmountField(label="Montant réel (€)", required=False, max_digits=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c, CATEGORY_LABELS[c]) for c in self.categories]

    def clean(self):
        data = super().clean()
        if data.get("amount") is None and data.get("label"):
            self.add_error("amount", "Indiquez le montant de cette ligne (ou effacez son libellé).")
        return data

    def line(self) -> dict | None:
        """The line to store, or None for a blank row."""
        data = getattr(self, "cleaned_data", None) or {}
        if data.get("amount") is None:
            return None
        return {
            "kind": self.kind,
            "category": data["category"],
            "label": data.get("label", ""),
            "amount": data["amount"],
            "eligible": bool(data.get("eligible", False)),
        }


class ExpenseLineForm(LineForm):
    eligible = forms.BooleanField(label="Dépense éligible", required=False, initial=True)


class IncomeLineForm(LineForm):
    kind = "income"
    categories = INCOME_CATEGORIES


def line_formset(form_class, *, data=None, initial=None, prefix: str, extra: int = 2):
    FormSet = forms.formset_factory(form_class, extra=extra, max_num=60, validate_max=True)
    return FormSet(data=data, initial=initial, prefix=prefix)
