from django import forms
from django.contrib.auth.forms import AuthenticationForm
from dsfr.forms import DsfrBaseForm

from fonds.dossiers.states import Status


class LoginForm(AuthenticationForm, DsfrBaseForm):
    username = forms.EmailField(
        label="Adresse électronique",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "Adresse électronique ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé.",
    }


class DossierFilterForm(DsfrBaseForm):
    status = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous les statuts"), *Status.choices]
    )
    q = forms.CharField(label="Rechercher (commune, intitulé, numéro)", required=False, max_length=100)
