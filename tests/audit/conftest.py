"""Helpers for the audit-trail tests.

Tampering is simulated the way an attacker with database administrator rights would do it: the
append-only triggers are lifted first (``fonds.audit.protection.protection_lifted``), deliberately.
In a ``django_db`` test the lifting is part of the test transaction and rolled back with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from fonds.audit import chain
from fonds.audit.canonical import chain_hash
from fonds.audit.protection import protection_lifted

T0 = dt.datetime(2030, 2, 15, 9, 0, tzinfo=dt.UTC)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def make_events(n: int, *, start: int = 0, actor=None) -> list:
    """Append ``n`` varied events, one transaction each (times one minute apart from T0)."""
    events = []
    for i in range(start, start + n):
        with transaction.atomic():
            events.append(
                chain.append(
                    ["submit", "approve", "eligibility_checked", "payment_ordered"][i % 4],
                    actor=actor if i % 3 == 0 else None,
                    role=["porteur", "comite", "", "finance"][i % 4],
                    obj=("dossiers.dossier", 1000 + i // 2),
                    payload={
                        "reference": f"FJJ-2030-{i:05d}",
                        "amount": Decimal("1234.50") + i,
                        "motivation": "Échange franco-allemand « été »",
                    },
                    at=T0 + dt.timedelta(minutes=i),
                )
            )
    return events


def tamper(sql: str, params=None) -> None:
    """Run raw SQL against the audit tables with the protection triggers lifted."""
    with protection_lifted(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


def forge(event, text: str) -> None:
    """Replace ``event``'s hashed text by ``text`` and recompute its own hash, as a forger who
    knows the hashing would: only the next link (or the head) can tell."""
    tamper(
        "UPDATE audit_auditevent SET canonical = %s, hash = %s WHERE seq = %s",
        [text, chain_hash(event.prev_hash, text), event.seq],
    )


def rehash(events, prev: str) -> None:
    """Rehash ``events`` (the chain's tail, in order) from ``prev`` and move the head to the last,
    as a forger who rewrites the rest of the chain would: only the first link can tell."""
    with protection_lifted(connection), connection.cursor() as cursor:
        for event in events:
            digest = chain_hash(prev, event.canonical)
            cursor.execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                [prev, digest, event.seq],
            )
            prev = digest
        cursor.execute("UPDATE audit_chainhead SET last_hash = %s WHERE id = 1", [prev])


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(
        email="instructrice@example.fr", password=None
    )  # no slow hashing


@pytest.fixture
def events(db, user):
    """Ten events on an otherwise empty chain."""
    return make_events(10, actor=user)
