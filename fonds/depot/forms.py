"""The forms of the front office: one per step of a dossier, plus the submission confirmation.

Every form only checks what makes a value *storable* (types, ranges, consistency); what the
règlement requires (E1–E9) is judged on the check page, so a porteur can save an unfinished draft.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from fonds.dossiers.models import Document, TravelMode
from fonds.referentiel.models import Jumelage
from fonds.ui.forms import date_field
from fonds.ui.widgets import FastSelect

from .countries import partner_country_choices

MAX_PARTICIPANTS = 500


def count_field(
    label: str, maximum: int, *, if_empty: str = "Indiquez un nombre (0 si aucun).", **kwargs
) -> forms.IntegerField:
    """A number of people or nights: required, 0 at first, never negative, ``maximum`` at most."""
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=maximum,
        initial=0,
        error_messages={
            "required": if_empty,
            "invalid": "Indiquez un nombre entier.",
            "min_value": "Le nombre ne peut pas être négatif.",
        },
        **kwargs,
    )


class ProjectForm(DsfrBaseForm):
    title = forms.CharField(
        label="Intitulé du projet",
        max_length=200,
        error_messages={
            "required": "Donnez un intitulé au projet (200 caractères au plus).",
            "max_length": "L'intitulé ne peut dépasser 200 caractères (vous en avez saisi %(show_value)d).",
        },
    )
    summary = forms.CharField(
        label="Résumé du projet",
        required=False,
        max_length=2000,
        help_text="En quelques phrases : qui, quoi, où. 2 000 caractères au plus.",
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 2000}),
        error_messages={
            "max_length": "Le résumé ne peut dépasser 2 000 caractères (vous en avez saisi %(show_value)d)."
        },
    )
    objectives = forms.CharField(
        label="Objectifs",
        required=False,
        max_length=4000,
        help_text="Ce que les jeunes apprendront ou découvriront. 4 000 caractères au plus.",
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
        error_messages={
            "max_length": (
                "Les objectifs ne peuvent dépasser 4 000 caractères (vous en avez saisi %(show_value)d)."
            )
        },
    )
    start_date = date_field(
        "Premier jour du projet", help_text="Au plus tôt 30 jours après le dépôt du dossier."
    )
    end_date = date_field("Dernier jour du projet")
    activity_days = forms.IntegerField(
        label="Nombre de jours d'activité",
        required=False,
        min_value=1,
        max_value=365,
        help_text="Jours de voyage non compris (entre 3 et 21 selon le règlement).",
        error_messages={
            "invalid": "Indiquez un nombre entier de jours.",
            "min_value": "Indiquez au moins 1 jour.",
            "max_value": "Indiquez au plus 365 jours.",
        },
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "Le dernier jour doit être le même jour que le premier ou après.")
        return data


class PartnershipForm(DsfrBaseForm):
    partner_name = forms.CharField(
        label="Nom de la ville (ou collectivité) partenaire",
        max_length=200,
        error_messages={
            "required": "Indiquez le nom de la ville partenaire.",
            "max_length": "Le nom ne peut dépasser 200 caractères.",
        },
    )
    country = forms.ChoiceField(
        label="Pays de la ville partenaire",
        choices=partner_country_choices,
        widget=FastSelect,
        help_text="La ville partenaire doit être située hors de France.",
        error_messages={
            "required": "Choisissez le pays de la ville partenaire.",
            "invalid_choice": "Choisissez un pays de la liste (la France n'en fait pas partie).",
        },
    )
    kind = forms.ChoiceField(
        label="Nature du lien",
        choices=Jumelage.Kind.choices,
        initial=Jumelage.Kind.TWINNING,
        widget=forms.RadioSelect,
    )
    agreement_date = date_field(
        "Date de signature de la convention de jumelage",
        help_text="Laissez vide si la convention est en cours de signature.",
    )
    letter_of_intent = forms.BooleanField(
        label="La convention est en cours de signature : je joins une lettre d'intention",
        required=False,
    )
    latitude = forms.DecimalField(
        label="Latitude de la mairie partenaire (facultatif)",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-90"),
        max_value=Decimal("90"),
        help_text="En degrés décimaux, par exemple 48,137154. Sert à calculer la distance du voyage.",
        localize=True,
        error_messages={
            "invalid": "Indiquez une latitude en degrés décimaux (par exemple 48,137154).",
            "min_value": "La latitude est comprise entre -90 et 90.",
            "max_value": "La latitude est comprise entre -90 et 90.",
            "max_decimal_places": "6 décimales au plus.",
        },
    )
    longitude = forms.DecimalField(
        label="Longitude de la mairie partenaire (facultatif)",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("-180"),
        max_value=Decimal("180"),
        help_text="En degrés décimaux, par exemple 11,576124 (négative à l'ouest de Greenwich).",
        localize=True,
        error_messages={
            "invalid": "Indiquez une longitude en degrés décimaux (par exemple 11,576124).",
            "min_value": "La longitude est comprise entre -180 et 180.",
            "max_value": "La longitude est comprise entre -180 et 180.",
            "max_decimal_places": "6 décimales au plus.",
        },
    )

    def clean(self):
        data = super().clean()
        lat, lon = data.get("latitude"), data.get("longitude")
        if (
            (lat is None) != (lon is None)
            and "latitude" not in self.errors
            and "longitude" not in self.errors
        ):
            self.add_error(
                "longitude" if lon is None else "latitude",
                "Indiquez la latitude et la longitude, ou aucune des deux.",
            )
        return data


def parse_ages(text: str) -> list[int]:
    """``"14, 15; 15 16"`` → ``[14, 15, 15, 16]``; a French ValidationError naming the bad entry."""
    ages = []
    for item in re.split(r"[\s,;]+", (text or "").strip()):
        if not item:
            continue
        if not item.isdigit():
            raise ValidationError(
                f"« {item} » n'est pas un âge : indiquez des nombres entiers, séparés par des virgules "
                "(par exemple 14, 15, 16)."
            )
        age = int(item)
        if not 0 <= age <= 120:
            raise ValidationError(f"« {item} » n'est pas un âge plausible (de 0 à 120 ans).")
        ages.append(age)
    if len(ages) > MAX_PARTICIPANTS:
        raise ValidationError(f"{MAX_PARTICIPANTS} personnes au plus.")
    return ages


def format_ages(ages) -> str:
    return ", ".join(str(a) for a in (ages or []))


class AgesField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "inputmode": "numeric"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return format_ages(value)
        return value

    def to_python(self, value):
        return parse_ages(super().to_python(value))


class ParticipantsForm(DsfrBaseForm):
    youth_ages = AgesField(
        label="Âges des jeunes participants de la commune, au premier jour du projet",
        help_text=(
            "Un âge par jeune, séparés par des virgules, par exemple : 14, 15, 15, 16. Aucun nom à ce stade."
        ),
    )
    leader_ages = AgesField(
        label="Âges des accompagnateurs",
        help_text="Un âge par accompagnateur, par exemple : 34, 52. Au moins un adulte pour 10 jeunes.",
    )
    youth_fewer_opportunities = count_field(
        "Parmi ces jeunes, combien ont moins d'opportunités ?",
        MAX_PARTICIPANTS,
        help_text="Difficultés sociales, économiques, géographiques, handicap…",
    )
    youth_first_travel = count_field(
        "Parmi ces jeunes, combien voyagent à l'étranger pour la première fois ?", MAX_PARTICIPANTS
    )

    def clean(self):
        data = super().clean()
        youth = data.get("youth_ages")
        if youth is not None:
            for name in ("youth_fewer_opportunities", "youth_first_travel"):
                if (data.get(name) or 0) > len(youth):
                    self.add_error(
                        name, f"Ce nombre ne peut dépasser le nombre de jeunes participants ({len(youth)})."
                    )
        return data


class TravelForm(DsfrBaseForm):
    travel_mode = forms.ChoiceField(
        label="Mode de transport principal",
        choices=TravelMode.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    low_carbon = forms.BooleanField(
        label="Voyage bas carbone (train ou car sur l'essentiel du trajet)", required=False
    )
    distance_km = forms.IntegerField(
        label="Distance aller entre les deux mairies, à vol d'oiseau (km)",
        required=False,
        min_value=0,
        max_value=25000,
        help_text="Les coordonnées d'une des deux mairies manquent : indiquez la distance vous-même.",
        error_messages={
            "invalid": "Indiquez un nombre entier de kilomètres.",
            "min_value": "La distance ne peut pas être négative.",
            "max_value": "La distance ne peut dépasser 25 000 km.",
        },
    )
    nights = count_field("Nombre de nuitées", 365, if_empty="Indiquez le nombre de nuitées (0 si aucune).")
    nights_hosted = count_field(
        "Dont nuitées en familles d'accueil",
        365,
        if_empty="Indiquez le nombre de nuitées en familles (0 si aucune).",
    )

    def __init__(self, *args, computed_km=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.computed_km = computed_km
        if computed_km is not None:
            del self.fields["distance_km"]

    def clean(self):
        data = super().clean()
        nights, hosted = data.get("nights"), data.get("nights_hosted")
        if nights is not None and hosted is not None and hosted > nights:
            self.add_error(
                "nights_hosted",
                f"Les nuitées en familles ne peuvent dépasser le nombre total de nuitées ({nights}).",
            )
        if data.get("low_carbon") and data.get("travel_mode") in (TravelMode.PLANE, TravelMode.CAR):
            self.add_error(
                "low_carbon",
                "Un voyage bas carbone se fait en train ou en car : changez le mode de transport ou "
                "décochez cette case.",
            )
        return data


class DocumentsForm(DsfrBaseForm):
    """One optional file field per required kind (and one for another document)."""

    def __init__(self, *args, kinds: list[str], max_file_mb: int, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Document.Kind.choices)
        for kind in [*kinds, Document.Kind.OTHER]:
            self.fields[kind] = forms.FileField(
                label=labels.get(kind, kind) + (" (facultatif)" if kind == Document.Kind.OTHER else ""),
                required=False,
                help_text=f"PDF, JPEG ou PNG, {max_file_mb} Mo au plus.",
                widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
                error_messages={
                    "invalid": "Le fichier n'a pas pu être reçu : réessayez.",
                    "empty": "Le fichier est vide.",
                },
            )


class SubmitForm(DsfrBaseForm):
    confirm = forms.BooleanField(
        label=(
            "Je certifie, au nom de la commune, l'exactitude des informations du dossier et je demande son "
            "dépôt. Après le dépôt, le dossier ne peut plus être modifié, sauf demande de corrections."
        ),
        error_messages={"required": "Cochez la case de confirmation pour déposer le dossier."},
    )
