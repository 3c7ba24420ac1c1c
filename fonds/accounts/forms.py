from django import forms
from dsfr.forms import DsfrBaseForm


class OtpCodeForm(DsfrBaseForm):
    code = forms.CharField(
        label="Code à 6 chiffres affiché par votre application d'authentification",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError("Le code ne contient que des chiffres.")
        return code
