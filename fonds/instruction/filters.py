"""The instructors' dossier filters: ``filter_dossiers(user, params) -> (queryset, form)`` is
the only way from a querystring to a selection, shared by the list and the bulk actions so both
always agree (keep its signature stable). Based on ``visible_dossiers``; an invalid form selects
nothing; ordered with ``pk`` last (stable pages). Details: docs/stages.md (Filters)."""

from __future__ import annotations

import re

from django import forms
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import mark_safe
from dsfr.forms import DsfrBaseForm

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.dossiers.access import visible_dossiers
from fonds.dossiers.models import Dossier
from fonds.dossiers.search import words
from fonds.dossiers.states import Status
from fonds.formats import inhabitants, number
from fonds.referentiel.models import Campaign
from fonds.referentiel.rules import default_rules
from fonds.ui.fields import AmountField
from fonds.ui.forms import search_field
from fonds.ui.selection import as_querydict, filter_by_fields
from fonds.ui.widgets import FastCheckboxInput, FastNumberInput, FastSelect, FastTextInput, escaped

from .models import DossierLabel


class DsfrCheckboxes(forms.CheckboxSelectMultiple):
    option_template_name = "instruction/widgets/checkbox_option.html"


class FastDsfrCheckboxes(forms.CheckboxSelectMultiple):
    """The statuses as DSFR checkboxes, rendered in Python (one template per option cost ≈ 5 ms a
    page): one ``fr-fieldset__element`` per option, to be put inside a ``<fieldset>`` whose
    ``<legend>`` names the group (``instruction/_status_fieldset.html``). The attributes Django
    or django-dsfr add to the widget (``aria-invalid``, ``aria-describedby`` on error) go on
    every box."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs or {})
        base_id = final.pop("id", None) or f"id_{name}"
        final.pop("dsfr", None)
        final.pop("class", None)
        selected = {str(v) for v in (value or [])}
        name, base_id, attrs = escaped(name), escaped(base_id), flatatt(final)
        return mark_safe(
            "".join(
                '<div class="fr-fieldset__element"><div class="fr-checkbox-group fr-checkbox-group--sm">'
                f'<input type="checkbox" name="{name}" value="{escaped(key)}" id="{base_id}_{i}"'
                f'{" checked" if str(key) in selected else ""}{attrs}><label class="fr-label" '
                f'for="{base_id}_{i}">{escaped(label)}</label></div></div>'
                for i, (key, label) in enumerate(self.choices)
            )
        )


class DsfrRadios(forms.RadioSelect):
    option_template_name = "instruction/widgets/radio_option.html"


#: INSEE region codes (COG) → names; overseas collectivités (COM) carry their own code
REGIONS = [
    ("84", "Auvergne-Rhône-Alpes"),
    ("27", "Bourgogne-Franche-Comté"),
    ("53", "Bretagne"),
    ("24", "Centre-Val de Loire"),
    ("94", "Corse"),
    ("44", "Grand Est"),
    ("32", "Hauts-de-France"),
    ("11", "Île-de-France"),
    ("28", "Normandie"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("52", "Pays de la Loire"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("975", "Saint-Pierre-et-Miquelon"),
    ("977", "Saint-Barthélemy"),
    ("978", "Saint-Martin"),
    ("984", "Terres australes et antarctiques françaises"),
    ("986", "Wallis-et-Futuna"),
    ("987", "Polynésie française"),
    ("988", "Nouvelle-Calédonie"),
    ("989", "Île de Clipperton"),
]
REGION_NAMES = dict(REGIONS)

#: sort key → ORDER BY (``pk`` always last: a total, stable order)
SORTS = {
    "-submitted": ("Dépôt, du plus récent", [F("submitted_at").desc(nulls_last=True), "-pk"]),
    "submitted": ("Dépôt, du plus ancien", [F("submitted_at").asc(nulls_last=True), "pk"]),
    "reference": ("Numéro de dossier", ["reference", "pk"]),
    # commune_name / commune_population: the commune's, copied onto the dossier and kept equal by
    # the database (fonds/dossiers/commune_copy.py), so that the sort reads an index of the dossier
    "commune": ("Commune (A → Z)", ["commune_name", "pk"]),
    "population": (
        "Population, la plus petite d'abord",
        [F("commune_population").asc(nulls_last=True), "pk"],
    ),
    "-score": (
        "Note, la meilleure d'abord",
        [
            F("assessment__score_total").desc(nulls_last=True),
            F("commune_population").asc(nulls_last=True),
            "pk",
        ],
    ),
    "score": ("Note, la plus basse d'abord", [F("assessment__score_total").asc(nulls_last=True), "pk"]),
    "-amount": (
        "Montant demandé, le plus élevé d'abord",
        [F("requested_amount").desc(nulls_last=True), "-pk"],
    ),
    "amount": ("Montant demandé, le plus faible d'abord", [F("requested_amount").asc(nulls_last=True), "pk"]),
    "deadline": (
        "Échéance de corrections, la plus proche d'abord",
        [F("corrections_due").asc(nulls_last=True), "pk"],
    ),
    "-created": ("Création, la plus récente", ["-created_at", "-pk"]),
}
DEFAULT_SORT = "-submitted"

OVERSEAS_CHOICES = [("", "Indifférent"), ("yes", "Outre-mer uniquement"), ("no", "Métropole uniquement")]
INSTRUCTOR_ME, INSTRUCTOR_NONE = "me", "none"
DEPARTEMENT_RE = re.compile(r"^(\d{2,3}|2[AB])$", re.IGNORECASE)
COMMUNE_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.IGNORECASE)


def population_bands(params: dict | None = None) -> list[tuple[str, str, int | None, int | None]]:
    """``[(key, label, min, max)]`` from the territorial bands of the scoring params (rules as
    data), plus "above the eligibility ceiling". Both ends inclusive; ``None`` = open."""
    params = params or default_rules()
    bands, low = [], 0
    for band in params["scoring"]["territorial_bands"]:
        high = int(band["below"]) - 1
        label = f"moins de {inhabitants(high + 1)}" if low == 0 else f"{number(low)} à {inhabitants(high)}"
        bands.append((f"{low}-{high}", label, low, high))
        low = high + 1
    bands.append((f"{low}-", f"{inhabitants(low)} et plus", low, None))
    return bands


#: the avis filter (issue 20): dossiers with an expert opinion pending, or given
AVIS_CHOICES = [("", "Tous"), ("pending", "Avis en attente"), ("answered", "Avis rendus")]


class DossierFilterForm(DsfrBaseForm):
    """Every field optional; an empty form selects every visible dossier."""

    # widgets rendered in Python (fonds.ui.widgets): the form is on every page of the list
    q = search_field(
        "Nom ou code INSEE de la commune, intitulé ou numéro du dossier "
        "(sans souci des majuscules ni des accents)",
        widget=FastTextInput,
    )
    # the campaigns are read once (choices AND validation: one query, not one each); cleaned: an id
    campaign = forms.TypedChoiceField(
        label="Campagne", required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    status = forms.MultipleChoiceField(
        label="Statuts", required=False, choices=Status.choices, widget=FastDsfrCheckboxes
    )
    region = forms.ChoiceField(
        label="Région", required=False, choices=[("", "Toutes les régions"), *REGIONS], widget=FastSelect
    )
    departement = forms.CharField(
        label="Département",
        help_text="Code, par exemple 01, 2A ou 974",
        required=False,
        max_length=3,
        widget=FastTextInput,
    )
    population = forms.ChoiceField(label="Population de la commune", required=False, widget=FastSelect)
    overseas = forms.ChoiceField(
        label="Outre-mer", required=False, choices=OVERSEAS_CHOICES, widget=FastSelect
    )
    score_min = forms.IntegerField(
        label="Note minimale", required=False, min_value=0, max_value=1000, widget=FastNumberInput
    )
    score_max = forms.IntegerField(
        label="Note maximale", required=False, min_value=0, max_value=1000, widget=FastNumberInput
    )
    amount_min = AmountField(label="Montant demandé minimal (€)", required=False, max_digits=10)
    amount_max = AmountField(label="Montant demandé maximal (€)", required=False, max_digits=10)
    instructor = forms.CharField(label="Instructeur", required=False, max_length=20, widget=FastSelect)
    label = forms.CharField(label="Étiquette", required=False, max_length=20, widget=FastSelect)
    deadline_passed = forms.BooleanField(
        label="Échéance dépassée (corrections, convention ou rapport final)",
        required=False,
        widget=FastCheckboxInput,
    )
    avis = forms.ChoiceField(label="Avis d'experts", required=False, choices=AVIS_CHOICES, widget=FastSelect)
    sort = forms.ChoiceField(
        label="Trier par", required=False, choices=[(k, v[0]) for k, v in SORTS.items()], widget=FastSelect
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)

        self.user = user
        # the campaigns and their labels in one query (a row per label, or one for a campaign without)
        campaigns, labels = {}, []
        rows = Campaign.objects.order_by("-opens_at", "-pk", "labels__name", "labels__pk").values_list(
            "pk", "name", "labels__pk", "labels__name"
        )
        for pk, name, label_pk, label_name in rows:
            campaigns.setdefault(str(pk), name)
            if label_pk is not None:
                labels.append((str(label_pk), f"{name} — {label_name}"))
        self.fields["campaign"].choices = [("", "Toutes les campagnes"), *campaigns.items()]
        self.fields["population"].choices = [("", "Toutes les tailles")] + [
            (key, label) for key, label, _, _ in population_bands()
        ]
        # only for display (any user id validates): read when the select is drawn, not when the
        # form only selects (the bulk actions); cached for a minute
        self.fields["instructor"].widget.attrs.pop("maxlength", None)  # a <select>
        self.fields["instructor"].widget.choices = _LazyChoices(instructor_select_choices)

        self.fields["label"].widget.attrs.pop("maxlength", None)  # a <select>
        self.fields["label"].widget.choices = [("", "Toutes"), *labels]

    def clean_label(self):
        value = (self.cleaned_data.get("label") or "").strip()
        if value == "":
            return None
        if not value.isdigit() or not 0 < int(value) < 2**63:
            raise forms.ValidationError("Choisissez une étiquette dans la liste.")
        return int(value)

    def clean_departement(self):
        value = (self.cleaned_data.get("departement") or "").strip().upper()
        if value and not DEPARTEMENT_RE.match(value):
            raise forms.ValidationError("Indiquez un code de département (par exemple 01, 2A ou 974).")
        return value

    def clean_q(self):
        return (self.cleaned_data.get("q") or "").strip()

    def clean_instructor(self):
        value = (self.cleaned_data.get("instructor") or "").strip()
        if value in ("", INSTRUCTOR_ME, INSTRUCTOR_NONE):
            return value
        if not value.isdigit() or not 0 < int(value) < 2**63:
            raise forms.ValidationError("Choisissez un instructeur dans la liste.")
        return int(value)

    def clean(self):
        data = super().clean()
        for low, high, what in (("score_min", "score_max", "note"), ("amount_min", "amount_max", "montant")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, f"Le maximum doit être supérieur ou égal au minimum ({what}).")
        return data


INSTRUCTORS_CACHE_KEY = "fjj:instruction:instructors"


def instructor_choices() -> list[tuple[str, str]]:
    """``[(id, email)]`` of the users holding the instructor role (cached 60 s)."""

    def build():
        return [
            (str(pk), email)
            for pk, email in User.objects.filter(groups__name=Role.INSTRUCTEUR)
            .order_by("email")
            .values_list("pk", "email")
        ]

    return cache.get_or_set(INSTRUCTORS_CACHE_KEY, build, 60)


def instructor_select_choices() -> list[tuple[str, str]]:
    """The instructor filter's options: everybody, me, nobody, then each instructor."""
    return [("", "Tous"), (INSTRUCTOR_ME, "Moi"), (INSTRUCTOR_NONE, "Non attribué"), *instructor_choices()]


class _LazyChoices(BaseChoiceIterator):
    """Choices built on first iteration, then kept. A ``BaseChoiceIterator``, which Django keeps
    lazy (a plain iterable is read when assigned); built once, where a callable would be read
    twice by a drawn select (its options, then ``use_required_attribute``)."""

    def __init__(self, build):
        self.build, self.value = build, None

    def __iter__(self):
        if self.value is None:
            self.value = list(self.build())
        return iter(self.value)


def apply_filters(qs: QuerySet, data: dict, *, user=None) -> QuerySet:
    """Apply a valid form's ``cleaned_data`` to ``qs`` (no ordering)."""
    qs = filter_by_fields(
        qs,
        data,
        filled={
            "campaign": "campaign_id",
            "status": "status__in",
            "region": "commune__region",
            "departement": "commune__departement",
        },
        bounds={
            "score_min": "assessment__score_total__gte",
            "score_max": "assessment__score_total__lte",
            "amount_min": "requested_amount__gte",
            "amount_max": "requested_amount__lte",
        },
    )
    if data.get("population"):
        for key, _, low, high in population_bands():
            if key == data["population"]:
                qs = qs.filter(commune_population__gte=low)
                if high is not None:
                    qs = qs.filter(commune_population__lte=high)
    if data.get("overseas") == "yes":
        qs = qs.exclude(commune__zone="metro")
    elif data.get("overseas") == "no":
        qs = qs.filter(commune__zone="metro")
    instructor = data.get("instructor")
    if instructor == INSTRUCTOR_ME:
        qs = qs.filter(instructor_id=getattr(user, "pk", None))
    elif instructor == INSTRUCTOR_NONE:
        qs = qs.filter(instructor__isnull=True)
    elif instructor:
        qs = qs.filter(instructor_id=instructor)
    if data.get("label"):
        qs = qs.filter(Exists(DossierLabel.objects.filter(dossier_id=OuterRef("pk"), label_id=data["label"])))
    if data.get("deadline_passed"):
        now = clock.now()
        qs = qs.filter(
            Q(status=Status.CORRECTIONS_REQUESTED, corrections_due__lt=now)
            | Q(status=Status.APPROVED, agreement_due__lt=now)
            | Q(status=Status.ADVANCE_PAID, report_due__lt=clock.today())
        )
    if data.get("avis"):  # a sub-query on the avis app's reverse relation: no join, no duplicates
        qs = qs.filter(pk__in=Dossier.objects.filter(avis_requests__status=data["avis"]).values("pk"))
    q = data.get("q")
    if q:
        qs = search(qs, q)
    return qs


def search(qs: QuerySet, q: str) -> QuerySet:
    """Dossiers whose reference, title, commune name or INSEE code contain each word of ``q``,
    whatever the case and accents (« saint etienne » finds « Saint-Étienne »): ``LIKE '%…%'`` on
    the folded ``search_text`` (GIN trigram index on PostgreSQL). An INSEE code alone selects that
    commune's dossiers (exactly: a reference's digits never match it by chance)."""
    if COMMUNE_CODE_RE.match(q):
        return qs.filter(commune_id=q.upper())
    for word in words(q):
        qs = qs.filter(search_text__contains=word)
    return qs


def order_for(sort: str | None) -> list:
    return list(SORTS.get(sort or DEFAULT_SORT, SORTS[DEFAULT_SORT])[1])


def filter_dossiers(user, params) -> tuple[QuerySet, DossierFilterForm]:
    """``(dossiers visible to user matching params, ordered; the bound form)``.

    Invalid parameters → an empty queryset and the form with its errors. Stable signature: the
    bulk actions call it with the querystring of the list page.
    """
    form = DossierFilterForm(as_querydict(params), user=user)
    base = visible_dossiers(user)
    if not form.is_valid():
        return base.none(), form
    qs = apply_filters(base, form.cleaned_data, user=user)
    return qs.order_by(*order_for(form.cleaned_data.get("sort"))), form
