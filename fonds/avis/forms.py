"""The forms of the avis pages: the instructor's request, the expert's answer (confirmed final)."""

from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds import clock
from fonds.conversation.forms import ACCEPT
from fonds.ui.forms import confirm_field, date_field, long_text_field

from .models import AvisRequest
from .services import DEADLINE_PAST


class AvisRequestForm(DsfrBaseForm):
    email = forms.EmailField(
        label="Adresse électronique de l'expert",
        help_text="Une personne extérieure au fonds : elle reçoit un compte d'expert si elle n'en a pas.",
        max_length=254,
        error_messages={
            "required": "Indiquez l'adresse électronique de l'expert.",
            "invalid": "Indiquez une adresse électronique valide (par exemple prenom.nom@exemple.fr).",
        },
    )
    first_name = forms.CharField(label="Prénom de l'expert (facultatif)", required=False, max_length=150)
    last_name = forms.CharField(label="Nom de l'expert (facultatif)", required=False, max_length=150)
    question = long_text_field(
        "Question posée à l'expert",
        rows=5,
        required=True,
        error_messages={"required": "Écrivez la question posée à l'expert."},
    )
    deadline = date_field(
        "Date limite de réponse",
        required=True,
        help_text="Au format JJ/MM/AAAA, postérieure à aujourd'hui.",
        error_messages={
            "required": "Indiquez la date limite de réponse.",
            "invalid": "Indiquez une date valide, par exemple 31/01/2027.",
        },
    )
    visibility = forms.ChoiceField(
        label="Diffusion de l'avis",
        choices=AvisRequest.Visibility.choices,
        initial=AvisRequest.Visibility.CONFIDENTIAL,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez la diffusion de l'avis."},
    )

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline <= clock.today():
            raise forms.ValidationError(DEADLINE_PAST)
        return deadline


class AnswerForm(DsfrBaseForm):
    answer = long_text_field(
        "Votre avis",
        rows=8,
        required=True,
        max_length=20000,
        error_messages={"required": "Écrivez votre avis."},
    )
    attachment = forms.FileField(
        label="Pièce jointe (facultatif)",
        required=False,
        help_text="PDF, JPEG ou PNG.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        error_messages={
            "invalid": "Le fichier n'a pas pu être reçu : réessayez.",
            "empty": "Le fichier est vide.",
        },
    )
    confirm = confirm_field(
        "Je confirme que cet avis est définitif : une fois envoyé, il ne pourra plus être modifié."
    )

    def upload(self) -> tuple[str, bytes] | None:
        file = self.cleaned_data.get("attachment")
        return (file.name, file.read()) if file else None
