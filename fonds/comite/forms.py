"""DSFR forms of the comité pages (labels always visible, errors in plain French).

The forms only parse input; every rule (quorum, proxies, recusal, envelope…) is checked by
the comité's services, whose French refusal is shown above the re-rendered form.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from dsfr.forms import DsfrBaseForm

from fonds.accounts.models import User
from fonds.referentiel.models import Campaign
from fonds.ui.fields import AmountField
from fonds.ui.forms import confirm_field, long_text_field

from .composition import appointed, committee_accounts, composition
from .models import Attendance, Session, Vote


class _PersonLabel:
    """Offers an account as « Prénom Nom (email) », or its email alone."""

    def label_from_instance(self, user):
        name = user.get_full_name()
        return f"{name} ({user.email})" if name else user.email


class UserChoice(_PersonLabel, forms.ModelChoiceField):
    pass


class UserMultipleChoice(_PersonLabel, forms.ModelMultipleChoiceField):
    pass


STARTS_AT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def starts_at_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label="Date et heure de la séance",
        help_text="Format : JJ/MM/AAAA HH:MM (heure de Paris). Au moins 5 jours après la convocation.",
        input_formats=STARTS_AT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": "Indiquez la date et l'heure de la séance.",
            "invalid": "Date et heure invalides (JJ/MM/AAAA HH:MM).",
        },
    )


class SessionForm(DsfrBaseForm):
    """A new session. No member is picked: the session convenes the whole composition of the
    campaign's committee; the chair and the deputy chair are chosen among it (``campaign``: the
    campaign already chosen, whose composition the choices list)."""

    NOT_MEMBER = "Cette personne n'est pas membre de la composition du comité de la campagne."

    campaign = forms.ModelChoiceField(
        label="Campagne",
        queryset=None,
        empty_label="Choisir une campagne",
        error_messages={"required": "Choisissez la campagne.", "invalid_choice": "Campagne inconnue."},
    )
    starts_at = starts_at_field()
    place = forms.CharField(
        label="Lieu",
        required=False,
        max_length=300,
        help_text="Adresse de la salle ; laissez vide pour une séance en visioconférence.",
    )
    video_link = forms.URLField(
        label="Lien de visioconférence",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Adresse commençant par https://",
        error_messages={"invalid": "Lien invalide : une adresse commençant par https://"},
    )
    chair = UserChoice(
        label="Président de séance",
        queryset=None,
        empty_label="Choisir le président",
        help_text="Un membre de la composition du comité de la campagne.",
        error_messages={"required": "Désignez le président de séance.", "invalid_choice": NOT_MEMBER},
    )
    deputy_chair = UserChoice(
        label="Président de séance suppléant (facultatif)",
        queryset=None,
        required=False,
        empty_label="Aucun suppléant",
        help_text=(
            "Un autre membre de la composition : il préside les points sur lesquels le président est "
            "déporté (conflit d'intérêts) et y détient la voix prépondérante."
        ),
        error_messages={"invalid_choice": NOT_MEMBER},
    )
    follows = forms.ModelChoiceField(
        label="Reprise d'une séance ajournée (facultatif)",
        required=False,
        queryset=None,
        empty_label="Non : nouvel ordre du jour",
        help_text=(
            "La nouvelle séance reprend l'ordre du jour de la séance ajournée faute de quorum et délibère "
            "sans condition de quorum."
        ),
    )

    def __init__(self, *args, campaign=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.order_by("-year", "-pk")
        if campaign is not None:
            self.fields["campaign"].initial = campaign.pk
            users = committee_accounts().filter(pk__in=[u.pk for u in composition(campaign)])
        else:
            users = committee_accounts()
        self.fields["chair"].queryset = users
        self.fields["deputy_chair"].queryset = users
        self.fields["follows"].queryset = Session.objects.filter(
            status=Session.Status.ADJOURNED, followed_by__isnull=True
        ).select_related("campaign")

    def clean(self):
        data = super().clean()
        if (
            not (data.get("place") or "").strip()
            and not data.get("video_link")
            and "video_link" not in self.errors
        ):
            self.add_error("place", "Indiquez le lieu de la séance ou le lien de visioconférence.")
        deputy, chair = data.get("deputy_chair"), data.get("chair")
        if deputy is not None and chair is not None and deputy.pk == chair.pk:
            self.add_error(
                "deputy_chair", "Le président de séance suppléant doit être un autre membre que le président."
            )
        follows, campaign = data.get("follows"), data.get("campaign")
        if follows is not None and campaign is not None and follows.campaign_id != campaign.pk:
            self.add_error("follows", "La séance reprise appartient à une autre campagne.")
        return data


class RescheduleForm(DsfrBaseForm):
    starts_at = starts_at_field()
    confirm = confirm_field("Je confirme la nouvelle date de la séance")


class AppointForm(DsfrBaseForm):
    """Appoint accounts holding the committee role to a campaign's committee."""

    members = UserMultipleChoice(
        label="Comptes à nommer membres du comité de la campagne",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Les comptes actifs ayant le rôle « membre du comité » qui ne sont pas encore nommés.",
        error_messages={
            "required": "Cochez au moins un compte à nommer.",
            "invalid_choice": "Ce compte ne peut pas être nommé (il n'a pas le rôle « membre du comité » "
            "ou l'est déjà).",
        },
    )
    confirm = confirm_field(
        "Je nomme ces membres pour toutes les séances de la campagne non encore convoquées"
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        taken = appointed(campaign).values("member_id")
        self.fields["members"].queryset = committee_accounts().exclude(pk__in=taken)


class ConfirmForm(DsfrBaseForm):
    confirm = confirm_field("Je confirme")

    def __init__(
        self,
        *args,
        label: str = "Je confirme",
        motivation: str | None = None,
        motivation_required: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = label
        if motivation:
            self.fields["motivation"] = long_text_field(
                motivation,
                rows=3,
                required=motivation_required,
                error_messages={"required": "La motivation est obligatoire."},
            )
            self.order_fields(["motivation", "confirm"])


class ProxyForm(DsfrBaseForm):
    holder = UserChoice(
        label="Membre à qui vous donnez procuration",
        queryset=None,
        empty_label="Choisir un membre",
        error_messages={
            "required": "Choisissez le membre qui votera pour vous.",
            "invalid_choice": "Ce membre ne siège pas à cette séance.",
        },
    )
    confirm = confirm_field("Je donne procuration à ce membre pour toute la séance")

    def __init__(self, *args, members, giver, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = User.objects.filter(
            pk__in=[m.pk for m in members if m.pk != giver.pk]
        ).order_by("last_name", "first_name", "email")


class DeputyChairForm(DsfrBaseForm):
    deputy_chair = UserChoice(
        label="Président de séance suppléant",
        queryset=None,
        required=False,
        empty_label="Aucun suppléant",
        help_text=(
            "Il préside les points sur lesquels le président est déporté (conflit d'intérêts) et y détient "
            "la voix prépondérante."
        ),
        error_messages={
            "invalid_choice": "Cette personne ne siège pas à cette séance ou en est le président."
        },
    )

    def __init__(self, *args, members, chair_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputy_chair"].queryset = User.objects.filter(
            pk__in=[m.pk for m in members if m.pk != chair_id]
        ).order_by("last_name", "first_name", "email")


class ConflictForm(DsfrBaseForm):
    reason = forms.CharField(
        label="Nature du lien avec ce dossier",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Par exemple : élu de la commune ou de son intercommunalité, parent d'un élu, salarié d'une "
            "association partenaire."
        ),
        error_messages={"required": "Décrivez le lien avec ce dossier."},
    )
    confirm = confirm_field(
        "Je me déporte : je ne lirai pas la délibération de ce dossier et je ne voterai pas"
    )


class VoteForm(DsfrBaseForm):
    choice = forms.ChoiceField(
        label="Votre vote",
        choices=Vote.Choice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez pour, contre ou abstention."},
    )

    def __init__(self, *args, label: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["choice"].label = label


def _amount_field(label: str, help_text: str) -> AmountField:
    """An optional amount in euros (two decimals, not negative), with its French errors."""
    return AmountField(
        label=label,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=help_text,
        error_messages={
            "min_value": "Le montant ne peut pas être négatif.",
            "max_decimal_places": "Deux décimales au plus.",
        },
    )


class OpenVoteForm(DsfrBaseForm):
    amount = _amount_field(
        "Montant soumis au vote (€)",
        "Par défaut le montant proposé par l'instructeur ; un autre montant est un amendement à motiver.",
    )
    motivation = long_text_field("Motivation de l'amendement (si le montant change)", rows=2)


class DecisionForm(DsfrBaseForm):
    OUTCOMES = [
        ("approve", "Accorder la subvention"),
        ("reject", "Refuser"),
        ("defer", "Ajourner l'examen (retour en « instruit », prochaine séance)"),
    ]

    outcome = forms.ChoiceField(
        label="Décision",
        choices=OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez la décision."},
    )
    amount = _amount_field(
        "Montant accordé (€)", "Pour un accord : le montant voté, ou un autre montant (amendement motivé)."
    )
    motivation = long_text_field(
        "Motivation", help_text="Obligatoire pour un refus et pour un montant amendé ; notifiée au maire."
    )
    confirm = confirm_field("Je confirme cette décision (elle sera notifiée au maire)")

    def clean(self):
        data = super().clean()
        if data.get("outcome") == "reject" and not (data.get("motivation") or "").strip():
            self.add_error("motivation", "Un refus exige une motivation écrite.")
        return data


class AttendanceForm(DsfrBaseForm):
    """One radio group per member: present / represented / absent."""

    def __init__(self, *args, members, presence: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for member in self.members:
            name = member.display_name
            self.fields[f"m{member.pk}"] = forms.ChoiceField(
                label=name,
                choices=Attendance.Presence.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=presence.get(member.pk),
            )

    def presence(self) -> dict[int, str]:
        return {
            m.pk: self.cleaned_data[f"m{m.pk}"] for m in self.members if self.cleaned_data.get(f"m{m.pk}")
        }

    def clean(self):
        data = super().clean()
        if not any(data.get(f"m{m.pk}") for m in self.members):
            raise forms.ValidationError("Indiquez la présence d'au moins un membre.")
        return data

    def rows(self):
        return [(m, self[f"m{m.pk}"]) for m in self.members]


class SessionChoice(forms.ModelChoiceField):
    def label_from_instance(self, session):
        when = timezone.localtime(session.starts_at)
        where = session.place or "visioconférence"
        return f"Séance du {when:%d/%m/%Y à %H:%M} — {where} ({session.get_status_display().lower()})"


class ScheduleForm(DsfrBaseForm):
    """Put a dossier on the agenda of a planned or convened session of its campaign."""

    session = SessionChoice(
        label="Séance du comité",
        queryset=Session.objects.none(),
        empty_label="Choisir une séance",
        error_messages={
            "required": "Choisissez la séance.",
            "invalid_choice": "Cette séance ne peut plus recevoir de dossier.",
        },
    )
    motivation = long_text_field("Commentaire (facultatif)", rows=3)
    confirm = confirm_field("Je confirme l'inscription du dossier à l'ordre du jour de cette séance")

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
