"""The committee closing time-stamps the head (through the outbox), and the standalone verifier
checks the anchors offline: tokens, hash at each anchored point, no head rewound below one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings

from fonds.anchors.export import write_anchors
from fonds.anchors.models import AuditAnchor
from fonds.anchors.service import anchor_head
from fonds.audit.models import AuditEvent
from fonds.comite import decisions, votes
from fonds.ops.models import OutboxMessage
from fonds.reporting.audit_export import write_export
from tests.audit.conftest import make_events, tamper
from tests.comite.conftest import sitting, vote_all

from .test_anchored_trail import E, H, rewrite_event_and_recompute
from .tsa import make_authority

pytestmark = pytest.mark.django_db

VERIFIER = Path(settings.BASE_DIR) / "scripts" / "verify_audit_export.py"


def test_closing_a_committee_session_time_stamps_the_head(tsa, committee, django_capture_on_commit_callbacks):
    c = committee
    session = sitting(c, 1)
    item = session.items.get()
    votes.open_vote(item, by=c.chair)
    vote_all(item, c, {m: "pour" for m in c.members})
    votes.close_vote(item, by=c.chair)
    decisions.decide(item, by=c.chair, outcome="approve")
    with django_capture_on_commit_callbacks(execute=True):
        decisions.close_session(session, by=c.chair)
    message = OutboxMessage.objects.get(task="fonds.anchors.tasks.anchor_head")
    assert message.args == ["comite_session_closed", session.pk] and message.sent_at is not None
    anchor = AuditAnchor.objects.get(reason="comite_session_closed")
    closing = AuditEvent.objects.get(action="comite_session_closed", object_id=str(session.pk))
    assert anchor.seq >= closing.seq  # the closing event is under the time-stamp


def export(tmp_path) -> tuple[Path, Path]:
    trail, anchors = tmp_path / "piste.jsonl", tmp_path / "ancrages.json"
    with trail.open("wb") as fh:
        write_export(fh)
    with anchors.open("wb") as fh:
        write_anchors(fh)
    return trail, anchors


def offline(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(VERIFIER), *map(str, args)], capture_output=True, text=True)


def test_the_offline_verifier_checks_the_tokens_with_the_authority_certificate(tsa, user, tmp_path):
    make_events(6, actor=user)
    anchor_head("daily")
    trail, anchors = export(tmp_path)
    run = offline(trail, "--anchors", anchors, "--tsa-cert", tsa.root_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        "1 ancrage(s) horodaté(s) tenu(s)" in run.stdout and "tenu : ancrage n° 6 horodaté le" in run.stdout
    )
    stranger = tmp_path / "autre.pem"

    stranger.write_bytes(make_authority("Autre")[0].public_bytes(serialization.Encoding.PEM))
    run = offline(trail, "--anchors", anchors, "--tsa-cert", stranger)
    assert run.returncode == 1 and "non rattaché à un certificat de confiance" in run.stdout


def test_the_offline_verifier_detects_a_history_rewritten_with_recomputed_hashes(tsa, user, tmp_path):
    make_events(8, actor=user)
    anchor_head("daily")
    make_events(2, start=8, actor=user)
    rewrite_event_and_recompute(3)
    trail, anchors = export(tmp_path)
    assert offline(trail).returncode == 0  # without the anchors the rewritten file is consistent
    run = offline(trail, "--anchors", anchors, "--tsa-cert", tsa.root_path)
    assert run.returncode == 1
    assert "l'événement n° 8 n'a pas l'empreinte horodatée par l'autorité" in run.stdout


def test_the_offline_verifier_detects_dropped_events_and_a_rewound_head(tsa, user, tmp_path):
    make_events(8, actor=user)
    anchor_head("daily")
    fifth = AuditEvent.objects.get(seq=5).hash
    tamper(f"DELETE FROM {E} WHERE seq > 5")
    tamper(f"UPDATE {H} SET last_seq = 5, last_hash = %s WHERE id = 1", [fifth])
    trail, anchors = export(tmp_path)
    assert offline(trail).returncode == 0
    run = offline(trail, "--anchors", anchors)  # trusting the certificates listed in the file
    assert run.returncode == 1 and "le n° 8 a été horodaté" in run.stdout
    assert "depuis le fichier d'ancrages" in run.stdout


def test_the_offline_verifier_refuses_a_token_not_over_its_anchor(tsa, user, tmp_path):
    make_events(3, actor=user)
    anchor_head("daily")
    trail, anchors = export(tmp_path)
    document = json.loads(anchors.read_text())
    document["anchors"][0]["hash"] = "a" * 64
    anchors.write_text(json.dumps(document))
    run = offline(trail, "--anchors", anchors, "--tsa-cert", tsa.root_path)
    assert run.returncode == 1 and "l'empreinte horodatée n'est pas celle du n° 3" in run.stdout
