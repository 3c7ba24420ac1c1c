import datetime as dt

from django import forms
from dsfr.forms import DsfrBaseForm

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.comite.agenda import AGENDA_OPEN
from fonds.comite.forms import SessionChoice
from fonds.comite.models import Session
from fonds.instruction.filters import DsfrRadios
from fonds.instruction.forms import (
    DEADLINE_MISSING,
    DEADLINE_PAST,
    correctable_fields,
    deadline_field,
    documents_field,
    fields_to_fix_field,
)
from fonds.instruction.models import Label
from fonds.ui.forms import confirm_field, long_text_field

from .models import BulkJob

LABEL_ACTIONS = (BulkJob.Action.ADD_LABEL, BulkJob.Action.REMOVE_LABEL)


class BulkActionForm(DsfrBaseForm):
    action = forms.ChoiceField(
        label="Action à appliquer",
        choices=BulkJob.Action.choices,
        widget=DsfrRadios,
        error_messages={"required": "Choisissez une action."},
    )
    instructor = forms.ModelChoiceField(
        label="Instructeur (attribution)", required=False, queryset=None, empty_label="Choisir un instructeur"
    )
    message = long_text_field(
        "Message aux communes",
        help_text=(
            "Il rejoint la conversation de chaque dossier ; avec une demande de corrections, il en est "
            "le motif."
        ),
    )
    fields_to_fix = fields_to_fix_field()
    documents = documents_field()
    session = SessionChoice(
        label="Séance du comité (inscription à l'ordre du jour)",
        required=False,
        queryset=Session.objects.none(),
        empty_label="Choisir une séance",
        error_messages={"invalid_choice": "Cette séance ne peut plus recevoir de dossier."},
    )
    deadline = deadline_field("Échéance des corrections", required=False)
    label = forms.ModelChoiceField(
        label="Étiquette (ajout ou retrait)",
        required=False,
        queryset=Label.objects.none(),
        empty_label="Choisir une étiquette",
        help_text="Une étiquette ne se pose que sur les dossiers de sa campagne.",
    )
    confirm = confirm_field("Je confirme l'action sur tous les dossiers de la sélection")

    def __init__(self, *args, days: int = 15, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["instructor"].queryset = User.objects.filter(
            groups__name=Role.INSTRUCTEUR, is_active=True
        ).order_by("email")
        self.fields["fields_to_fix"].choices = correctable_fields()
        self.fields["session"].queryset = (
            Session.objects.filter(status__in=AGENDA_OPEN, follows__isnull=True)
            .select_related("campaign")
            .order_by("starts_at", "pk")
        )
        self.fields["deadline"].initial = clock.today() + dt.timedelta(days=days)
        self.fields["label"].queryset = Label.objects.select_related("campaign").order_by(
            "-campaign__opens_at", "campaign_id", "name"
        )
        self.fields["label"].label_from_instance = lambda label: f"{label.campaign.name} — {label.name}"

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == BulkJob.Action.ASSIGN and not data.get("instructor"):
            self.add_error("instructor", "Choisissez l'instructeur à qui attribuer les dossiers.")
        if action == BulkJob.Action.SCHEDULE and not data.get("session"):
            self.add_error(
                "session", "Choisissez la séance à l'ordre du jour de laquelle inscrire les dossiers."
            )
        if action in LABEL_ACTIONS and not data.get("label"):
            self.add_error("label", "Choisissez l'étiquette à ajouter ou à retirer.")
        if action == BulkJob.Action.MESSAGE and not (data.get("message") or "").strip():
            self.add_error("message", "Écrivez le message à envoyer aux communes.")
        if action == BulkJob.Action.REQUEST_CORRECTIONS:
            if not (data.get("message") or "").strip():
                self.add_error("message", "Expliquez aux communes ce qu'elles doivent corriger.")
            if not data.get("fields_to_fix") and not data.get("documents"):
                self.add_error("fields_to_fix", "Cochez au moins un champ ou une pièce.")
            if not data.get("deadline"):
                self.add_error("deadline", DEADLINE_MISSING)
            elif data["deadline"] <= clock.today():
                self.add_error("deadline", DEADLINE_PAST)
        return data

    def job_params(self) -> dict:
        data = self.cleaned_data
        action = data["action"]
        if action == BulkJob.Action.ASSIGN:
            return {"instructor": data["instructor"].pk, "instructor_email": data["instructor"].email}
        if action == BulkJob.Action.REQUEST_CORRECTIONS:
            return {
                "motivation": data["message"].strip(),
                "fields": data["fields_to_fix"],
                "documents": data["documents"],
                "deadline": data["deadline"].isoformat(),
            }
        if action == BulkJob.Action.SCHEDULE:
            return {"session": data["session"].pk}
        if action == BulkJob.Action.MESSAGE:
            return {"body": data["message"].strip()}
        if action in LABEL_ACTIONS:
            return {"label": data["label"].pk, "label_name": data["label"].name}
        return {}
