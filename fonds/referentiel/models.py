"""Referential data: communes (COG + INSEE population), partner towns, jumelages, campaigns."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from fonds import clock

from .rules import default_rules


class Zone(models.TextChoices):
    METRO = "metro", "France métropolitaine"
    DROM = "drom", "Département ou région d'outre-mer"
    COM = "com", "Collectivité d'outre-mer"


class Commune(models.Model):
    """A current commune of the Code officiel géographique, with its INSEE population."""

    code = models.CharField("code INSEE (COG)", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=120, db_index=True)
    departement = models.CharField("département", max_length=3, db_index=True)
    region = models.CharField("région", max_length=3, blank=True, db_index=True)
    zone = models.CharField("zone", max_length=5, choices=Zone.choices, default=Zone.METRO)
    population = models.PositiveIntegerField("population municipale INSEE", null=True, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_current = models.BooleanField(
        "commune actuelle",
        default=True,
        help_text="Faux pour une commune absente du dernier COG importé (fusion, commune nouvelle).",
    )

    class Meta:
        verbose_name = "commune"
        ordering = ["code"]
        indexes = [models.Index(fields=["population"])]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_overseas(self) -> bool:
        return self.zone != Zone.METRO


class PartnerTown(models.Model):
    """A local authority abroad, partner of a commune."""

    name = models.CharField("nom", max_length=200)
    country = models.CharField("pays (code ISO 3166-1 alpha-2)", max_length=2)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = "ville partenaire"
        ordering = ["country", "name"]

    def __str__(self):
        return f"{self.name} ({self.country})"

    def clean(self):
        self.country = (self.country or "").upper()
        if len(self.country) != 2 or not self.country.isalpha():
            raise ValidationError({"country": "Indiquez le code ISO du pays sur deux lettres (ex. DE, IT)."})
        if self.country == "FR":
            raise ValidationError({"country": "La ville partenaire doit être située hors de France."})


class Jumelage(models.Model):
    """The twinning (or partnership) between a commune and a partner town."""

    class Kind(models.TextChoices):
        TWINNING = "twinning", "Jumelage"
        PARTNERSHIP = "partnership", "Partenariat"

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="jumelages")
    partner = models.ForeignKey(PartnerTown, on_delete=models.PROTECT, related_name="jumelages")
    kind = models.CharField("nature", max_length=12, choices=Kind.choices, default=Kind.TWINNING)
    agreement_date = models.DateField("date de la convention de jumelage", null=True, blank=True)
    letter_of_intent = models.BooleanField(
        "lettre d'intention (convention en cours de signature)", default=False
    )

    class Meta:
        verbose_name = "jumelage"
        constraints = [
            models.UniqueConstraint(fields=["commune", "partner"], name="uniq_jumelage_commune_partner")
        ]

    def __str__(self):
        return f"{self.commune.name} ↔ {self.partner}"


class Campaign(models.Model):
    """An appel à projets: its window, envelope, activity period and current rule set."""

    name = models.CharField("nom", max_length=200)
    year = models.PositiveIntegerField("année de l'appel")
    opens_at = models.DateTimeField("ouverture des dépôts")
    closes_at = models.DateTimeField("clôture des dépôts")
    activity_start = models.DateField("début de la période d'activité")
    activity_end = models.DateField("fin de la période d'activité")
    envelope = models.DecimalField("enveloppe (€)", max_digits=12, decimal_places=2)
    committee_dates = models.JSONField("dates de comité", default=list, blank=True)
    # False on a campaign cloned by the administration until its checklist is complete and an
    # administrator opens it (fonds.administration.campaigns.open_window): until then its dates
    # alone do not open it to dossiers
    ready_to_open = models.BooleanField("prête à recevoir des dossiers", default=True)

    class Meta:
        verbose_name = "campagne (appel à projets)"
        ordering = ["-opens_at"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating and not self.rulesets.exists():
            self._first_rules()

    def _first_rules(self) -> RuleSet:
        return RuleSet.objects.create(
            campaign=self, version=1, params=default_rules(), note="Valeurs par défaut du règlement"
        )

    def clean(self):
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = "La clôture doit être postérieure à l'ouverture."
        if self.activity_start and self.activity_end and self.activity_end < self.activity_start:
            errors["activity_end"] = "La fin de la période d'activité doit suivre son début."
        if self.envelope is not None and self.envelope <= Decimal("0"):
            errors["envelope"] = "L'enveloppe doit être positive."
        if errors:
            raise ValidationError(errors)

    def is_open(self, at=None) -> bool:
        """Open to dossiers: inside its window, and ready (a clone's checklist complete)."""
        at = at or clock.now()
        return self.ready_to_open and self.opens_at <= at <= self.closes_at

    @property
    def rules(self) -> RuleSet:
        """The current (latest) rule set version of this campaign."""
        cached = getattr(self, "_current_rules", None)
        if cached is None:
            cached = self.rulesets.order_by("-version").first()
            if cached is None:
                cached = self._first_rules()
            self._current_rules = cached
        return cached

    def rules_for(self, version: int | None) -> RuleSet:
        """The rules a dossier recording ``version`` follows: that version when the campaign has it,
        else the current one. Read once per instance (a version is immutable): the dossiers of a
        list sharing this object cost one query per pinned version."""
        current = self.rules
        if not version or version == current.version:
            return current
        known = getattr(self, "_rules_by_version", None)
        if known is None:
            known = self._rules_by_version = {}
        if version not in known:
            known[version] = self.rulesets.filter(version=version).first()
        return known[version] or current


class RuleSet(models.Model):
    """One immutable version of a campaign's rules. Editing means adding a new version."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="rulesets")
    version = models.PositiveIntegerField()
    params = models.JSONField("paramètres")
    note = models.CharField("motif de la version", max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = "version du règlement"
        ordering = ["campaign", "-version"]
        constraints = [models.UniqueConstraint(fields=["campaign", "version"], name="uniq_ruleset_version")]

    def __str__(self):
        return f"{self.campaign} — règles v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Une version du règlement est immuable : créez une nouvelle version.")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"campagne {self.campaign_id} v{self.version}"

    def new_version(self, params: dict, *, by=None, note: str = "") -> RuleSet:
        last = self.campaign.rulesets.order_by("-version").values_list("version", flat=True).first() or 0
        return RuleSet.objects.create(
            campaign=self.campaign, version=last + 1, params=params, created_by=by, note=note
        )

    def section(self, name: str) -> dict:
        return self.params[name]
