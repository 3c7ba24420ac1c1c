"""PDFs the fund generates (receipts, letters, agreements, minutes, histories), stored once.

``(kind, key)`` is unique: a Celery task retried after a crash finds the document it already made
instead of making a second one (idempotent generation).
"""

from django.db import models

from fonds import clock


class GeneratedDocument(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Récépissé de dépôt"
        CONVENTION = "convention", "Convention attributive"
        DECISION_LETTER = "decision_letter", "Lettre de décision"
        MINUTES = "minutes", "Procès-verbal de comité"
        HISTORY = "history", "Historique du dossier"
        OTHER = "other", "Autre document"

    #: the French stem of a downloaded file's name, per kind (never the code of the kind)
    FILE_STEMS = {
        "receipt": "recepisse",
        "convention": "convention",
        "decision_letter": "lettre-decision",
        "minutes": "proces-verbal",
        "history": "historique",
        "other": "document",
    }

    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField("clé d'unicité", max_length=100)
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="generated_documents",
    )
    file = models.FileField(upload_to="generated/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "document généré"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="uniq_generated_document")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"

    def download_name(self, reference: str) -> str:
        """« lettre-decision-FJJ-2026-000042.pdf »: what a person's browser saves."""
        return f"{self.FILE_STEMS.get(self.kind, 'document')}-{reference}.pdf"
