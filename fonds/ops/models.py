"""Operational records: worker heartbeats and audit-chain verification results.

Neither is business data: they are not audited (a heartbeat a minute would drown the trail) and
may be pruned; the health endpoint (``fonds.ops.health``) reads them.
"""

from django.db import models


class Heartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task (one row per worker host)."""

    worker = models.CharField("worker", max_length=200, unique=True)
    at = models.DateTimeField("dernier battement")

    class Meta:
        verbose_name = "battement de worker"
        verbose_name_plural = "battements de workers"

    def __str__(self):
        return f"{self.worker} @ {self.at:%Y-%m-%d %H:%M:%S}"


class ChainCheck(models.Model):
    """One full verification of the audit chain (the daily beat task, or ``verify_audit``)."""

    at = models.DateTimeField("vérifiée le", auto_now_add=True)
    ok = models.BooleanField("chaîne intègre")
    count = models.BigIntegerField("événements vérifiés")
    first_bad_seq = models.BigIntegerField("première séquence fautive", null=True, blank=True)
    reason = models.TextField("motif", blank=True)
    last_hash = models.CharField("empreinte de tête", max_length=64, blank=True)
    seconds = models.FloatField("durée (s)")

    class Meta:
        verbose_name = "vérification de la chaîne d'audit"
        verbose_name_plural = "vérifications de la chaîne d'audit"
        ordering = ["-at", "-id"]
        get_latest_by = "at"


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that needs it.

    ``fonds.ops.outbox.enqueue`` creates it; once the transaction commits it is sent at once; if
    the broker is down it stays here (``sent_at`` empty) and the ``flush_outbox`` beat task sends
    it when the broker is back. The task id is the message's UUID, so a message sent twice (a
    crash between sending and marking) is one task id, and every task is idempotent anyway.
    """

    id = models.UUIDField(primary_key=True)
    task = models.CharField("tâche", max_length=200)
    args = models.JSONField("arguments", default=list)
    kwargs = models.JSONField("arguments nommés", default=dict)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    attempts = models.PositiveIntegerField("tentatives", default=0)
    last_error = models.CharField("dernière erreur", max_length=300, blank=True)

    class Meta:
        verbose_name = "message en attente d'envoi"
        verbose_name_plural = "messages en attente d'envoi"
        indexes = [
            models.Index(fields=["sent_at", "created_at"], name="ops_outbox_pending"),
            # where a document in preparation stands: its task's newest messages first
            models.Index(fields=["task", "-created_at"], name="ops_outbox_task_newest"),
        ]

    def __str__(self):
        return f"{self.task} {self.args} ({'envoyé' if self.sent_at else 'en attente'})"


class BeatLease(models.Model):
    """Who may send the scheduled tasks: the one beat holding this row's unexpired lease.

    A second beat started by mistake (or a standby on another host) finds the lease held and sends
    nothing; it takes over once the holder stops renewing (``fonds.ops.beat``).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    holder = models.CharField("détenteur", max_length=200)
    expires_at = models.DateTimeField("expire le")
    acquired_at = models.DateTimeField("acquis le")

    class Meta:
        verbose_name = "bail de l'ordonnanceur (beat)"
        verbose_name_plural = "bail de l'ordonnanceur (beat)"

    def __str__(self):
        return f"{self.holder} jusqu'au {self.expires_at:%Y-%m-%d %H:%M:%S}"
