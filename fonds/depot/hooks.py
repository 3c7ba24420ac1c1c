"""The front office's part of the ``submit`` transition (registered from ``DepotConfig.ready``).

After the dossier is saved as submitted — in the transition's transaction, before its audit
event — the hook computes the SHA-256 of the submitted content (``fonds.depot.content``) and adds
it to the transition's data, so it is written in the ``submit`` audit event
(``payload.data.submitted_content = {"scheme", "sha256"}``); then it queues the receipt task
once the transaction commits.
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

    services.after("submit")(after_submit)
