"""Stored eligibility checks: each run keeps every verdict, the data it used and the rules version."""

from django.conf import settings
from django.db import models

from fonds import clock


class EligibilityRun(models.Model):
    class Moment(models.TextChoices):
        SUBMISSION = "submission", "Au dépôt"
        START_INSTRUCTION = "start_instruction", "À l'ouverture de l'instruction"
        ON_DEMAND = "on_demand", "À la demande"
        PREVIEW = "preview", "Vérification avant dépôt"

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="eligibility_runs")
    moment = models.CharField(max_length=20, choices=Moment.choices)
    rules_version = models.PositiveIntegerField("version des règles")
    ran_at = models.DateTimeField(default=clock.now)
    ran_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = "contrôle d'éligibilité"
        ordering = ["-ran_at", "-id"]

    def failures(self, blocking_only: bool = False):
        return [
            v
            for v in self.verdicts.all()
            if v.result == Verdict.Result.FAIL and (v.blocking or not blocking_only)
        ]


class Verdict(models.Model):
    class Result(models.TextChoices):
        PASS = "pass", "Conforme"
        FAIL = "fail", "Non conforme"
        NOT_APPLICABLE = "not_applicable", "Sans objet"

    run = models.ForeignKey(EligibilityRun, on_delete=models.CASCADE, related_name="verdicts")
    code = models.CharField(max_length=4)
    result = models.CharField(max_length=15, choices=Result.choices)
    blocking = models.BooleanField(default=True)
    explanation = models.TextField("explication")
    how_to_fix = models.TextField("comment corriger", blank=True)
    data = models.JSONField("données utilisées", default=dict)

    class Meta:
        verbose_name = "verdict"
        ordering = ["run_id", "code"]
        constraints = [models.UniqueConstraint(fields=["run", "code"], name="uniq_verdict_per_run")]
