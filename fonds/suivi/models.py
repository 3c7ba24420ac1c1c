"""The final report (rapport final) a commune files once the advance is paid.

One report per dossier, editable as a draft while the dossier is ``advance_paid`` (through
``fonds.suivi.services.save_report_draft``: one transaction, one audit event per save) and frozen
by the ``submit_report`` transition (``submitted_at``). Its expense and income lines are
``FinalReportLine`` rows. The signed participant list names minors: it is stored outside any
public URL and served only to the roles that need it (``fonds.suivi.access``).
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models

from fonds import clock
from fonds.accounts.fields import user_fk
from fonds.dossiers.models import MoneyLine, ParticipantCounts

EXPENSE_CATEGORIES = [c.value for c in MoneyLine.EXPENSES]
INCOME_CATEGORIES = [c.value for c in MoneyLine.INCOMES]


class FinalReport(ParticipantCounts, models.Model):
    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, related_name="final_report")
    start_date = models.DateField("premier jour effectif", null=True, blank=True)
    end_date = models.DateField("dernier jour effectif", null=True, blank=True)
    youth_ages = models.JSONField("âges des jeunes participants (au premier jour)", default=list, blank=True)
    leader_ages = models.JSONField("âges des accompagnateurs", default=list, blank=True)
    nights = models.PositiveSmallIntegerField("nuitées", default=0)
    nights_hosted = models.PositiveSmallIntegerField("nuitées en familles d'accueil", default=0)
    activity_report = models.TextField(
        "compte rendu d'activité", blank=True, validators=[MaxLengthValidator(10000)]
    )
    participant_list = models.FileField(
        "liste des participants signée", upload_to="rapports/%Y/%m/", blank=True
    )
    participant_list_name = models.CharField("nom d'origine", max_length=200, blank=True)
    participant_list_size = models.PositiveIntegerField(default=0)
    participant_list_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField("enregistré le", default=clock.now)
    updated_by = user_fk(null=True)
    submitted_at = models.DateTimeField("déposé le", null=True, blank=True)

    class Meta:
        verbose_name = "rapport final"
        verbose_name_plural = "rapports finaux"

    def __str__(self):
        return f"Rapport final {self.dossier_id}"


class FinalReportLine(MoneyLine):
    """One actual expense or income line of a final report (same categories as the budget)."""

    report = models.ForeignKey(FinalReport, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        verbose_name = "ligne du rapport final"
        ordering = ["report", "kind", "id"]


class DeadlineNotice(models.Model):
    """A reminder sent, or an overdue flag raised, for one deadline of one dossier.

    Written by ``fonds.suivi.reminders`` (hourly beat) in the transaction that appends its audit
    event; unique on ``(dossier, kind, due)``: a retried or re-run task finds it and does nothing,
    while a new deadline (a dossier promoted again) gets its own reminder. The ``report_overdue``
    rows are the queryable "final report overdue" flag (``reminders.overdue_reports()``).
    """

    class Kind(models.TextChoices):
        AGREEMENT_REMINDER = "agreement_reminder", "Rappel : convention à accepter"
        REPORT_REMINDER = "report_reminder", "Rappel : rapport final à déposer"
        REPORT_OVERDUE = "report_overdue", "Rapport final en retard"

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="deadline_notices")
    kind = models.CharField("nature", max_length=24, choices=Kind.choices)
    due = models.DateField("échéance")
    created_at = models.DateTimeField("le", default=clock.now)

    class Meta:
        verbose_name = "rappel d'échéance"
        verbose_name_plural = "rappels d'échéance"
        ordering = ["dossier_id", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "kind", "due"], name="deadline_notice_once")
        ]
        indexes = [models.Index(fields=["kind", "dossier"])]

    def __str__(self):
        return f"{self.get_kind_display()} — dossier {self.dossier_id} (échéance {self.due:%d/%m/%Y})"
