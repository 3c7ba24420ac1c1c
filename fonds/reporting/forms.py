from django import forms
from dsfr.forms import DsfrBaseForm

from fonds.instruction.models import SavedFilter
from fonds.referentiel.models import Campaign

from .models import ExportJob


class ExportForm(DsfrBaseForm):
    format = forms.ChoiceField(label="Format", choices=ExportJob.Format.choices, initial=ExportJob.Format.CSV)
    campaign = forms.ModelChoiceField(
        label="Campagne",
        required=False,
        queryset=Campaign.objects.order_by("-year", "-pk"),
        empty_label="Toutes les campagnes",
    )
    saved_filter = forms.ModelChoiceField(
        label="Filtre enregistré (facultatif)",
        required=False,
        queryset=SavedFilter.objects.select_related("user").order_by("user__email", "name"),
        empty_label="Aucun : tous les dossiers déposés",
        help_text=(
            "Un filtre enregistré par un instructeur sur la liste des dossiers ; "
            "il est figé au lancement de l'export."
        ),
    )
    semicolon = forms.BooleanField(
        label="Séparateur point-virgule et virgule décimale (tableurs en français) — CSV seulement",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_filter"].label_from_instance = lambda f: f"{f.name} ({f.user.email})"
