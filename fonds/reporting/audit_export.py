"""Audit-trail export: JSON Lines, streamed, verifiable offline (``scripts/verify_audit_export.py``).
A header line (scope, chain head at the start: a consistent snapshot), then each event's
canonical text verbatim with ``prev_hash`` and ``hash`` appended, so that
``hash = SHA-256(prev_hash ‖ line[:-SUFFIX_LEN] + "}")``. Memory bounded (chunks).
Format: docs/stages.md (Audit-trail export)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fonds.audit.canonical import GENESIS_HASH
from fonds.audit.models import AuditEvent, ChainHead

from . import sql

FORMAT = "fjj-audit-export"
VERSION = 1
DOSSIER_OBJECT_TYPE = "dossiers.dossier"
#: ``,"prev_hash":"<64>","hash":"<64>"}`` — the fixed-length tail of an event line (without ``\n``)
SUFFIX_LEN = len(',"prev_hash":"') + 64 + len('","hash":"') + 64 + len('"}')
HASH_RULE = (
    "hash = SHA-256(prev_hash || canonical), UTF-8; canonical = the event line without its "
    f"prev_hash and hash members, i.e. line[:-{SUFFIX_LEN}] + '}}'"
)
CHUNK = 5000

_TABLE = AuditEvent._meta.db_table


def head() -> tuple[int, str]:
    row = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def header(scope: str, dossier_id: int | None, head_seq: int, head_hash: str) -> str:
    return (
        json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "scope": scope,
                "dossier": dossier_id,
                "head_seq": head_seq,
                "head_hash": head_hash,
                "hash_rule": HASH_RULE,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + "\n"
    )


def _rows(where: str, params: list, chunk_size: int) -> Iterator[list[tuple]]:
    """Chunks of ``(canonical, prev_hash, hash)`` in sequence order; server-side cursor on PostgreSQL."""
    query = f"SELECT canonical, prev_hash, hash FROM {_TABLE} WHERE {where} ORDER BY seq"
    return sql.raw_chunks(query, params, chunk_size)


def iter_export(dossier_id: int | None = None, *, chunk_size: int = CHUNK) -> Iterator[str]:
    """The export as text chunks (header first). ``dossier_id``: only that dossier's events."""
    head_seq, head_hash = head()
    if dossier_id is None:
        yield header("all", None, head_seq, head_hash)
        where, params = "seq <= %s", [head_seq]
    else:
        yield header("dossier", int(dossier_id), head_seq, head_hash)
        where = "object_type = %s AND object_id = %s AND seq <= %s"
        params = [DOSSIER_OBJECT_TYPE, str(int(dossier_id)), head_seq]
    for chunk in _rows(where, params, chunk_size):
        yield "".join(
            [f'{text[:-1]},"prev_hash":"{prev}","hash":"{digest}"}}\n' for text, prev, digest in chunk]
        )


def iter_export_bytes(dossier_id: int | None = None, *, chunk_size: int = CHUNK) -> Iterator[bytes]:
    for text in iter_export(dossier_id, chunk_size=chunk_size):
        yield text.encode("utf-8")


def write_export(fileobj, dossier_id: int | None = None, *, chunk_size: int = CHUNK) -> int:
    """Write the export to a binary file object; return the number of event lines."""
    lines = -1
    for chunk in iter_export_bytes(dossier_id, chunk_size=chunk_size):
        fileobj.write(chunk)
        lines += chunk.count(b"\n")
    return lines


def export_filename(dossier=None) -> str:
    if dossier is None:
        return "piste-audit.jsonl"
    return f"piste-audit-{dossier.reference}.jsonl"
