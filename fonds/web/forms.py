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


class TransitionForm(DsfrBaseForm):
    motivation = forms.CharField(
        label="Motivation", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    confirm = forms.BooleanField(label="Je confirme cette action", required=True)

    def __init__(self, *args, needs_motivation=False, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_motivation:
            self.fields["motivation"].required = True
            self.fields["motivation"].label = "Motivation (obligatoire)"
            self.fields[
                "motivation"
            ].help_text = "Elle est notifiée à la commune et conservée dans la piste d'audit."
        else:
            self.fields["motivation"].label = "Commentaire (facultatif)"
