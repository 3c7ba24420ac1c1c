"""Canonical encoding of audit payloads: the exact bytes that are hashed and stored.

JSON, keys sorted, no spaces, UTF-8, amounts as decimal strings, times as UTC ISO-8601 with
microseconds and ``Z``; floats (binary approximations) and naive date-times are refused.
``chain_hash(prev, text)`` hashes ``prev`` (64 hex characters) followed by ``text`` in UTF-8.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal

from django.utils.functional import Promise

GENESIS_HASH = "0" * 64

_sha256 = hashlib.sha256


def _default(value):
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("montant non fini refusé dans la piste d'audit")
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise TypeError("date-heure sans fuseau refusée dans la piste d'audit")
        return utc_iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    # Lazy translation strings (gettext_lazy) and other Django "promises" are text.
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"type non canonique dans la piste d'audit : {type(value).__name__}")


def _reject_floats(value):
    """Refuse floats (and non-string keys) anywhere in ``value``; iterative, cheap on plain data."""
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict or (kind is not float and isinstance(item, dict)):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise TypeError("les clés de la piste d'audit doivent être des chaînes")
                push(child)
        elif kind is list or kind is tuple or isinstance(item, (list, tuple, set, frozenset)):
            extend(item)
        elif isinstance(item, float):
            raise TypeError("nombre flottant refusé dans la piste d'audit : utilisez Decimal ou un entier")


def utc_iso(value: dt.datetime) -> str:
    """``2025-11-26T10:05:00.123456Z``: the one textual form of an instant in the trail."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("date-heure sans fuseau refusée dans la piste d'audit")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value) -> str:
    """The canonical JSON text of ``value`` (a str; hash its UTF-8 bytes)."""
    _reject_floats(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default, allow_nan=False
    )


def chain_hash(previous_hash: str, canonical_text: str) -> str:
    """hash_n = SHA-256(hash_{n-1} ‖ canonical_bytes_n), lowercase hex."""
    return _sha256((previous_hash + canonical_text).encode("utf-8")).hexdigest()
