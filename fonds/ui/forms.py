"""Forms and form fields shared by the stages' screens, and the error summary above a form."""

from django import forms
from dsfr.forms import DsfrBaseForm

CONFIRM_ERRORS = {"required": "Cochez la case pour confirmer."}
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def long_text_field(
    label: str, *, rows: int = 4, required: bool = False, max_length: int = 5000, **kwargs
) -> forms.CharField:
    """A motivation, message, comment or report: ``max_length`` characters at most (5,000 unless
    said), in a textarea of ``rows`` lines."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


def date_field(
    label: str, *, required: bool = False, error_messages: dict | None = None, **kwargs
) -> forms.DateField:
    """A date in the browser's date picker (which sends AAAA-MM-JJ), or typed JJ/MM/AAAA without
    one; optional unless said. ``error_messages`` add to, or replace, the French « date invalide »."""
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide (JJ/MM/AAAA).", **(error_messages or {})},
        **kwargs,
    )


def search_field(help_text: str, **kwargs) -> forms.CharField:
    """The search box of a list: optional, 100 characters at most; ``help_text`` says what it finds."""
    return forms.CharField(label="Rechercher", help_text=help_text, required=False, max_length=100, **kwargs)


def confirm_field(label: str) -> forms.BooleanField:
    """The box ticked before an irreversible step; unticked, one plain French error."""
    return forms.BooleanField(label=label, error_messages=CONFIRM_ERRORS)


def errors_summary(*forms_or_formsets) -> list[dict]:
    """``[{"id", "label", "message"}]`` of every error, for the error summary at the top of a page."""
    out = []

    def of_form(form, prefix_label=""):
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else None
            for error in errors:
                label = f"{prefix_label}{field.label}" if field is not None else prefix_label.rstrip(" —")
                out.append(
                    {"id": field.auto_id if field is not None else "", "label": label, "message": error}
                )

    for item in forms_or_formsets:
        if item is None:
            continue
        if hasattr(item, "forms"):
            noun = getattr(item, "noun", "Ligne")
            for i, form in enumerate(item.forms, start=1):
                of_form(form, f"{noun} {i} — ")
            for error in item.non_form_errors():
                out.append({"id": "", "label": "", "message": error})
        else:
            of_form(item)
    return out


class PageSharingForm(DsfrBaseForm):
    """A form shown beside others on one page: its ids start with ``id_prefix`` (« note_body »),
    so two forms with a field of the same name never share an id (RGAA: each label, its field)."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class TransitionForm(DsfrBaseForm):
    motivation = long_text_field("Motivation")
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
