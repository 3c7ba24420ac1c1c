"""One chunk of dossiers: its rows per table, its audit events, and the payment batches of its
paid orders; ``write()`` inserts them in foreign-key order and appends the events to the chain."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction

from fonds.audit import chain as audit
from fonds.comite.models import AgendaItem, Vote
from fonds.dossiers.models import CorrectionRequest, Dossier, Message
from fonds.eligibilite.models import EligibilityRun, Verdict
from fonds.instruction.models import AmountProposal, Assessment, EligibilityOverride, Score
from fonds.payments.models import Batch, BatchItem, BatchState, ItemOutcome, PaymentOrder, Settlement

from .keys import Keys

ORDER = [
    Dossier,
    EligibilityRun,
    Verdict,
    EligibilityOverride,
    Score,
    Assessment,
    AmountProposal,
    CorrectionRequest,
    Message,
    AgendaItem,
    Vote,
    PaymentOrder,
    Batch,
    BatchItem,
    Settlement,
]
BATCH_SIZE = 250  # transfers per SEPA file
DEBTOR = ("Fonds Jumelages Jeunesse", "FR7610071750000000100012345", "TRPUFRPP")


class Chunk:
    def __init__(self, keys: Keys):
        self.keys = keys
        self.rows: dict[type, list] = defaultdict(list)
        self.entries: list[dict] = []
        self.paid: list[tuple[PaymentOrder, dict]] = []  # outgoing orders paid, with their creditor

    def add(self, obj):
        self.rows[type(obj)].append(obj)
        return obj

    def event(self, action: str, at, actor, role: str, obj, payload: dict) -> None:
        self.entries.append(
            {"action": action, "actor": actor, "role": role, "obj": obj, "at": at, "payload": payload}
        )

    def _batches(self, finance) -> None:
        """The chunk's paid transfers in SEPA files of ``BATCH_SIZE``, by campaign and kind."""
        groups: dict[tuple, list] = defaultdict(list)
        for order, creditor in self.paid:
            groups[(creditor["campaign"], order.kind)].append((order, creditor))
        for (_, kind), orders in groups.items():
            for start in range(0, len(orders), BATCH_SIZE):
                part = orders[start : start + BATCH_SIZE]
                pk = self.keys.take(Batch)
                built = min(o.paid_at for o, _ in part) - dt.timedelta(days=3)
                total = sum((o.amount for o, _ in part), Decimal(0))
                batch = self.add(
                    Batch(
                        pk=pk,
                        reference=f"LOT-BENCH-{pk:07d}",
                        message_id=f"FJJ-BENCH-{pk:07d}",
                        state=BatchState.EXECUTED,
                        created_at=built,
                        created_by=finance,
                        execution_date=(built + dt.timedelta(days=1)).date(),
                        debtor_name=DEBTOR[0],
                        debtor_iban=DEBTOR[1],
                        debtor_bic=DEBTOR[2],
                        count=len(part),
                        total=total,
                        file_sha256=f"{pk:064x}",
                        sent_at=built + dt.timedelta(hours=2),
                        sent_by=finance,
                        executed_at=built + dt.timedelta(days=2),
                    )
                )
                for position, (order, creditor) in enumerate(part, start=1):
                    self.add(
                        BatchItem(
                            batch=batch,
                            order=order,
                            position=position,
                            outcome=ItemOutcome.PAID,
                            amount=order.amount,
                            end_to_end_id=order.reference,
                            creditor_name=creditor["holder"],
                            creditor_iban=creditor["iban"],
                            creditor_bic="TRPUFRP1",
                            bank_fingerprint=creditor["fingerprint"],
                            remittance=f"{creditor['dossier']} {kind}",
                        )
                    )
                obj = ("payments.batch", pk)
                payload = {"reference": batch.reference, "count": len(part), "total": str(total)}
                for action, at in (
                    ("batch_built", built),
                    ("batch_sent", batch.sent_at),
                    ("batch_executed", batch.executed_at),
                ):
                    self.event(action, at, finance, "finance", obj, payload)

    @transaction.atomic
    def write(self, finance) -> int:
        self._batches(finance)
        for model in ORDER:
            rows = self.rows.get(model)
            if rows:
                model.objects.bulk_create(rows, batch_size=2000)
        # the chain's bulk path (COPY on PostgreSQL), in the order the events happened
        self.entries.sort(key=lambda e: e["at"])
        for start in range(0, len(self.entries), 20_000):
            audit.append_many(self.entries[start : start + 20_000])
        return len(self.entries)
