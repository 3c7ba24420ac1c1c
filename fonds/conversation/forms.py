"""The conversation's forms (DSFR, labels always visible): a message with its attachments, and the
porteur's resend of a corrected dossier (an optional answer, an explicit confirmation)."""

from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds.ui.forms import long_text_field

from .services import Upload

ACCEPT = "application/pdf,image/jpeg,image/png"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input: a list of ``UploadedFile``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class MessageForm(DsfrBaseForm):
    body = long_text_field("Votre message", rows=4)
    files = MultipleFileField(
        label="Pièces jointes (facultatif)",
        required=False,
        help_text="PDF, JPEG ou PNG ; vous pouvez en choisir plusieurs.",
        error_messages={
            "invalid": "Le fichier n'a pas pu être reçu : réessayez.",
            "empty": "Le fichier est vide.",
        },
    )

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            self.add_error("body", "Le message est vide : écrivez un texte ou joignez une pièce.")
        return data

    def uploads(self) -> list[Upload]:
        return [Upload(f.name, f.read()) for f in self.cleaned_data.get("files") or []]


class ResubmitForm(DsfrBaseForm):
    message = long_text_field(
        "Message à l'instructeur (facultatif)",
        help_text="Par exemple : ce que vous avez corrigé. Il rejoint la conversation du dossier.",
    )
    confirm = forms.BooleanField(
        label="Je confirme avoir apporté les corrections demandées et je renvoie le dossier à l'instructeur",
        required=True,
        error_messages={"required": "Cochez la case pour confirmer le renvoi du dossier."},
    )
