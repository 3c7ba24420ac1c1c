"""Minors' data: the key that seals their traces in the audit trail, and the purge records."""

from django.db import models


class MinorsKey(models.Model):
    """A random key per dossier. Audit payloads never hold the ages of the young participants in
    clear: they hold their count and an HMAC under this key (``fonds.privacy.protect``). The purge
    deletes the key: the trail keeps its hashes (the chain still verifies) but nothing in it can be
    linked back to the ages any more (crypto-shredding)."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.CASCADE, related_name="minors_key")
    key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "clé des données de mineurs"
        verbose_name_plural = "clés des données de mineurs"


class Purge(models.Model):
    """One purge of a dossier's minors' data (also an audit event ``minors_data_purged``)."""

    dossier = models.OneToOneField("dossiers.Dossier", on_delete=models.PROTECT, related_name="minors_purge")
    purged_at = models.DateTimeField(auto_now_add=True)
    youth_count = models.PositiveIntegerField("jeunes au dossier au moment de la purge")
    report_youth_count = models.PositiveIntegerField(
        "jeunes au rapport final au moment de la purge", null=True
    )
    participant_list_deleted = models.BooleanField(default=False)

    class Meta:
        verbose_name = "purge des données de mineurs"
        verbose_name_plural = "purges des données de mineurs"
