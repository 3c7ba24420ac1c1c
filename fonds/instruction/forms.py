"""DSFR forms of the instruction pages (labels always visible; errors in plain French)."""

from __future__ import annotations

import datetime as dt

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds import clock
from fonds.dossiers.editing import EDITABLE_FIELDS
from fonds.dossiers.models import Document, Dossier
from fonds.referentiel.models import Commune
from fonds.ui.fields import AmountField
from fonds.ui.forms import PageSharingForm, confirm_field, long_text_field
from fonds.ui.widgets import FastHiddenInput, FastNumberInput, FastTextarea, FastTextInput

from . import grid
from .filters import DsfrCheckboxes, DsfrRadios

# the instruction page shows up to 8 text areas and 6 number inputs: their templates were a tenth of its CPU
MOTIVATION_WIDGET = FastTextarea(attrs={"rows": 3})


def correctable_fields() -> list[tuple[str, str]]:
    """``CorrectionRequest.fields`` codes: the porteur's editable fields, plus the budget."""
    out = [(name, str(Dossier._meta.get_field(name).verbose_name).capitalize()) for name in EDITABLE_FIELDS]
    out.append(("budget_lines", "Budget (dépenses et recettes)"))
    return out


def fields_to_fix_field():
    """What a request for corrections asks to change (choices: ``correctable_fields``)."""
    return forms.MultipleChoiceField(label="Champs à corriger", required=False, widget=DsfrCheckboxes)


def documents_field():
    """The documents a request for corrections asks for."""
    return forms.MultipleChoiceField(
        label="Pièces à fournir ou à remplacer",
        required=False,
        choices=Document.Kind.choices,
        widget=DsfrCheckboxes,
    )


DEADLINE_MISSING = "Indiquez une échéance."
DEADLINE_PAST = "L'échéance doit être postérieure à aujourd'hui."


def deadline_field(label: str, **kwargs) -> forms.DateField:
    """The deadline of a request for corrections (the dossier is closed without follow-up after it)."""
    return forms.DateField(
        label=label,
        help_text="Au-delà, le dossier est classé sans suite.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": DEADLINE_MISSING, "invalid": "Date invalide (JJ/MM/AAAA)."},
        **kwargs,
    )


class ScoreGridForm(DsfrBaseForm):
    """One points field and one comment per criterion the instructor scores."""

    def __init__(self, *args, params: dict, initial_scores: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = [c for c in grid.criteria(params) if not c.automatic]
        initial_scores = initial_scores or {}
        for crit in self.criteria:
            current = initial_scores.get(crit.code)
            self.fields[f"{crit.code}_points"] = forms.IntegerField(
                label=f"{crit.label} — points (0 à {crit.max})",
                min_value=0,
                max_value=crit.max,
                required=False,
                widget=FastNumberInput,
                initial=None if current is None else current.points,
                error_messages={
                    "max_value": f"De 0 à {crit.max} points.",
                    "min_value": f"De 0 à {crit.max} points.",
                    "invalid": "Un nombre entier de points.",
                },
            )
            self.fields[f"{crit.code}_comment"] = forms.CharField(
                label=f"{crit.label} — commentaire",
                required=False,
                max_length=4000,
                widget=FastTextarea(attrs={"rows": 2}),
                initial="" if current is None else current.comment,
            )

    def clean(self):
        data = super().clean()
        for crit in self.criteria:
            points, comment = (
                data.get(f"{crit.code}_points"),
                (data.get(f"{crit.code}_comment") or "").strip(),
            )
            if points is not None and not comment:
                self.add_error(f"{crit.code}_comment", "Justifiez la note par un commentaire.")
            if points is None and comment and f"{crit.code}_points" not in self.errors:
                self.add_error(f"{crit.code}_points", "Indiquez les points de ce critère.")
        return data

    def rows(self):
        return [(crit, self[f"{crit.code}_points"], self[f"{crit.code}_comment"]) for crit in self.criteria]

    def scores(self) -> dict:
        out = {}
        for crit in self.criteria:
            points = self.cleaned_data.get(f"{crit.code}_points")
            if points is not None:
                out[crit.code] = (points, self.cleaned_data.get(f"{crit.code}_comment", ""))
        return out


class AmountForm(DsfrBaseForm):
    amount = AmountField(
        label="Montant proposé (€)",
        help_text="Laissez vide pour retenir le montant de la formule.",
        required=False,
        max_digits=10,
    )
    motivation = forms.CharField(
        label="Motivation (obligatoire si le montant diffère de la formule)",
        required=False,
        max_length=5000,
        widget=MOTIVATION_WIDGET,
    )


class OverrideForm(DsfrBaseForm):
    motivation = long_text_field(
        "Motivation de la dérogation (obligatoire)",
        rows=5,
        required=True,
        help_text="Elle est conservée dans la piste d'audit et affichée avec le verdict.",
        error_messages={"required": "La dérogation exige une motivation écrite."},
    )
    confirm = confirm_field("Je confirme écarter ce verdict")


class NoteForm(PageSharingForm):
    id_prefix = "note"  # beside the message to the commune on the instruction page

    body = forms.CharField(
        label="Nouvelle note interne",
        help_text="Visible des seuls agents du fonds, jamais de la commune.",
        max_length=5000,
        widget=MOTIVATION_WIDGET,
        error_messages={"required": "La note est vide."},
    )


class CorrectionsForm(DsfrBaseForm):
    fields_to_fix = fields_to_fix_field()
    documents = documents_field()
    message = long_text_field(
        "Message au porteur (obligatoire)",
        rows=5,
        required=True,
        error_messages={"required": "Expliquez à la commune ce qu'elle doit corriger."},
    )
    deadline = deadline_field("Échéance")
    confirm = confirm_field("Je confirme la demande de corrections")

    def __init__(self, *args, days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields_to_fix"].choices = correctable_fields()
        self.fields["deadline"].initial = clock.today() + dt.timedelta(days=days)

    def clean_deadline(self):
        value = self.cleaned_data["deadline"]
        if value <= clock.today():
            raise forms.ValidationError(DEADLINE_PAST)
        return value

    def clean(self):
        data = super().clean()
        if not data.get("fields_to_fix") and not data.get("documents") and "message" in data:
            self.add_error("fields_to_fix", "Cochez au moins un champ ou une pièce.")
        return data


class CompleteForm(DsfrBaseForm):
    """The opinion, its motivation, the confirmation. ``favourable_refusal`` (``grid.opinion_refusal``
    for a favourable opinion): when set, the grid is below the thresholds and only « Défavorable »
    is offered — a favourable opinion posted anyway is refused with that reason."""

    opinion = forms.ChoiceField(
        label="Avis de l'instructeur",
        choices=list(grid.OPINION_LABELS.items()),
        widget=DsfrRadios,
        error_messages={"required": "Choisissez un avis."},
    )
    motivation = long_text_field(
        "Motivation de l'avis", help_text="Obligatoire si l'avis diffère de celui que suggère la grille."
    )
    confirm = confirm_field("Je confirme terminer l'instruction")

    def __init__(self, *args, favourable_refusal: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.favourable_refusal = favourable_refusal
        if favourable_refusal:
            field = self.fields["opinion"]
            field.choices = [(grid.UNFAVOURABLE, grid.OPINION_LABELS[grid.UNFAVOURABLE])]
            field.help_text = (
                "La grille est sous les seuils du règlement : l'avis ne peut être que défavorable "
                "(le comité décide ensuite)."
            )
            reason = favourable_refusal.split(" : ", 1)[-1].replace("%", "%%")  # the message is %-formatted
            field.error_messages["invalid_choice"] = f"Avis favorable impossible : {reason}."


class ConflictForm(DsfrBaseForm):
    commune = forms.CharField(label="Code INSEE de la commune", max_length=5, help_text="Par exemple 01001.")
    motivation = forms.CharField(
        label="Nature du lien",
        max_length=2000,
        widget=MOTIVATION_WIDGET,
        help_text=(
            "Par exemple : élu de la commune ou de son intercommunalité, parent d'un élu, ancien agent."
        ),
    )

    def clean_commune(self):

        code = self.cleaned_data["commune"].strip().upper()
        commune = Commune.objects.filter(code=code).first()
        if commune is None:
            raise forms.ValidationError("Aucune commune n'a ce code INSEE.")
        return commune


class SaveFilterForm(DsfrBaseForm):
    # on every page of the list: widgets rendered in Python (fonds.ui.widgets), same markup
    name = forms.CharField(label="Nom du filtre", max_length=80, widget=FastTextInput)
    querystring = forms.CharField(widget=FastHiddenInput, required=False, max_length=2000)
