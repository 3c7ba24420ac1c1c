"""Test data for the exports: dossiers put in a status with the audit events of their path
(as ``seed_bench`` does — the stage transitions themselves are tested by their own packages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from fonds import clock
from fonds.audit import chain as audit
from fonds.dossiers.models import Dossier
from tests.factories import make_dossier

PATH = {
    "submitted": ["submit"],
    "in_instruction": ["submit", "start_instruction"],
    "approved": ["submit", "start_instruction", "complete_instruction", "schedule", "approve"],
    "rejected": ["submit", "start_instruction", "complete_instruction", "schedule", "reject"],
    "agreement_signed": [
        "submit",
        "start_instruction",
        "complete_instruction",
        "schedule",
        "approve",
        "accept_agreement",
    ],
    "closed": [
        "submit",
        "start_instruction",
        "complete_instruction",
        "schedule",
        "approve",
        "accept_agreement",
        "pay_advance",
        "submit_report",
        "settle",
    ],
}


def dossier_in(
    status: str, *, start: dt.datetime | None = None, approved=Decimal("5000.00"), **extra
) -> Dossier:
    dossier = make_dossier(**extra)
    start = start or clock.now() - dt.timedelta(days=60)
    fields = {"status": status, "submitted_at": start}
    if status in ("approved", "agreement_signed", "closed"):
        fields.update(
            approved_amount=approved, proposed_amount=approved, decided_at=start + dt.timedelta(days=4)
        )
    Dossier.objects.filter(pk=dossier.pk).update(**fields)
    audit_path(
        dossier, [(action, start + dt.timedelta(days=i)) for i, action in enumerate(PATH[status])], to=status
    )
    dossier.refresh_from_db()
    return dossier


def audit_path(dossier, steps, **payload) -> None:
    """The audit events of ``dossier``'s path, written in one transaction as the system:
    ``steps`` = [(action, at)]; each payload is ``payload`` and the event's rank ``step``."""
    with transaction.atomic():
        audit.append_many(
            [
                dict(
                    action=action,
                    actor="test",
                    role="system",
                    obj=dossier,
                    payload={**payload, "step": i},
                    at=at,
                )
                for i, (action, at) in enumerate(steps)
            ]
        )
