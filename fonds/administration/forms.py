"""DSFR forms of the administration screens: they parse input (French errors, nothing lost);
the services in this package check the rules and write."""

from __future__ import annotations

import datetime as dt

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds.referentiel.models import Campaign
from fonds.ui.fields import AmountField
from fonds.ui.forms import PageSharingForm, confirm_field, long_text_field

from . import parameters, scoring_grid, texts
from .versions import MIGRATION_CHOICES

REQUIRED = {"required": "Indiquez une valeur.", "invalid": "Indiquez un nombre."}


def _bounded(kind: str, label: str, low, high, *, required: bool = True) -> forms.Field:
    """A number between ``low`` and ``high``: ``int``, ``decimal`` or ``euros`` (an ``AmountField``,
    whose messages quote what it refused and say its limits in euros)."""
    if kind == "euros":
        return AmountField(
            label=label,
            required=required,
            min_value=low,
            max_value=high,
            max_digits=14,
            error_messages={"required": REQUIRED["required"]},
        )
    messages = dict(REQUIRED)
    if low is not None:
        messages["min_value"] = f"La valeur doit être au moins {low}."
    if high is not None:
        messages["max_value"] = f"La valeur doit être au plus {high}."
    common = dict(label=label, required=required, min_value=low, max_value=high, error_messages=messages)
    if kind == "int":
        return forms.IntegerField(**common)
    return forms.DecimalField(max_digits=14, decimal_places=4, localize=True, **common)  # « 12,5 »


def _field(param: parameters.Param) -> forms.Field:
    if param.kind == "bool":
        return forms.BooleanField(label=param.label, required=False)
    return _bounded("euros" if param.money else param.kind, param.label, param.low, param.high)


def _adopt(form, params: dict, errors: dict[str, str]) -> None:
    """The edited parameters become ``form.new_params``; each error goes on its field (or the form)."""
    for name, text in errors.items():
        form.add_error(name if name in form.fields else None, text)
    form.new_params = params


class RulesForm(DsfrBaseForm):
    """Every number of the règlement, initialised from the current version; its ``params()`` is
    the current params with the typed values written in (cross-field checks included)."""

    motivation = long_text_field("Motivation de la nouvelle version (obligatoire)", required=True)
    migration = forms.ChoiceField(
        label="Dossiers pas encore instruits (brouillons, déposés, en instruction, en corrections)",
        choices=MIGRATION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez ce que deviennent les dossiers pas encore instruits."},
    )

    def __init__(self, *args, current: dict, publishing: bool = False, **kwargs):
        kwargs.setdefault("initial", parameters.flatten(current))
        super().__init__(*args, **kwargs)
        self.current = current
        self.new_params = current
        if not publishing:  # a preview or a what-if needs neither
            self.fields["motivation"].required = False
            self.fields["migration"].required = False
        for param in parameters.PARAMS:
            self.fields[param.name] = _field(param)
        for i in range(parameters.band_count(current)):
            for column, text in parameters.BAND_COLUMNS:
                kind = "int" if column in ("min", "max") else "euros"
                self.fields[f"band_{i}_{column}"] = _bounded(
                    kind, f"Tranche {i + 1} — {text}", 0, 100_000, required=column != "max"
                )
        self.order_fields(["motivation", "migration"])

    def groups(self) -> list[tuple[str, list]]:
        """The fields by group of the règlement, for the template."""
        out: dict[str, list] = {}
        for param in parameters.PARAMS:
            out.setdefault(param.group, []).append(self[param.name])
        return list(out.items())

    def bands(self) -> list[list]:
        return [
            [self[f"band_{i}_{column}"] for column, _ in parameters.BAND_COLUMNS]
            for i in range(parameters.band_count(self.current))
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        params = parameters.apply(self.current, cleaned)
        _adopt(self, params, parameters.consistency_errors(params))
        return cleaned


class WhatIfForm(DsfrBaseForm):
    """The campaign whose dossiers the draft is replayed on."""

    replay_campaign = forms.ModelChoiceField(
        label="Campagne sur laquelle rejouer le brouillon",
        queryset=Campaign.objects.order_by("-opens_at"),
        required=False,
    )


class CampaignForm(DsfrBaseForm):
    """A campaign's own fields (a clone's, or those of a campaign not yet open); its rules, grid,
    committee composition and document texts are copied or edited on their own screens."""

    name = forms.CharField(label="Nom de la nouvelle campagne", max_length=200)
    year = forms.IntegerField(label="Année de l'appel", min_value=2000, max_value=2100)
    opens_at = forms.DateTimeField(label="Ouverture des dépôts (JJ/MM/AAAA HH:MM)")
    closes_at = forms.DateTimeField(label="Clôture des dépôts (JJ/MM/AAAA HH:MM)")
    activity_start = forms.DateField(label="Début de la période d'activité (JJ/MM/AAAA)")
    activity_end = forms.DateField(label="Fin de la période d'activité (JJ/MM/AAAA)")
    envelope = AmountField(label="Enveloppe (€)")
    committee_dates = forms.CharField(
        label="Dates de comité (JJ/MM/AAAA, une par ligne)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    motivation = long_text_field("Motivation (obligatoire)", required=True)

    def clean_committee_dates(self):
        dates = []
        for line in (self.cleaned_data.get("committee_dates") or "").split():
            try:
                dates.append(dt.datetime.strptime(line.strip(), "%d/%m/%Y").date())
            except ValueError as exc:
                raise forms.ValidationError(f"« {line} » n'est pas une date au format JJ/MM/AAAA.") from exc
        return dates


class ExtendForm(PageSharingForm):
    """Move the close of an open campaign's window later (an extension)."""

    id_prefix = "extend"
    closes_at = forms.DateTimeField(label="Nouvelle clôture des dépôts (JJ/MM/AAAA HH:MM)")
    motivation = long_text_field("Motivation (obligatoire)", required=True)


class TopUpForm(PageSharingForm):
    """Raise an open campaign's envelope (a top-up)."""

    id_prefix = "top_up"
    envelope = AmountField(label="Nouvelle enveloppe (€)")
    motivation = long_text_field("Motivation (obligatoire)", required=True)


class OpenForm(DsfrBaseForm):
    motivation = long_text_field("Motivation (obligatoire)", required=True)
    confirm = confirm_field(
        "Je confirme l'ouverture des dépôts : la fenêtre ne pourra plus qu'être prolongée"
    )


class PublishConfirmForm(DsfrBaseForm):
    confirm = confirm_field("Je confirme la publication de cette nouvelle version du règlement")


class GridForm(DsfrBaseForm):
    """The scoring grid of the current version: criteria labels and points, thresholds, bands."""

    motivation = long_text_field("Motivation de la nouvelle grille (obligatoire)", required=True)
    threshold_total = _bounded("int", "Seuil d'un avis favorable (total des points, au moins)", 0, 1000)
    min_share_per_criterion_pct = _bounded("int", "Part minimale de chaque critère noté (%)", 0, 100)
    overseas_bonus = _bounded("int", "Bonus outre-mer du critère automatique (points)", 0, 100)

    def __init__(self, *args, current: dict, **kwargs):
        kwargs.setdefault("initial", scoring_grid.flatten(current))
        super().__init__(*args, **kwargs)
        self.current = current
        self.new_params = current
        self.criteria = current["scoring"]["criteria"]
        for i, crit in enumerate(self.criteria):
            auto = " (calculé automatiquement)" if crit.get("automatic") else ""
            self.fields[f"crit_{i}_label"] = forms.CharField(
                label=f"Critère {i + 1}{auto} — intitulé",
                max_length=300,
                error_messages={"required": "Indiquez l'intitulé du critère."},
            )
            self.fields[f"crit_{i}_max"] = _bounded("int", f"Critère {i + 1} — points au plus", 0, 1000)
            self.fields[f"crit_{i}_remove"] = forms.BooleanField(
                label=f"Retirer le critère {i + 1} de la grille", required=False
            )
        self.fields["new_label"] = forms.CharField(
            label="Nouveau critère (noté par l'instructeur) — intitulé", max_length=300, required=False
        )
        self.fields["new_max"] = _bounded("int", "Nouveau critère — points au plus", 1, 1000, required=False)
        for i, _ in enumerate(current["scoring"].get("territorial_bands", [])):
            self.fields[f"band_{i}_below"] = _bounded(
                "int", f"Tranche {i + 1} — population inférieure à", 0, 10**7
            )
            self.fields[f"band_{i}_points"] = _bounded("int", f"Tranche {i + 1} — points", 0, 1000)

    def rows(self):
        return [
            (self[f"crit_{i}_label"], self[f"crit_{i}_max"], self[f"crit_{i}_remove"])
            for i in range(len(self.criteria))
        ]

    def bands(self):
        count = len(self.current["scoring"].get("territorial_bands", []))
        return [(self[f"band_{i}_below"], self[f"band_{i}_points"]) for i in range(count)]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("new_label", "").strip() and not cleaned.get("new_max"):
            self.add_error("new_max", "Indiquez les points du nouveau critère.")
            return cleaned
        params = scoring_grid.apply(self.current, cleaned)
        _adopt(self, params, scoring_grid.grid_errors(params))
        return cleaned


class TextsForm(DsfrBaseForm):
    """The variable texts of a campaign's documents."""

    authority = forms.CharField(label="Autorité de gestion (en-tête des documents)", max_length=200)
    fund_address = forms.CharField(
        label="Adresse du fonds", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    signatory_name = forms.CharField(label="Nom du signataire", max_length=200)
    signatory_title = forms.CharField(label="Qualité du signataire", max_length=200)
    legal_mentions = forms.CharField(
        label="Mentions légales (voies de recours, données personnelles)",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    motivation = long_text_field("Motivation (obligatoire pour enregistrer)", required=True)

    def __init__(self, *args, preview: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in texts.FIELDS:
            self.fields[name].error_messages["required"] = "Ce texte est obligatoire."
        if preview:
            self.fields["motivation"].required = False
