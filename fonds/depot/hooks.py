"""The front office's part of the ``submit`` transition (registered from ``DepotConfig.ready``).

After the dossier is saved as submitted — in the transition's transaction, before its audit
event — the hook computes the SHA-256 of the submitted content (``fonds.depot.content``) and adds
it to the transition's data, so it is written in the ``submit`` audit event
(``payload.data.submitted_content = {"scheme", "sha256"}``); then it queues the receipt task
through the transactional outbox (sent once the transaction commits, kept if the broker is down).
"""

from __future__ import annotations

from fonds.dossiers import services
from fonds.ops import outbox

from .content import SCHEME, submitted_content_sha256


def after_submit(dossier, by, kwargs, motivation):
    kwargs["submitted_content"] = {"scheme": SCHEME, "sha256": submitted_content_sha256(dossier)}
    # through the transactional outbox: a broker outage never loses the receipt (fonds/ops/outbox.py)
    outbox.enqueue("fonds.depot.tasks.generate_receipt", dossier.pk)


def register():
    services.after("submit")(after_submit)
