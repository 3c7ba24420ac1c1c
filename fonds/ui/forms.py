"""Forms shared by the stages' screens."""

from django import forms
from dsfr.forms import DsfrBaseForm


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
