"""The front office's part of the ``submit`` transition (registered from ``DepotConfig.ready``).

After the dossier is saved as submitted — in the transition's transaction, before its audit
event — the hook computes the SHA-256 of the submitted content (``fonds.depot.content``) and adds
it to the transition's data, so it is written in the ``submit`` audit event
(``payload.data.submitted_content = {"scheme", "sha256"}``); then it queues the receipt task
once the transaction commits. A hook registered earlier for ``submit`` still runs (first).
"""
from __future__ import annotations

from django.db import transaction

from .content import SCHEME, submitted_content_sha256


def after_submit(dossier, by, kwargs, motivation):
    kwargs["submitted_content"] = {"scheme": SCHEME, "sha256": submitted_content_sha256(dossier)}
    pk = dossier.pk

    def queue():
        from .tasks import generate_receipt

        generate_receipt.delay(pk)

    transaction.on_commit(queue)


def register():
    from fonds.dossiers import services

    current = services.AFTER.get("submit")
    if current is after_submit or getattr(current, "_fjj_depot", False):
        return
    if current is None:
        services.AFTER["submit"] = after_submit
        return

    def chained(dossier, by, kwargs, motivation):
        current(dossier, by, kwargs, motivation)
        after_submit(dossier, by, kwargs, motivation)

    chained._fjj_depot = True
    services.AFTER["submit"] = chained
