"""The checks of a verification, on rows already read: pure, no database.

``walk`` checks rows in sequence order and names the first bad sequence number (``diagnose`` says
why); ``head_problem`` compares the end of the walk with the chain head.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from json.decoder import scanstring
from json.encoder import encode_basestring

from .canonical import GENESIS_HASH, utc_iso


@dataclass
class VerifyResult:
    ok: bool
    count: int
    first_bad_seq: int | None = None
    reason: str = ""
    last_hash: str = ""  # hash of the last event checked (the head hash when ok): an external anchor


def normalized(rows: Iterable[tuple]) -> Iterator[tuple]:
    """Rows supplied by a caller: ``created_at`` may be a datetime; turn it into the canonical text."""
    for row in rows:
        at = row[1]
        if at.__class__ is not str:
            try:
                at = utc_iso(at)
            except (AttributeError, TypeError, ValueError):
                at = "invalide"
            row = (row[0], at, *row[2:])
        yield row


def _canonical_seq(text) -> int | None:
    try:
        tail = text[text.rindex(',"seq":') + 7 :]
        return int(tail[:-1]) if tail.endswith("}") and tail[:-1].isdigit() else None
    except (AttributeError, ValueError):
        return None


def _columns_match(row, check_seq: bool = True) -> bool:
    """Every indexed column equals the value written at its place in the hashed text."""
    seq, at, actor_id, role, action, object_type, object_id, text = row[:8]
    try:
        head = (
            f'{{"action":{encode_basestring(action)},"actor":'
            f'{{"id":{"null" if actor_id is None else actor_id},"label":"'
        )
        if not text.startswith(head):
            return False
        end = scanstring(text, len(head))[1]
        middle = (
            f',"role":{encode_basestring(role)}}},"at":"{at}","object":{{"id":{encode_basestring(object_id)},'
            f'"type":{encode_basestring(object_type)}}},"payload":'
        )
        if not text.startswith(middle, end):
            return False
        return not check_seq or text.endswith(f',"seq":{seq}}}')
    except (TypeError, ValueError, AttributeError):
        return False


def diagnose(position: int, row: tuple, prev: str) -> tuple[int, str]:
    """Name the first bad sequence number once the fast path refused the row at ``position``.

    The smallest sequence number whose event is not the original one is named:
    a missing number (deletion), a row altered in place, a row moved or renumbered (its hashed text
    says which event it is), or — when a row is intact in itself but does not follow the previous
    one — the previous event (replaced by a forgery).
    """
    seq, text, prev_hash, digest = row[0], row[7], row[8], row[9]
    if seq != position:
        if isinstance(seq, int) and seq > position:
            return (
                position,
                f"événement n° {position} absent (le suivant trouvé est le n° {seq}) : "
                "supprimé ou renuméroté",
            )
        return (
            seq if isinstance(seq, int) else position
        ), f"événement n° {seq!r} inattendu à la place du n° {position} : inséré ou renuméroté"
    try:
        self_consistent = hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest() == digest
    except (TypeError, AttributeError, UnicodeError):
        self_consistent = False
    if not self_consistent:
        return (
            position,
            "l'empreinte enregistrée ne correspond pas à l'empreinte précédente et au contenu haché "
            "(ligne modifiée)",
        )
    if not _columns_match(row, check_seq=False):
        return position, "une colonne ne correspond plus au contenu haché (ligne modifiée)"
    claimed = _canonical_seq(text)
    if claimed != position:
        if claimed is not None and claimed < position:
            return (
                claimed,
                f"le contenu haché en position {position} est celui de l'événement n° {claimed} : "
                "un événement a été inséré avant lui",
            )
        return (
            position,
            f"le contenu haché en position {position} est celui de l'événement n° {claimed} "
            "(lignes déplacées ou renumérotées)",
        )
    if prev_hash != prev:
        if position == 1:
            return 1, "le premier événement ne part pas de l'empreinte initiale"
        return position - 1, (
            f"l'événement n° {position - 1} n'est pas celui que l'événement n° {position} a chaîné "
            "(remplacé ou forgé)"
        )
    return position, "événement refusé par la vérification"  # pragma: no cover - defensive


def walk(
    rows: Iterable[tuple], start: int = 0, prev: str | None = GENESIS_HASH
) -> tuple[int, str, tuple[int, str] | None]:
    """Check rows in order from the genesis (or after event ``start``, whose hash is ``prev``).

    ``prev=None`` (a segment checked by a worker): trust the first row's ``prev_hash`` for the link;
    the caller checks it against the previous segment. Returns (count, last hash, failure or None).
    """
    sha256 = hashlib.sha256
    enc = encode_basestring
    scan = scanstring
    position = start
    row = None
    rows = iter(rows)
    if prev is None:
        row = next(rows, None)
        if row is None:
            return 0, "", None
        prev = row[8] if isinstance(row[8], str) else ""
        rows = itertools.chain((row,), rows)
    try:
        for row in rows:
            position += 1
            seq, at, actor_id, role, action, object_type, object_id, text, prev_hash, digest = row
            if seq == position and prev_hash == prev and sha256((prev + text).encode()).hexdigest() == digest:
                head = (
                    f'{{"action":{enc(action)},"actor":'
                    f'{{"id":{"null" if actor_id is None else actor_id},"label":"'
                )
                if text.startswith(head):
                    end = scan(text, len(head))[1]
                    if text.startswith(
                        f',"role":{enc(role)}}},"at":"{at}","object":{{"id":{enc(object_id)},"type":{enc(object_type)}}},"payload":',
                        end,
                    ) and text.endswith(f',"seq":{seq}}}'):
                        prev = digest
                        continue
            return position - 1 - start, prev, diagnose(position, row, prev)
    except (TypeError, ValueError, AttributeError, UnicodeError):
        if row is None:
            raise
        return position - 1 - start, prev, diagnose(position, row, prev)
    return position - start, prev, None


def head_problem(count: int, last_hash: str, head: tuple[int, str] | None) -> tuple[int, str] | None:
    if head is None:
        if count == 0:
            return None
        return count, "la tête de chaîne (dernier n° de séquence et empreinte) a disparu"
    head_seq, head_hash = head
    if head_seq > count:
        return count + 1, (
            f"la tête de chaîne annonce {head_seq} événements, la chaîne s'arrête au n° {count} : "
            f"événement n° {count + 1} supprimé"
        )
    if head_seq < count:
        return (
            head_seq + 1,
            f"l'événement n° {head_seq + 1} est au-delà de la tête de chaîne (n° {head_seq}) : inséré",
        )
    if head_hash != last_hash:
        return (
            max(head_seq, 1),
            f"la tête de chaîne ne porte pas l'empreinte de l'événement n° {head_seq} "
            "(tête ou dernier événement modifié)",
        )
    return None


def result(count: int, last_hash: str, failure: tuple[int, str] | None) -> VerifyResult:
    if failure is None:
        return VerifyResult(True, count, None, "", last_hash)
    return VerifyResult(False, count, failure[0], failure[1], last_hash)
