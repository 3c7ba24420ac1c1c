"""The audit trail anchored outside the database (issue 21): the chain head is time-stamped by an
RFC 3161 authority (a real one, on 127.0.0.1), and a history rewritten with every later hash
recomputed, or a tail dropped with the head rewound, no longer verifies."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from fonds.anchors import service
from fonds.anchors.health import check_anchor
from fonds.anchors.models import AnchorFailure, AuditAnchor
from fonds.anchors.tasks import anchor_head, retry_failed_anchor
from fonds.audit import chain
from fonds.audit.canonical import chain_hash
from fonds.audit.models import AuditEvent
from fonds.ops.models import OutboxMessage
from tests.audit.conftest import make_events, tamper

from .tsa import TestAuthority

pytestmark = pytest.mark.django_db

E, H = "audit_auditevent", "audit_chainhead"


def verify_audit_fails(fragment: str) -> str:
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert fragment in err.getvalue(), err.getvalue()
    return err.getvalue()


def rewrite_event_and_recompute(seq: int) -> None:
    """What a database owner can do: change event ``seq`` and recompute every later hash and the head."""
    events = list(
        AuditEvent.objects.filter(seq__gte=seq).order_by("seq").values_list("seq", "canonical", "prev_hash")
    )
    prev = events[0][2]
    for number, text, _ in events:
        if number == seq:
            text = text.replace("FJJ-2030-", "FJJ-2031-")
        digest = chain_hash(prev, text)
        tamper(
            f"UPDATE {E} SET canonical = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [text, prev, digest, number],
        )
        prev = digest
    tamper(f"UPDATE {H} SET last_hash = %s WHERE id = 1", [prev])


def test_the_chain_head_is_time_stamped_and_the_token_verifies(tsa, user):
    make_events(5, actor=user)
    anchor = service.anchor_head("daily")
    head = AuditEvent.objects.order_by("-seq").first()
    assert (anchor.seq, anchor.hash) == (5, head.hash)
    assert anchor.policy == settings.FJJ_TSA_POLICY_OID and anchor.tsa_url == tsa.url
    report = service.verify_anchors()
    assert report.ok and report.count == 1
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "Piste d'audit intègre : 5 événements." in out.getvalue()
    assert "1 ancrage horodaté vérifié ; dernier : n° 5" in out.getvalue()


def test_the_daily_beat_time_stamps_the_head(tsa, user):
    entry = settings.CELERY_BEAT_SCHEDULE["anchor-audit-head-daily"]
    assert entry["task"] == "fonds.anchors.tasks.anchor_head"
    make_events(3, actor=user)
    result = anchor_head.apply(args=entry["args"]).get()
    assert result["ok"] and result["seq"] == 3
    assert AuditAnchor.objects.get().reason == "daily"


def test_rewriting_history_before_an_anchor_is_detected_even_with_every_hash_recomputed(tsa, user):
    make_events(10, actor=user)
    service.anchor_head("daily")  # n° 10 time-stamped
    make_events(3, start=10, actor=user)
    rewrite_event_and_recompute(4)
    assert chain.verify().ok  # the chain alone cannot tell: every hash was recomputed
    report = service.verify_anchors()
    assert not report.ok and report.first_bad_seq == 10
    assert "histoire réécrite entre le n° 1 et le n° 10" in report.reason
    verify_audit_fails("Ancrage en défaut au n° 10")


def test_dropping_the_last_events_and_rewinding_the_head_is_detected(tsa, user):
    make_events(10, actor=user)
    service.anchor_head("daily")
    seventh = AuditEvent.objects.get(seq=7).hash
    tamper(f"DELETE FROM {E} WHERE seq > 7")
    tamper(f"UPDATE {H} SET last_seq = 7, last_hash = %s WHERE id = 1", [seventh])
    assert chain.verify().ok  # a shorter chain, consistent with its rewound head
    report = service.verify_anchors()
    assert not report.ok and report.first_bad_seq == 10
    verify_audit_fails("tête reculée")


def test_a_later_anchor_locates_the_rewriting_after_an_earlier_one_that_holds(tsa, user):
    make_events(4, actor=user)
    service.anchor_head("daily")  # n° 4
    make_events(4, start=4, actor=user)
    service.anchor_head("comite_session_closed")  # n° 8
    rewrite_event_and_recompute(6)
    report = service.verify_anchors()
    assert report.first_bad_seq == 8 and "entre le n° 5 et le n° 8" in report.reason


def test_an_anchor_row_moved_to_the_forged_hash_is_refused_by_its_token(tsa, user):
    make_events(6, actor=user)
    anchor = service.anchor_head("daily")
    rewrite_event_and_recompute(2)
    AuditAnchor.objects.filter(pk=anchor.pk).update(hash=AuditEvent.objects.get(seq=6).hash)
    report = service.verify_anchors()
    assert not report.ok and "jeton d'horodatage de l'ancrage n° 6 refusé" in report.reason


def test_a_token_from_an_authority_that_is_not_trusted_is_refused(tsa, settings, user, tmp_path):
    other = TestAuthority().start()
    try:
        settings.FJJ_TSA_URL = other.url  # answers, but its root is not among the trusted certificates
        make_events(2, actor=user)
        assert service.anchor_head("daily") is None
        assert "signataire du jeton non reconnu" in AnchorFailure.objects.get().error
    finally:
        other.stop()


def test_an_unreachable_authority_is_retried_through_the_outbox_and_reported(
    tsa, clock, user, django_capture_on_commit_callbacks
):
    make_events(2, actor=user)
    service.anchor_head("daily")
    assert check_anchor()["ok"] is True
    tsa.stop()
    make_events(1, start=2, actor=user)
    assert anchor_head.apply(args=("daily",)).get() == {"ok": False, "configured": True}
    health = check_anchor()
    assert health["ok"] is False and health["authority_unreachable"] is True
    assert "injoignable" in health["detail"]
    with django_capture_on_commit_callbacks(execute=True):  # still down: retried via the outbox, fails
        assert retry_failed_anchor.apply().get() is True
    assert OutboxMessage.objects.filter(task="fonds.anchors.tasks.anchor_head").exists()
    assert AnchorFailure.objects.count() == 2
    tsa.start()
    clock.advance(minutes=10)
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_failed_anchor.apply().get() is True
    health = check_anchor()
    assert health["ok"] is True and health["last_anchor_seq"] == 3
    assert retry_failed_anchor.apply().get() is False  # nothing left to retry


def test_the_health_page_reports_the_age_of_the_last_anchor(tsa, client, clock, user):
    make_events(1, actor=user)
    assert client.get("/sante/").json()["checks"]["audit_anchor"]["age_seconds"] is None
    service.anchor_head("daily")
    line = client.get("/sante/").json()["checks"]["audit_anchor"]
    assert line["ok"] is True and line["last_anchor_seq"] == 1 and line["age_seconds"] < 60
    clock.advance(hours=27)
    response = client.get("/sante/")
    line = response.json()["checks"]["audit_anchor"]
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert (
        line["ok"] is False
        and line["age_seconds"] >= 27 * 3600
        and line["detail"] == "dernier ancrage trop ancien"
    )


def test_without_an_authority_configured_nothing_is_anchored_and_health_says_so(settings, user):
    settings.FJJ_TSA_URL = ""
    make_events(1, actor=user)
    assert anchor_head.apply(args=("daily",)).get() == {"ok": False, "configured": False}
    assert check_anchor() == {
        "ok": True,
        "configured": False,
        "detail": "horodatage non configuré (FJJ_TSA_URL)",
    }


def test_the_anchor_audit_command_time_stamps_now_and_says_when_it_cannot(tsa, settings, user):
    make_events(2, actor=user)
    out = io.StringIO()
    call_command("anchor_audit", stdout=out)
    assert out.getvalue().startswith("Tête n° 2 horodatée le ")
    tsa.stop()
    with pytest.raises(CommandError, match="n'a pas répondu"):
        call_command("anchor_audit", stdout=io.StringIO())
    settings.FJJ_TSA_URL = ""
    with pytest.raises(CommandError, match="Aucune autorité"):
        call_command("anchor_audit", stdout=io.StringIO())
