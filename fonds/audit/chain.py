"""Append to the audit chain (inside the caller's transaction) and verify it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Iterator

from django.db import transaction
from django.utils import timezone

from .canonical import GENESIS_HASH, canonical, chain_hash, utc_iso
from .models import AuditEvent, ChainHead

SYSTEM = "system"


def _lock_head() -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        ChainHead.objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": GENESIS_HASH})
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def describe_object(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def append(action: str, *, actor=None, role: str = "", obj=None, payload: dict | None = None, at=None) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    return append_many([dict(action=action, actor=actor, role=role, obj=obj, payload=payload, at=at)])[0]


def append_many(entries: Iterable[dict]) -> list[AuditEvent]:
    """Append several events under one lock (same transaction)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("audit.append doit être appelé dans la transaction du changement qu'il consigne")
    head = _lock_head()
    seq, prev = head.last_seq, head.last_hash
    events = []
    for entry in entries:
        seq += 1
        at = entry.get("at") or timezone.now()
        actor = entry.get("actor")
        actor_id = getattr(actor, "pk", None) if actor is not None and getattr(actor, "is_authenticated", False) else None
        object_type, object_id = describe_object(entry.get("obj"))
        body = {
            "seq": seq,
            "at": utc_iso(at),
            "actor": {"id": actor_id, "label": (actor.email if actor_id else str(entry.get("actor_label") or SYSTEM)), "role": entry.get("role") or ""},
            "action": entry["action"],
            "object": {"type": object_type, "id": object_id},
            "payload": entry.get("payload") or {},
        }
        text = canonical(body)
        digest = chain_hash(prev, text)
        events.append(
            AuditEvent(
                seq=seq,
                created_at=at,
                actor_id=actor_id,
                actor_role=body["actor"]["role"],
                action=body["action"],
                object_type=object_type,
                object_id=object_id,
                canonical=text,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    AuditEvent.objects.bulk_create(events)
    ChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return events


@dataclass
class VerifyResult:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str = ""


def _columns_match(row, body) -> bool:
    seq, created_at, actor_id, actor_role, action, object_type, object_id = row[:7]
    return (
        body.get("seq") == seq
        and body.get("at") == utc_iso(created_at)
        and body.get("actor", {}).get("id") == actor_id
        and body.get("actor", {}).get("role") == actor_role
        and body.get("action") == action
        and body.get("object", {}).get("type") == object_type
        and body.get("object", {}).get("id") == object_id
    )


VERIFY_COLUMNS = ("seq", "created_at", "actor_id", "actor_role", "action", "object_type", "object_id", "canonical", "prev_hash", "hash")


def iter_rows(chunk_size: int = 5000) -> Iterator[tuple]:
    return AuditEvent.objects.order_by("seq").values_list(*VERIFY_COLUMNS).iterator(chunk_size=chunk_size)


def verify(rows: Iterable[tuple] | None = None) -> VerifyResult:
    """Walk the chain in sequence order; report the first bad sequence number."""
    rows = iter_rows() if rows is None else rows
    expected_seq, prev = 0, GENESIS_HASH
    count = 0
    for row in rows:
        seq, canonical_text, prev_hash, digest = row[0], row[7], row[8], row[9]
        expected_seq += 1
        if seq != expected_seq:
            return VerifyResult(False, count, expected_seq if seq > expected_seq else seq, f"séquence {expected_seq} attendue, {seq} trouvée (événement supprimé, inséré ou réordonné)")
        if prev_hash != prev:
            return VerifyResult(False, count, seq, "l'empreinte précédente ne correspond pas")
        if chain_hash(prev, canonical_text) != digest:
            return VerifyResult(False, count, seq, "l'empreinte ne correspond pas au contenu")
        try:
            body = json.loads(canonical_text)
        except ValueError:
            return VerifyResult(False, count, seq, "contenu canonique illisible")
        if not _columns_match(row, body):
            return VerifyResult(False, count, seq, "une colonne ne correspond plus au contenu haché")
        prev = digest
        count += 1
    head = ChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    if head_seq != count or head_hash != prev:
        return VerifyResult(False, count, count + 1 if head_seq > count else head_seq, f"la tête de chaîne annonce {head_seq} événements, {count} trouvés (suppression en fin de chaîne ?)")
    return VerifyResult(True, count)
