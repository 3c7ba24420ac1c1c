"""The append-only audit trail.

Each row stores the canonical text exactly as hashed; the indexed columns are copies of its
fields, checked against it by the verifier, so every column is covered by the hash. The single
``ChainHead`` row (last sequence number and hash) serializes the chaining and reveals a deleted
last event. ``PendingEvent`` is the staging table of deferred sequencing (``docs/audit.md``): an
event committed with its change, content-hashed but not yet numbered nor chained.
"""

import json

from django.db import models
from django.db.models.functions import Now


class AuditEvent(models.Model):
    seq = models.BigIntegerField("n° de séquence", primary_key=True)
    created_at = models.DateTimeField("horodatage (UTC)", db_index=True)
    actor_id = models.BigIntegerField("acteur (id)", null=True, blank=True, db_index=True)
    actor_role = models.CharField("rôle", max_length=20, blank=True)
    action = models.CharField("action", max_length=60, db_index=True)
    object_type = models.CharField("type d'objet", max_length=40, blank=True)
    object_id = models.CharField("objet", max_length=40, blank=True)
    canonical = models.TextField("contenu canonique (haché)")
    prev_hash = models.CharField("empreinte précédente", max_length=64)
    hash = models.CharField("empreinte", max_length=64, unique=True)

    class Meta:
        verbose_name = "événement d'audit"
        verbose_name_plural = "piste d'audit"
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seq_positive")]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("La piste d'audit est en ajout seul : un événement ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("La piste d'audit est en ajout seul : un événement ne se supprime pas.")

    @property
    def data(self) -> dict:
        """The hashed content, decoded (amounts stay decimal strings)."""
        return json.loads(self.canonical)


class ChainHead(models.Model):
    """The single row locked by every append; holds the last sequence number and hash.

    Created by migration ``0002_chain_head_row`` (id=1, last_seq=0, last_hash=GENESIS_HASH) and
    re-created after a test ``flush`` by a ``post_migrate`` handler. On both backends triggers
    refuse to delete it or to move it backwards (migration ``0004_append_only_triggers``).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "tête de chaîne d'audit"
        verbose_name_plural = "tête de chaîne d'audit"

    def __str__(self):
        return f"tête n° {self.last_seq} ({self.last_hash[:12]}…)"


class PendingEvent(models.Model):
    """An event committed with the change it records, waiting for the sequencer (deferred mode).

    ``body`` is the canonical text without its sequence number (``…,"payload":{…}``, no closing
    brace); ``digest`` its SHA-256, checked by the sequencer before it numbers and chains the event
    (``fonds.audit.sequencer``). ``staged_at`` (set by the database) measures the sequencing lag.
    Rows are only inserted, then deleted by the sequencer in the transaction that chains them.
    """

    id = models.BigAutoField(primary_key=True)
    staged_at = models.DateTimeField("mis en attente", db_default=Now())
    created_at = models.DateTimeField("horodatage (UTC)")
    actor_id = models.BigIntegerField("acteur (id)", null=True, blank=True)
    actor_role = models.CharField("rôle", max_length=20, blank=True)
    action = models.CharField("action", max_length=60)
    object_type = models.CharField("type d'objet", max_length=40, blank=True)
    object_id = models.CharField("objet", max_length=40, blank=True)
    body = models.TextField("contenu canonique sans numéro")
    digest = models.CharField("empreinte du contenu", max_length=64)

    class Meta:
        verbose_name = "événement d'audit en attente de chaînage"
        verbose_name_plural = "événements d'audit en attente de chaînage"
        ordering = ["id"]  # a queue drained within seconds: no index beyond its key

    def __str__(self):
        return f"en attente {self.pk} {self.action} {self.object_type}:{self.object_id}"

    @property
    def data(self) -> dict:
        """The content as it will be hashed (without its sequence number)."""
        return json.loads(self.body + "}")


#: the columns of an event, in the order the chain writes and verifies them
EVENT_COLUMNS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "canonical",
    "prev_hash",
    "hash",
)
EVENT_TABLE = AuditEvent._meta.db_table
HEAD_TABLE = ChainHead._meta.db_table
PENDING_TABLE = PendingEvent._meta.db_table
#: the columns of a pending event the sequencer reads, in order
PENDING_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "body",
    "digest",
)
