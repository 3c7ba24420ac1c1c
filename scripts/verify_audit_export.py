#!/usr/bin/env python3
"""Verify an audit-trail export of the Fonds Jumelages Jeunesse offline — standard library only
(checking the time-stamped anchors, ``--anchors``, also needs asn1crypto and cryptography).

    python3 verify_audit_export.py FILE.jsonl [--expect-hash HASH] [--strict]
                                   [--anchors ANCHORS.json [--tsa-cert ROOT.pem]...]

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

Time-stamped anchors (``--anchors``, the file of ``manage.py export_anchors``; needs the
``asn1crypto`` and ``cryptography`` packages, nothing else): each anchor is an RFC 3161 token by
which a time-stamping authority signed the imprint of the chain head ``(seq, hash)`` at a date.
For each token this script checks the CMS signature (over the signed attributes, whose message
digest must be that of the time-stamp info), that the signer certificate has the time-stamping
usage, was valid at the token's date and chains to a trusted certificate (``--tsa-cert``, else
the certificates listed in the anchors file — compare their fingerprints, printed, with the ones
the authority publishes), and that the imprint is that of ``(seq, hash)``. Then, in the
whole-trail export, the event ``seq`` must have that very hash (a history rewritten before it,
even with every later hash recomputed, is caught) and the trail must reach ``seq`` (events
dropped and the head rewound below an anchor are caught).

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


ANCHORS_FORMAT = "fjj-audit-anchors"


def anchor_message(seq: int, digest: str) -> bytes:
    """The bytes whose SHA-256 a token imprints (fonds/anchors/tokens.py, ``anchor_message``)."""
    return f'{{"format":"fjj-audit-anchor","hash":"{digest}","seq":{int(seq)}}}'.encode()


def _load_pem_certs(data: bytes) -> list:
    from cryptography import x509

    return x509.load_pem_x509_certificates(data)


def _signature_ok(public_key, signature: bytes, data: bytes, mechanism: str, hash_name: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    algorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}.get(
        hash_name
    )
    if algorithm is None:
        return False
    try:
        if isinstance(public_key, rsa.RSAPublicKey) and mechanism in (
            "rsassa_pkcs1v15",
            "sha256_rsa",
            "sha384_rsa",
            "sha512_rsa",
        ):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, rsa.RSAPublicKey) and mechanism == "rsassa_pss":
            public_key.verify(
                signature, data, padding.PSS(padding.MGF1(algorithm), padding.PSS.AUTO), algorithm
            )
        elif isinstance(public_key, ec.EllipticCurvePublicKey) and "ecdsa" in mechanism:
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _chains_to(cert, pool: list, trusted: list, at) -> bool:
    """``cert`` is trusted, or issued (signature checked) by a certificate of ``pool`` that is."""
    from cryptography.hazmat.primitives import serialization

    der = serialization.Encoding.DER
    trusted_der = {t.public_bytes(der) for t in trusted}
    current = cert
    for _ in range(6):
        if current.public_bytes(der) in trusted_der:
            return True
        if not (current.not_valid_before_utc <= at <= current.not_valid_after_utc):
            return False
        issuer = None
        for candidate in pool + trusted:
            if candidate.subject == current.issuer and candidate.public_bytes(der) != current.public_bytes(
                der
            ):
                try:
                    current.verify_directly_issued_by(candidate)
                except Exception:  # noqa: BLE001 — any refusal (bad signature, other key type): not this issuer
                    continue
                issuer = candidate
                break
        if issuer is None:
            return False
        current = issuer
    return False


def check_token(der: bytes, seq: int, digest: str, trusted: list) -> str:
    """The token's date (ISO text) when it is a valid, trusted time-stamp of ``(seq, digest)``;
    raise ValueError saying what is wrong otherwise."""
    from asn1crypto import cms, tsp
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    info = cms.ContentInfo.load(der)
    if info["content_type"].native != "signed_data":
        raise ValueError("ce n'est pas un jeton signé (CMS SignedData)")
    signed = info["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "tst_info":
        raise ValueError("le jeton ne contient pas d'informations d'horodatage (TSTInfo)")
    tst_bytes = encap["content"].contents
    tst = tsp.TSTInfo.load(tst_bytes)
    imprint = tst["message_imprint"]
    algo = imprint["hash_algorithm"]["algorithm"].native
    if hashlib.new(algo, anchor_message(seq, digest)).digest() != imprint["hashed_message"].native:
        raise ValueError(f"l'empreinte horodatée n'est pas celle du n° {seq} ({digest[:12]}…)")
    at = tst["gen_time"].native
    signer_info = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    hash_name = signer_info["digest_algorithm"]["algorithm"].native
    if attrs.get("content_type") is None or attrs["content_type"].native != "tst_info":
        raise ValueError("attribut signé « content-type » absent ou faux")
    if (
        attrs.get("message_digest") is None
        or attrs["message_digest"].native != hashlib.new(hash_name, tst_bytes).digest()
    ):
        raise ValueError("l'empreinte signée n'est pas celle des informations d'horodatage")
    pool = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"] or []]
    sid = signer_info["sid"]
    signer = None
    for cert in pool + trusted:
        if sid.name == "issuer_and_serial_number":
            if (
                cert.serial_number == sid.chosen["serial_number"].native
                and cert.issuer.public_bytes() == sid.chosen["issuer"].dump()
            ):
                signer = cert
                break
        else:
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
            except x509.ExtensionNotFound:
                continue
            if ski == sid.chosen.native:
                signer = cert
                break
    if signer is None:
        raise ValueError("certificat signataire absent du jeton")
    signed_attrs = signer_info["signed_attrs"].dump()
    signed_attrs = b"\x31" + signed_attrs[1:]  # signed as a SET OF, not as the [0] implicit tag
    mechanism = signer_info["signature_algorithm"]["algorithm"].native
    if not _signature_ok(
        signer.public_key(), signer_info["signature"].native, signed_attrs, mechanism, hash_name
    ):
        raise ValueError("signature du jeton invalide")
    try:
        usages = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = []
    if ExtendedKeyUsageOID.TIME_STAMPING not in usages:
        raise ValueError("le signataire n'est pas une autorité d'horodatage (usage étendu absent)")
    if not _chains_to(signer, pool, trusted, at):
        raise ValueError("signataire non rattaché à un certificat de confiance (--tsa-cert)")
    return at.isoformat()


def load_anchors(path: str, cert_paths: list[str]) -> tuple[dict[int, str], list[str], list[str]]:
    """({seq: hash} of the anchors whose tokens hold, report lines, trusted fingerprints)."""
    import base64

    from cryptography.hazmat.primitives import hashes

    with open(path, "rb") as fh:
        try:
            document = json.load(fh)
        except ValueError:
            raise Bad(0, "fichier d'ancrages illisible (JSON attendu)") from None
    if not isinstance(document, dict) or document.get("format") != ANCHORS_FORMAT:
        raise Bad(0, "fichier d'ancrages illisible (format « fjj-audit-anchors » attendu)")
    if cert_paths:
        trusted = [c for p in cert_paths for c in _load_pem_certs(open(p, "rb").read())]
    else:
        trusted = [c for text in document.get("tsa_certificates", []) for c in _load_pem_certs(text.encode())]
    fingerprints = [c.fingerprint(hashes.SHA256()).hex() for c in trusted]
    anchored: dict[int, str] = {}
    lines = []
    for entry in document.get("anchors", []):
        seq, digest = int(entry["seq"]), str(entry["hash"])
        try:
            when = check_token(base64.b64decode(entry["token"]), seq, digest, trusted)
        except (ValueError, KeyError, TypeError) as exc:
            raise Bad(0, f"ancrage n° {seq} : jeton d'horodatage refusé : {exc}") from None
        if anchored.get(seq, digest) != digest:
            raise Bad(0, f"deux ancrages horodatés donnent deux empreintes au n° {seq}")
        anchored[seq] = digest
        lines.append(f"ancrage n° {seq} horodaté le {when}")
    return anchored, lines, fingerprints


def verify(
    path: str, expect_hash: str | None = None, strict: bool = False, anchored: dict[int, str] | None = None
) -> tuple[int, int, str, str]:
    """Return (events, last seq, last hash, scope); raise Bad on the first bad line.

    ``anchored`` ({seq: hash} of checked tokens): the whole trail must have those hashes there."""
    sha256 = hashlib.sha256
    anchored = anchored or {}
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
        if anchored and not whole:
            raise Bad(1, "les ancrages se vérifient sur l'export de la piste complète (scope « all »)")
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
            if seq in anchored and digest.decode() != anchored[seq]:
                raise Bad(
                    line_no,
                    f"l'événement n° {seq} n'a pas l'empreinte horodatée par l'autorité : histoire réécrite "
                    f"jusqu'à ce point (empreintes recalculées)",
                )
            last_seq, last_hash, count = seq, digest, count + 1
    beyond = [seq for seq in anchored if seq > last_seq]
    if beyond:
        raise Bad(
            line_no + 1,
            f"la piste s'arrête au n° {last_seq} alors que le n° {max(beyond)} a été horodaté : derniers "
            "événements supprimés et tête reculée",
        )
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


USAGE = (
    "usage : verify_audit_export.py FICHIER.jsonl [--expect-hash EMPREINTE] [--strict] "
    "[--anchors ANCRAGES.json [--tsa-cert RACINE.pem]...]"
)


def _take(argv: list[str], option: str) -> tuple[list[str], list[str]] | None:
    """(values of every ``option VALUE``, argv without them); None when a value is missing."""
    values, rest, i = [], [], 0
    while i < len(argv):
        if argv[i] == option:
            if i + 1 >= len(argv):
                return None
            values.append(argv[i + 1])
            i += 2
            continue
        rest.append(argv[i])
        i += 1
    return values, rest


def main(argv: list[str]) -> int:
    taken = _take(argv, "--anchors")
    certs = _take(taken[1], "--tsa-cert") if taken else None
    if taken is None or certs is None or len(taken[0]) > 1 or (certs[0] and not taken[0]):
        print(USAGE, file=sys.stderr)
        return 2
    anchors_path = taken[0][0] if taken[0] else None
    cert_paths, argv = certs
    args = [a for a in argv if not a.startswith("--")]
    strict = "--strict" in argv
    expect = None
    if "--expect-hash" in argv:
        i = argv.index("--expect-hash")
        if i + 1 >= len(argv):
            print(USAGE, file=sys.stderr)
            return 2
        expect = argv[i + 1]
        args = [a for a in args if a != expect]
    if len(args) != 1 or any(a.startswith("--") and a not in ("--strict", "--expect-hash") for a in argv):
        print(USAGE, file=sys.stderr)
        return 2
    anchored, anchor_lines = {}, []
    try:
        if anchors_path is not None:
            try:
                anchored, anchor_lines, fingerprints = load_anchors(anchors_path, cert_paths)
            except ImportError:
                print("--anchors nécessite les paquets asn1crypto et cryptography", file=sys.stderr)
                return 2
            origin = "--tsa-cert" if cert_paths else "le fichier d'ancrages (à comparer avec l'autorité)"
            for fingerprint in fingerprints:
                print(f"certificat d'autorité de confiance, depuis {origin} : SHA-256 {fingerprint}")
        count, last_seq, last_hash, scope = verify(args[0], expect, strict, anchored)
    except OSError as exc:
        print(f"Fichier illisible : {exc}", file=sys.stderr)
        return 2
    except Bad as bad:
        print(f"ALTÉRÉ : ligne {bad.line} : {bad.message}" if bad.line else f"ALTÉRÉ : {bad.message}")
        return 1
    what = (
        "piste complète"
        if scope == "all"
        else "un dossier (chaque événement vérifié isolément ; voir --help)"
    )
    for line in anchor_lines:
        print(f"tenu : {line}")
    if anchor_lines:
        what += f", {len(anchor_lines)} ancrage(s) horodaté(s) tenu(s)"
    print(f"INTÈGRE : {count} événement(s), {what}, dernier n° {last_seq}, dernière empreinte {last_hash}")
    return 0


if __name__ == "__main__":
    if "-h" in sys.argv[1:] or "--help" in sys.argv[1:]:
        print(__doc__)
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
