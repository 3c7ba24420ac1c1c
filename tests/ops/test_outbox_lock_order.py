"""Follow-up tasks that store a document lock the dossier row before the audit chain head, as
transitions do (issue 14; the deadlock behind ``fonds.ops.retry.on_deadlock``): a transition holds
the dossier row and waits for the head; a task holding the head while its COMMIT checks the new
document's deferred foreign key on that row waited for the transition — PostgreSQL aborted one.
PostgreSQL only (SQLite serialises writers with ``BEGIN IMMEDIATE``, no row locks).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fonds.audit.chain import HEAD_TABLE
from fonds.comite import decisions
from fonds.comite.letters import ensure_decision_letter
from fonds.depot.receipts import ensure_receipt
from fonds.dossiers.services import perform
from fonds.suivi.convention import ensure_convention
from tests.comite.conftest import sitting
from tests.factories import make_dossier
from tests.reporting.helpers import dossier_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _lock_order(run, dossier_pk: int) -> list[str]:
    """What the run locks FOR UPDATE, in order: "dossier" and/or "head"."""
    with CaptureQueriesContext(connection) as queries:
        run()
    order = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if "FOR UPDATE" not in sql:
            continue
        if '"dossiers_dossier"' in sql and str(dossier_pk) in sql:
            order.append("dossier")
        elif HEAD_TABLE in sql:
            order.append("head")
    return order


def test_receipt_task_locks_the_dossier_before_the_chain_head():
    dossier = make_dossier()
    perform(dossier, "submit", by=dossier.created_by)  # its receipt task is not run here (no commit)
    assert _lock_order(lambda: ensure_receipt(dossier.pk), dossier.pk)[:2] == ["dossier", "head"]


def test_decision_letter_task_locks_the_dossier_before_the_chain_head(committee):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    decisions.decide(item, by=c.chair, outcome="defer", motivation="Pièces complémentaires attendues.")
    decisions.close_session(session, by=c.chair)  # its letter tasks are not run here (no commit)
    assert _lock_order(lambda: ensure_decision_letter(item.pk), item.dossier_id)[:2] == ["dossier", "head"]


def test_convention_task_locks_the_dossier_before_the_chain_head():
    dossier = dossier_in("approved")
    assert _lock_order(lambda: ensure_convention(dossier), dossier.pk)[:2] == ["dossier", "head"]
