"""The labels' forms: a new label of a campaign (name and DSFR colour), a label put on or taken
off a dossier."""

from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds.referentiel.models import Campaign

from .models import Label, LabelColour


class LabelForm(DsfrBaseForm):
    campaign = forms.ModelChoiceField(
        label="Campagne",
        queryset=Campaign.objects.order_by("-opens_at", "-pk"),
        empty_label="Choisir une campagne",
        error_messages={"required": "Choisissez la campagne de l'étiquette."},
    )
    name = forms.CharField(
        label="Nom de l'étiquette",
        max_length=Label._meta.get_field("name").max_length,
        help_text="Par exemple « à revoir » ou « priorité préfecture ». 40 caractères au plus.",
        error_messages={"required": "Donnez un nom à l'étiquette."},
    )
    colour = forms.ChoiceField(
        label="Couleur",
        choices=[("", "Choisir une couleur"), *LabelColour.choices],
        help_text="Une des couleurs d'étiquette du système de design de l'État.",
        error_messages={"required": "Choisissez une couleur."},
    )


class DossierLabelForm(DsfrBaseForm):
    """Put a label of the dossier's campaign on it."""

    label = forms.ModelChoiceField(
        label="Étiquette à ajouter",
        queryset=Label.objects.none(),
        empty_label="Choisir une étiquette",
        error_messages={"required": "Choisissez une étiquette.", "invalid_choice": "Étiquette inconnue."},
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].queryset = Label.objects.filter(campaign_id=dossier.campaign_id).order_by("name")
