"""Audit-trail export (JSON Lines) and its standalone verifier (scripts/verify_audit_export.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from fonds.audit import chain as audit
from fonds.audit.models import AuditEvent
from fonds.reporting import audit_export

from .helpers import dossier_in

pytestmark = pytest.mark.django_db
VERIFIER = Path(settings.BASE_DIR) / "scripts" / "verify_audit_export.py"


def run_verifier(path, *args):
    proc = subprocess.run(
        [sys.executable, str(VERIFIER), str(path), *args], capture_output=True, text=True, timeout=60
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture
def trail(tmp_path):
    """Two dossiers with their paths, plus a payload with accents, a decimal and a newline."""
    a = dossier_in("agreement_signed")
    b = dossier_in("rejected")
    with transaction.atomic():
        audit.append(
            "note",
            actor="test",
            obj=a,
            payload={"texte": 'Éa\nb \u2028 « guillemets » "x"', "montant": Decimal("12.50")},
        )
    path = tmp_path / "trail.jsonl"
    call_command("export_audit", "-o", str(path))
    return a, b, path


def lines_of(path):
    return path.read_bytes().split(b"\n")[:-1]


def write_lines(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")


def test_export_contains_every_event_with_its_canonical_text_and_hashes(trail):
    a, b, path = trail
    lines = lines_of(path)
    header = json.loads(lines[0])
    events = list(AuditEvent.objects.order_by("seq").filter(seq__lte=header["head_seq"]))
    assert (
        header["scope"] == "all"
        and header["head_seq"] == events[-1].seq
        and header["head_hash"] == events[-1].hash
    )
    assert len(lines) - 1 == len(events)
    for line, event in zip(lines[1:], events):
        data = json.loads(line)
        assert (
            data["seq"] == event.seq and data["hash"] == event.hash and data["prev_hash"] == event.prev_hash
        )
        assert line[: -audit_export.SUFFIX_LEN] + b"}" == event.canonical.encode("utf-8")


def test_export_verified_by_standalone_verifier(trail):
    _, _, path = trail
    code, out = run_verifier(path)
    assert code == 0, out
    assert "INTÈGRE" in out and json.loads(lines_of(path)[0])["head_hash"] in out


def test_export_verified_against_expected_head_hash(trail):
    _, _, path = trail
    head = json.loads(lines_of(path)[0])["head_hash"]
    assert run_verifier(path, "--expect-hash", head)[0] == 0
    code, out = run_verifier(path, "--expect-hash", "f" * 64)
    assert code == 1 and "attendue" in out


def test_tampered_payload_rejected_at_its_line(trail, tmp_path):
    _, _, path = trail
    lines = lines_of(path)
    target = 4
    assert b'"step":2' in lines[target - 1]
    lines[target - 1] = lines[target - 1].replace(b'"step":2', b'"step":3')
    bad = tmp_path / "payload.jsonl"
    write_lines(bad, lines)
    code, out = run_verifier(bad)
    assert code == 1
    assert f"ligne {target} :" in out


def test_strict_mode_accepts_the_export_and_rejects_tampering(trail, tmp_path):
    _, _, path = trail
    assert run_verifier(path, "--strict")[0] == 0
    lines = lines_of(path)
    lines[2] = lines[2].replace(b'"step":1', b'"step":7')
    bad = tmp_path / "strict.jsonl"
    write_lines(bad, lines)
    code, out = run_verifier(bad, "--strict")
    assert code == 1 and "ligne 3 :" in out


def test_deleted_line_rejected_at_its_place(trail, tmp_path):
    _, _, path = trail
    lines = lines_of(path)
    del lines[5]  # the 6th line (event n° 5)
    bad = tmp_path / "deleted.jsonl"
    write_lines(bad, lines)
    code, out = run_verifier(bad)
    assert code == 1 and "ligne 6 :" in out and "supprimée" in out


def test_last_line_deleted_rejected(trail, tmp_path):
    _, _, path = trail
    lines = lines_of(path)
    bad = tmp_path / "truncated.jsonl"
    write_lines(bad, lines[:-1])
    code, out = run_verifier(bad)
    assert code == 1 and "fin de fichier supprimée" in out


def test_swapped_lines_rejected_at_first_swapped_line(trail, tmp_path):
    _, _, path = trail
    lines = lines_of(path)
    lines[3], lines[4] = lines[4], lines[3]  # lines 4 and 5
    bad = tmp_path / "swapped.jsonl"
    write_lines(bad, lines)
    code, out = run_verifier(bad)
    assert code == 1 and "ligne 4 :" in out


def test_recomputed_hash_of_forged_line_rejected_at_forged_line(trail, tmp_path):
    import hashlib

    _, _, path = trail
    lines = lines_of(path)
    line = lines[2].replace(b'"step":1', b'"step":9')
    canonical = line[: -audit_export.SUFFIX_LEN] + b"}"
    prev = json.loads(line)["prev_hash"]
    forged = hashlib.sha256(prev.encode() + canonical).hexdigest()
    lines[2] = line[:-66] + forged.encode() + b'"}'
    bad = tmp_path / "forged.jsonl"
    write_lines(bad, lines)
    code, out = run_verifier(bad)
    assert code == 1 and "ligne 3 :" in out and "forgée" in out


def test_non_canonical_rewrite_rejected(trail, tmp_path):
    _, _, path = trail
    lines = lines_of(path)
    data = json.loads(lines[1])
    lines[1] = json.dumps(data, ensure_ascii=True).encode()  # same content, other spelling
    bad = tmp_path / "rewritten.jsonl"
    write_lines(bad, lines)
    code, out = run_verifier(bad)
    assert code == 1 and "ligne 2 :" in out


def test_dossier_export_has_only_its_events_and_verifies(trail, tmp_path):
    a, b, _ = trail
    path = tmp_path / "a.jsonl"
    call_command("export_audit", "--dossier", str(a.pk), "-o", str(path))
    lines = lines_of(path)
    header = json.loads(lines[0])
    assert header["scope"] == "dossier" and header["dossier"] == a.pk
    ids = {json.loads(line)["object"]["id"] for line in lines[1:]}
    assert ids == {str(a.pk)}
    assert (
        len(lines) - 1
        == AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id=str(a.pk), seq__lte=header["head_seq"]
        ).count()
    )
    code, out = run_verifier(path)
    assert code == 0, out


def test_dossier_export_tampered_or_swapped_rejected(trail, tmp_path):
    a, _, _ = trail
    path = tmp_path / "a.jsonl"
    call_command("export_audit", "--dossier", str(a.pk), "-o", str(path))
    lines = lines_of(path)
    changed = list(lines)
    changed[2] = changed[2].replace(b'"step":1', b'"step":5')
    bad = tmp_path / "a-bad.jsonl"
    write_lines(bad, changed)
    code, out = run_verifier(bad)
    assert code == 1 and "ligne 3 :" in out
    swapped = list(lines)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    write_lines(bad, swapped)
    code, out = run_verifier(bad)
    assert code == 1 and "ligne 3 :" in out


def test_dossier_export_with_foreign_event_rejected(trail, tmp_path):
    a, b, _ = trail
    pa, pb = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    call_command("export_audit", "--dossier", str(a.pk), "-o", str(pa))
    call_command("export_audit", "--dossier", str(b.pk), "-o", str(pb))
    lines = lines_of(pa) + lines_of(pb)[1:2]
    lines = [lines[0]] + sorted(lines[1:], key=lambda line: json.loads(line)["seq"])
    bad = tmp_path / "mixed.jsonl"
    write_lines(bad, lines)
    code, out = run_verifier(bad)
    assert code == 1 and "ne concerne pas le dossier" in out
    assert "ne concerne pas le dossier" in run_verifier(bad, "--strict")[1]


def test_export_records_an_audit_event_with_sha256_of_file(trail):
    import hashlib

    _, _, path = trail
    event = AuditEvent.objects.filter(action="export_audit").order_by("-seq").first()
    payload = audit.event_payload(event)
    assert payload["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert payload["rows"] == len(lines_of(path)) - 1


def test_export_streams_in_chunks():
    for _ in range(3):
        dossier_in("submitted")
    chunks = list(audit_export.iter_export(chunk_size=2))
    assert len(chunks) >= 3  # header + several chunks of two events
    assert "".join(chunks).count("\n") == AuditEvent.objects.count() + 1


def test_unreadable_header_rejected_at_line_1(tmp_path):
    bad = tmp_path / "nothing.jsonl"
    bad.write_bytes(b'{"foo":1}\n')
    code, out = run_verifier(bad)
    assert code == 1 and "ligne 1 :" in out
    assert run_verifier(tmp_path / "absent.jsonl")[0] == 2
