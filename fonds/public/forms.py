"""Forms of the public pages (the list's filters) and of the publication screens (DSFR)."""

from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds.ui.forms import long_text_field, search_field

from .models import PUBLIC_TEXT_MAX
from .rules import DISTANCE_BANDS, DONE, STATUS_LABELS, UPCOMING, Filters

ALL = ("", "Tous")


class FilterForm(DsfrBaseForm):
    """The list's filters, read from the query string; a value that is not among the choices is
    ignored (a public page answers, whatever is typed in its address)."""

    q = search_field("Commune, intitulé du projet, ville partenaire ou numéro de dossier.")
    campagne = forms.ChoiceField(label="Appel à projets", required=False)
    region = forms.ChoiceField(label="Région", required=False)
    departement = forms.ChoiceField(label="Département", required=False)
    pays = forms.ChoiceField(label="Pays partenaire", required=False)
    distance = forms.ChoiceField(
        label="Distance (aller)",
        required=False,
        choices=[ALL, *((k, label) for k, (label, _, _) in DISTANCE_BANDS.items())],
    )
    statut = forms.ChoiceField(
        label="Statut",
        required=False,
        choices=[ALL, (UPCOMING, STATUS_LABELS[UPCOMING]), (DONE, STATUS_LABELS[DONE])],
    )

    def __init__(self, data, *, facets: dict):
        super().__init__(data)
        self.fields["campagne"].choices = [("", "Tous"), *facets["campaigns"]]
        self.fields["region"].choices = [("", "Toutes"), *facets["regions"]]
        self.fields["departement"].choices = [("", "Tous"), *facets["departements"]]
        self.fields["pays"].choices = [("", "Tous"), *facets["countries"]]

    def filters(self) -> Filters:
        self.is_valid()
        data = {name: self.cleaned_data.get(name, "") or "" for name in self.fields}
        campaign = data["campagne"]
        return Filters(
            campaign=int(campaign) if campaign.isdigit() else None,
            region=data["region"],
            departement=data["departement"],
            country=data["pays"],
            distance=data["distance"],
            status=data["statut"],
            q=data["q"].strip(),
        )

    def params(self) -> dict:
        """The valid filters as query-string parameters (the cache key, the pagination links)."""
        self.is_valid()
        return {
            name: self.cleaned_data.get(name) or "" for name in self.fields if self.cleaned_data.get(name)
        }


class TextsForm(DsfrBaseForm):
    summary = long_text_field(
        "Résumé public du projet",
        rows=6,
        max_length=PUBLIC_TEXT_MAX,
        help_text=(
            f"{PUBLIC_TEXT_MAX} caractères au plus. Il sera lisible par tous sur la page "
            "« Projets soutenus » dès l'acceptation de la convention. Ne citez ni le nom ni l'âge "
            "d'un jeune ou d'un accompagnateur."
        ),
    )
    report_paragraph = long_text_field(
        "Paragraphe public du bilan (facultatif)",
        rows=5,
        max_length=PUBLIC_TEXT_MAX,
        help_text=(
            "Après le voyage : ce que le projet a apporté, en quelques lignes. Ne citez ni le nom ni l'âge "
            "d'un participant."
        ),
    )

    def __init__(self, *args, summary: bool, paragraph: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not summary:
            del self.fields["summary"]
        if not paragraph:
            del self.fields["report_paragraph"]


class HideForm(DsfrBaseForm):
    motivation = long_text_field(
        "Motif",
        required=True,
        max_length=2000,
        help_text="Obligatoire (10 caractères au moins). Il est conservé dans la piste d'audit du fonds.",
        error_messages={"required": "Indiquez le motif de la décision."},
    )
