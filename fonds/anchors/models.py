"""Time-stamp tokens of the audit chain head, kept outside the chain they vouch for.

An ``AuditAnchor`` is an RFC 3161 token by which a time-stamping authority signed, at
``gen_time``, the imprint of ``(seq, hash)`` — the chain head at that moment. Whoever rewrites the
history before ``seq`` must change the hash of event ``seq``, which no longer matches a token they
cannot forge. Not audit events themselves (an event per anchor would move the head it anchors).
An ``AnchorFailure`` records an attempt the authority did not answer: the health page reports it
and the retry task tries again until an anchor is newer.
"""

from django.db import models

from fonds import clock


class AuditAnchor(models.Model):
    seq = models.BigIntegerField("n° de séquence ancré", db_index=True)
    hash = models.CharField("empreinte ancrée", max_length=64)
    token = models.BinaryField("jeton d'horodatage (DER)")
    gen_time = models.DateTimeField("horodaté le (selon l'autorité)")
    tsa_url = models.CharField("autorité d'horodatage", max_length=300)
    policy = models.CharField("politique d'horodatage (OID)", max_length=100, blank=True)
    reason = models.CharField("motif", max_length=60)
    created_at = models.DateTimeField("enregistré le", default=clock.now)

    class Meta:
        verbose_name = "ancrage de la piste d'audit"
        verbose_name_plural = "ancrages de la piste d'audit"
        ordering = ["seq", "id"]

    def __str__(self):
        return f"ancrage n° {self.seq} ({self.gen_time:%Y-%m-%d %H:%M})"


class AnchorFailure(models.Model):
    at = models.DateTimeField("tentative du", default=clock.now, db_index=True)
    reason = models.CharField("motif de l'ancrage", max_length=60)
    tsa_url = models.CharField("autorité d'horodatage", max_length=300)
    error = models.CharField("erreur", max_length=300)

    class Meta:
        verbose_name = "échec d'ancrage"
        verbose_name_plural = "échecs d'ancrage"
        ordering = ["-at", "-id"]
