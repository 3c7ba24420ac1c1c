"""What the instruction adds to a dossier: overrides, scores, amount proposals, private notes,
declared conflicts of interest, saved filters; and a one-row summary for fast lists.

Every row is written by ``fonds.instruction.services`` (one transaction, one audit event),
never directly by a view.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk


class EligibilityOverride(models.Model):
    """An instructor's motivated decision to set aside a failed eligibility verdict.

    It is made on one stored verdict (of one run). A later run that fails the same rule *with the
    same data* stays overridden (see ``services.override_for``); if the data changed, the
    instructor has to decide again.
    """

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="eligibility_overrides"
    )
    verdict = models.OneToOneField("eligibilite.Verdict", on_delete=models.PROTECT, related_name="override")
    code = models.CharField("règle", max_length=4)
    data = models.JSONField("données du verdict écarté", default=dict)
    motivation = models.TextField("motivation", validators=[MaxLengthValidator(5000)])
    rules_version = models.PositiveIntegerField("version des règles")
    by = user_fk("par")
    at = models.DateTimeField("le", default=clock.now)

    class Meta:
        verbose_name = "dérogation d'éligibilité"
        verbose_name_plural = "dérogations d'éligibilité"
        ordering = ["dossier_id", "code", "-at"]
        indexes = [models.Index(fields=["dossier", "code"])]

    def __str__(self):
        return f"{self.code} écarté le {self.at:%d/%m/%Y}"


class Score(models.Model):
    """Points of one criterion of the scoring grid (one row per dossier and criterion)."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="scores")
    criterion = models.CharField("critère", max_length=30)
    points = models.PositiveSmallIntegerField("points")
    comment = models.TextField("commentaire", blank=True, validators=[MaxLengthValidator(4000)])
    automatic = models.BooleanField("calculé automatiquement", default=False)
    rules_version = models.PositiveIntegerField("version des règles")
    by = user_fk("par", null=True)
    at = models.DateTimeField("le", default=clock.now)

    class Meta:
        verbose_name = "note"
        ordering = ["dossier_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "criterion"], name="uniq_score_per_criterion")
        ]

    def __str__(self):
        return f"{self.criterion} : {self.points}"


class AmountProposal(models.Model):
    """One proposal of the grant amount: the formula's result, and the instructor's amendment."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="amount_proposals")
    formula_amount = models.DecimalField("montant de la formule (€)", max_digits=10, decimal_places=2)
    amount = models.DecimalField("montant proposé (€)", max_digits=10, decimal_places=2)
    amended = models.BooleanField("modifié par l'instructeur", default=False)
    motivation = models.TextField("motivation", blank=True, validators=[MaxLengthValidator(5000)])
    breakdown = models.JSONField("détail du calcul", default=dict)
    rules_version = models.PositiveIntegerField("version des règles")
    by = user_fk("par")
    at = models.DateTimeField("le", default=clock.now)

    class Meta:
        verbose_name = "proposition de montant"
        ordering = ["dossier_id", "-at", "-id"]


class Assessment(models.Model):
    """Denormalised summary of a dossier's instruction, kept by the services, for the list's
    score filter and sort (one indexed column instead of an aggregate over scores)."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, primary_key=True, related_name="assessment"
    )
    score_total = models.PositiveSmallIntegerField("note totale", null=True, blank=True, db_index=True)
    scored_criteria = models.PositiveSmallIntegerField("critères notés", default=0)
    complete = models.BooleanField("grille complète", default=False)
    suggestion = models.CharField("avis suggéré par la grille", max_length=15, blank=True)
    amount_proposed = models.DecimalField(
        "montant proposé (€)", max_digits=10, decimal_places=2, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "synthèse d'instruction"


class PrivateNote(models.Model):
    """A note of the fund's staff on a dossier: never shown to the porteur, never in its exports."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="private_notes")
    author = user_fk()
    body = models.TextField("note", validators=[MaxLengthValidator(5000)])
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "note interne"
        verbose_name_plural = "notes internes"
        ordering = ["dossier_id", "created_at", "id"]


class InstructorConflict(models.Model):
    """A link an instructor declared with a commune: they may not instruct its dossiers."""

    user = user_fk(related_name="declared_conflicts")
    commune = models.ForeignKey("referentiel.Commune", on_delete=models.PROTECT, related_name="+")
    motivation = models.TextField("nature du lien", validators=[MaxLengthValidator(2000)])
    declared_at = models.DateTimeField("déclaré le", default=clock.now)

    class Meta:
        verbose_name = "lien déclaré avec une commune"
        verbose_name_plural = "liens déclarés avec une commune"
        ordering = ["user", "commune"]
        constraints = [models.UniqueConstraint(fields=["user", "commune"], name="uniq_conflict_user_commune")]

    def __str__(self):
        return f"{self.user} ↔ {self.commune}"


class SavedFilter(models.Model):
    """A named querystring of the dossier list, per instructor (a preference: not audited)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField("nom", max_length=80)
    querystring = models.CharField("filtres", max_length=2000)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "filtre enregistré"
        ordering = ["user", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_saved_filter_name")]

    def __str__(self):
        return self.name


class LabelColour(models.TextChoices):
    """The DSFR illustrative colours of tags and badges (``fr-badge--<colour>``), a fixed list."""

    GREEN_TILLEUL_VERVEINE = "green-tilleul-verveine", "Vert tilleul verveine"
    GREEN_BOURGEON = "green-bourgeon", "Vert bourgeon"
    GREEN_EMERAUDE = "green-emeraude", "Vert émeraude"
    GREEN_MENTHE = "green-menthe", "Vert menthe"
    GREEN_ARCHIPEL = "green-archipel", "Vert archipel"
    BLUE_ECUME = "blue-ecume", "Bleu écume"
    BLUE_CUMULUS = "blue-cumulus", "Bleu cumulus"
    PURPLE_GLYCINE = "purple-glycine", "Violet glycine"
    PINK_MACARON = "pink-macaron", "Rose macaron"
    PINK_TUILE = "pink-tuile", "Rose tuile"
    YELLOW_TOURNESOL = "yellow-tournesol", "Jaune tournesol"
    YELLOW_MOUTARDE = "yellow-moutarde", "Jaune moutarde"
    ORANGE_TERRE_BATTUE = "orange-terre-battue", "Orange terre battue"
    BROWN_CAFE_CREME = "brown-cafe-creme", "Marron café crème"
    BROWN_CARAMEL = "brown-caramel", "Marron caramel"
    BROWN_OPERA = "brown-opera", "Marron opéra"
    BEIGE_GRIS_GALET = "beige-gris-galet", "Beige gris galet"


class Label(models.Model):
    """A coloured label the instructors define for a campaign (« à revoir », « priorité
    préfecture »): the fund's own sorting, never shown to the commune (``fonds.instruction.labels``)."""

    campaign = models.ForeignKey(
        "referentiel.Campaign", verbose_name="campagne", on_delete=models.PROTECT, related_name="labels"
    )
    name = models.CharField("nom", max_length=40)
    colour = models.CharField("couleur", max_length=30, choices=LabelColour.choices)
    created_by = user_fk("créée par")
    created_at = models.DateTimeField("créée le", default=clock.now)

    class Meta:
        verbose_name = "étiquette"
        ordering = ["campaign_id", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="uniq_label_campaign_name")]

    def __str__(self):
        return self.name


class DossierLabel(models.Model):
    """A label put on a dossier (once); removing it deletes the row, the audit trail keeps both."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="label_links")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="links")
    added_by = user_fk("posée par")
    added_at = models.DateTimeField("posée le", default=clock.now)

    class Meta:
        verbose_name = "étiquette d'un dossier"
        verbose_name_plural = "étiquettes des dossiers"
        ordering = ["dossier_id", "label_id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "label"], name="uniq_dossier_label")]
        indexes = [models.Index(fields=["label", "dossier"], name="dossier_label_by_label")]
