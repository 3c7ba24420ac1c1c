#!/usr/bin/env python3
"""Verify an audit-trail export of the Fonds Jumelages Jeunesse offline — standard library only.

    python3 verify_audit_export.py FILE.jsonl [--expect-hash HASH] [--strict]

Exit code 0: the file is intact; 1: it is not (the first bad line is named); 2: unreadable file
or bad arguments.

The file (``manage.py export_audit``, or the « Contrôle » page) holds a header line, then one line
per event: the event's canonical text — the exact text the application hashed — with
``"prev_hash"`` and ``"hash"`` appended before its closing brace. For every event line this
script recomputes ``SHA-256(prev_hash ‖ canonical)`` from the bytes of the line, exactly as the
application's chain does (``fonds/audit/canonical.py``, ``chain_hash``), and checks that:

* the line ends with ``,"prev_hash":"<64 hex>","hash":"<64 hex>"}`` at fixed positions, so that
  everything else on the line is the hashed text, byte for byte;
* the recomputed hash equals the line's ``hash``;
* with ``--strict``, also: the line decodes as a JSON object with exactly the members action,
  actor, at, object, payload, seq, prev_hash, hash, and its text is in canonical form (keys
  sorted, no spaces, UTF-8). The hash already covers every byte, so this adds no protection
  against tampering; it checks that the file is well-formed for other readers (slower).

Whole-trail export (``"scope":"all"``): sequence numbers are 1, 2, 3… with no gap, the first
event starts from the genesis hash (64 zeros) and every ``prev_hash`` is the ``hash`` of the line
before it; the last event is the header's ``head_seq`` with hash ``head_hash``. A changed, deleted,
inserted or swapped line is reported at the first line where the chain breaks.

One-dossier export (``"scope":"dossier"``): the events of one dossier are not consecutive in the
chain (other dossiers' events sit between them), so links can only be checked between events
whose sequence numbers follow each other. What is checked: each event's own hash (a changed line
is caught), sequence numbers strictly increasing (swapped lines are caught), every event about
that dossier, links where numbers are consecutive, and no event after the header's ``head_seq``.
What cannot be checked from this file alone: that no whole event was removed (between two
non-consecutive numbers), nor that an event was not rebuilt with a recomputed hash. To prove
those, verify the whole-trail export (or run ``manage.py verify_audit`` on the database) and
compare the hashes of this dossier's events with it.

Anchoring: a hash chain proves the file is consistent with its last hash. Whoever could rewrite
the whole file could recompute every hash, so compare the last hash printed here with one
obtained independently (``--expect-hash``: the head hash shown by ``manage.py verify_audit``,
published, or printed at the end of a dossier's history PDF).
"""

from __future__ import annotations

import hashlib
import json
import sys

GENESIS = b"0" * 64
PREFIX_PREV = b',"prev_hash":"'
MID_HASH = b'","hash":"'
SUFFIX_LEN = len(PREFIX_PREV) + 64 + len(MID_HASH) + 64 + len(b'"}')
EVENT_KEYS = {"action", "actor", "at", "object", "payload", "seq", "prev_hash", "hash"}
HEX = frozenset(b"0123456789abcdef")
FORMAT = "fjj-audit-export"


class Bad(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def _split(line_no: int, raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(canonical bytes, prev_hash, hash) of an event line (without its newline)."""
    if len(raw) <= SUFFIX_LEN or not raw.startswith(b'{"action":'):
        raise Bad(line_no, "ce n'est pas une ligne d'événement (format inattendu)")
    tail = raw[-SUFFIX_LEN:]
    prev = tail[len(PREFIX_PREV) : len(PREFIX_PREV) + 64]
    digest = tail[-66:-2]
    if (
        not tail.startswith(PREFIX_PREV)
        or tail[len(PREFIX_PREV) + 64 : len(PREFIX_PREV) + 64 + len(MID_HASH)] != MID_HASH
        or not tail.endswith(b'"}')
        or not HEX.issuperset(prev)
        or not HEX.issuperset(digest)
    ):
        raise Bad(line_no, 'la fin de ligne n\'a pas la forme ,"prev_hash":"…","hash":"…"}')
    return raw[:-SUFFIX_LEN] + b"}", prev, digest


def _seq_of(line_no: int, canonical: bytes) -> int:
    at = canonical.rfind(b',"seq":')
    tail = canonical[at + 7 : -1] if at >= 0 else b""
    if not tail.isdigit():
        raise Bad(line_no, "numéro de séquence illisible")
    return int(tail)


def _check_form(line_no: int, raw: bytes, canonical: bytes, seq: int, prev: bytes, digest: bytes) -> dict:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Bad(line_no, f"JSON invalide ({exc})") from None
    if not isinstance(data, dict) or set(data) != EVENT_KEYS:
        raise Bad(line_no, "membres inattendus (attendus : " + ", ".join(sorted(EVENT_KEYS)) + ")")
    if data["seq"] != seq or data["prev_hash"] != prev.decode() or data["hash"] != digest.decode():
        raise Bad(line_no, "membres en double ou contradictoires")
    body = {key: data[key] for key in ("action", "actor", "at", "object", "payload", "seq")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if text.encode("utf-8") != canonical:
        raise Bad(
            line_no, "le texte n'est pas sous forme canonique (clés triées, sans espaces) : ligne réécrite"
        )
    return data


def _object_is(canonical: bytes, wanted: bytes) -> bool:
    """The event's "object" member, found structurally: it follows the "at" member, whose value has
    a fixed length; the bytes '},"at":"' cannot occur inside a JSON string (quotes are escaped)."""
    at = canonical.find(b'},"at":"')
    return at >= 0 and canonical.startswith(wanted, at + 8 + 27)


def verify(path: str, expect_hash: str | None = None, strict: bool = False) -> tuple[int, int, str, str]:
    """Return (events, last seq, last hash, scope); raise Bad on the first bad line."""
    sha256 = hashlib.sha256
    with open(path, "rb") as fh:
        first = fh.readline()
        try:
            header = json.loads(first)
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError
            scope = header["scope"]
            head_seq = int(header["head_seq"])
            head_hash = str(header["head_hash"]).encode()
            dossier = header.get("dossier")
            if scope not in ("all", "dossier") or (scope == "dossier" and not isinstance(dossier, int)):
                raise ValueError
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise Bad(
                1, "en-tête absent ou illisible (première ligne « fjj-audit-export » attendue)"
            ) from None
        whole = scope == "all"
        expected_object = None if whole else {"type": "dossiers.dossier", "id": str(dossier)}
        wanted = (
            None
            if whole
            else b'","object":{"id":'
            + json.dumps(str(dossier)).encode()
            + b',"type":"dossiers.dossier"},"payload":'
        )
        last_seq, last_hash, count = 0, GENESIS, 0
        line_no = 1
        for raw in fh:
            line_no += 1
            if not raw.endswith(b"\n"):
                raise Bad(line_no, "dernière ligne incomplète (fichier tronqué)")
            raw = raw[:-1]
            canonical, prev, digest = _split(line_no, raw)
            seq = _seq_of(line_no, canonical)
            if sha256(prev + canonical).digest().hex().encode() != digest:
                raise Bad(
                    line_no,
                    f"empreinte recalculée différente de l'empreinte de la ligne (événement n° {seq} "
                    "modifié)",
                )
            if strict:
                data = _check_form(line_no, raw, canonical, seq, prev, digest)
                if expected_object is not None and data["object"] != expected_object:
                    raise Bad(line_no, f"l'événement n° {seq} ne concerne pas le dossier {dossier}")
            if wanted is not None and not _object_is(canonical, wanted):
                raise Bad(line_no, f"l'événement n° {seq} ne concerne pas le dossier {dossier}")
            if whole:
                if seq != last_seq + 1:
                    if seq > last_seq + 1:
                        raise Bad(
                            line_no,
                            f"événement n° {last_seq + 1} attendu, n° {seq} trouvé : ligne(s) supprimée(s) "
                            "ou déplacée(s)",
                        )
                    raise Bad(
                        line_no,
                        f"événement n° {last_seq + 1} attendu, n° {seq} trouvé : ligne déplacée ou dupliquée",
                    )
                if prev != last_hash:
                    if line_no == 2:
                        raise Bad(
                            line_no, "le premier événement ne part pas de l'empreinte initiale (64 zéros)"
                        )
                    raise Bad(
                        line_no - 1,
                        f"l'événement n° {seq} n'a pas chaîné cette ligne : ligne {line_no - 1} remplacée ou "
                        "forgée",
                    )
            else:
                if seq <= last_seq:
                    if seq == last_seq or line_no == 2:
                        raise Bad(
                            line_no,
                            f"événement n° {seq} après le n° {last_seq} : ligne dupliquée ou déplacée",
                        )
                    raise Bad(
                        line_no - 1,
                        f"lignes {line_no - 1} et {line_no} dans le désordre (n° {last_seq} avant le n° "
                        f"{seq}) : lignes déplacées",
                    )
                if seq == last_seq + 1 and count and prev != last_hash:
                    raise Bad(
                        line_no - 1,
                        f"l'événement n° {seq} n'a pas chaîné cette ligne : ligne {line_no - 1} remplacée ou "
                        "forgée",
                    )
            if seq > head_seq:
                raise Bad(line_no, f"événement n° {seq} au-delà de la tête annoncée (n° {head_seq})")
            last_seq, last_hash, count = seq, digest, count + 1
    if whole:
        if last_seq != head_seq:
            raise Bad(
                line_no + 1,
                f"la piste s'arrête au n° {last_seq}, l'en-tête annonce {head_seq} événements : fin de "
                "fichier supprimée",
            )
        if last_hash != head_hash:
            raise Bad(line_no, "l'empreinte du dernier événement n'est pas celle annoncée par l'en-tête")
    if expect_hash is not None and last_hash.decode() != expect_hash.strip().lower():
        raise Bad(
            line_no, f"l'empreinte finale {last_hash.decode()} diffère de l'empreinte attendue {expect_hash}"
        )
    return count, last_seq, last_hash.decode(), scope


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    strict = "--strict" in argv
    expect = None
    if "--expect-hash" in argv:
        i = argv.index("--expect-hash")
        if i + 1 >= len(argv):
            print(
                "usage : verify_audit_export.py FICHIER.jsonl [--expect-hash EMPREINTE] [--strict]",
                file=sys.stderr,
            )
            return 2
        expect = argv[i + 1]
        args = [a for a in args if a != expect]
    if len(args) != 1 or any(a.startswith("--") and a not in ("--strict", "--expect-hash") for a in argv):
        print(
            "usage : verify_audit_export.py FICHIER.jsonl [--expect-hash EMPREINTE] [--strict]",
            file=sys.stderr,
        )
        return 2
    try:
        count, last_seq, last_hash, scope = verify(args[0], expect, strict)
    except OSError as exc:
        print(f"Fichier illisible : {exc}", file=sys.stderr)
        return 2
    except Bad as bad:
        print(f"ALTÉRÉ : ligne {bad.line} : {bad.message}")
        return 1
    what = (
        "piste complète"
        if scope == "all"
        else "un dossier (chaque événement vérifié isolément ; voir --help)"
    )
    print(f"INTÈGRE : {count} événement(s), {what}, dernier n° {last_seq}, dernière empreinte {last_hash}")
    return 0


if __name__ == "__main__":
    if "-h" in sys.argv[1:] or "--help" in sys.argv[1:]:
        print(__doc__)
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
