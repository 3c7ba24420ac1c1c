"""Forms of the accounts administration: list filters, roles, confirmations, CSV upload."""

from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds.accounts.roles import Role
from fonds.referentiel.models import Commune
from fonds.ui.forms import confirm_field

ROLE_CHOICES = [(value, label) for value, label in Role.choices]


class AccountFilterForm(DsfrBaseForm):
    q = forms.CharField(label="Nom ou adresse électronique", required=False, max_length=100)
    role = forms.ChoiceField(label="Rôle", required=False, choices=[("", "Tous les rôles"), *ROLE_CHOICES])
    commune = forms.CharField(label="Commune (code INSEE ou nom)", required=False, max_length=120)
    active = forms.ChoiceField(
        label="État",
        required=False,
        choices=[("", "Actifs et désactivés"), ("oui", "Actifs"), ("non", "Désactivés")],
    )


class RolesForm(DsfrBaseForm):
    roles = forms.MultipleChoiceField(
        label="Rôles du compte",
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un rôle."},
    )
    commune = forms.CharField(
        label="Commune du porteur (code INSEE)",
        required=False,
        max_length=5,
        help_text=(
            "Obligatoire pour le rôle « porteur de projet » ; laissez vide pour garder la commune actuelle."
        ),
    )

    def clean_commune(self):
        code = (self.cleaned_data.get("commune") or "").strip().upper()
        if not code:
            return None
        commune = Commune.objects.filter(code=code.zfill(5) if code.isdigit() else code).first()
        if commune is None:
            raise forms.ValidationError(f"Aucune commune n'a le code INSEE « {code} ».")
        return commune


class ConfirmForm(DsfrBaseForm):
    confirm = confirm_field("Je confirme")

    def __init__(self, *args, label: str = "Je confirme", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = label
        self._bound_fields_cache.pop("confirm", None)  # DsfrBaseForm built it with the class's label


class UploadForm(DsfrBaseForm):
    file = forms.FileField(
        label="Fichier CSV",
        help_text=(
            "Séparateur « ; » ou « , », encodage UTF-8 (avec ou sans BOM), une ligne d'en-tête facultative."
        ),
        error_messages={"required": "Choisissez le fichier CSV à importer."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class InviteForm(DsfrBaseForm):
    """The confirmation of a checked import (the file is kept by the import itself)."""

    confirm = confirm_field("J'invite les comptes des lignes acceptées (un courriel part vers chacun)")
