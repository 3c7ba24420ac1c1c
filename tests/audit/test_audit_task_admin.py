"""The daily Celery task and the read-only admin."""

import logging

import pytest
from django.contrib import admin
from django.test import RequestFactory

from fonds.audit.admin import AuditEventAdmin
from fonds.audit.models import AuditEvent
from fonds.audit.tasks import verify_chain
from fonds.ops.models import ChainCheck

from .conftest import make_events, tamper


def test_task_is_scheduled_daily_under_its_name(settings):
    from fonds.celery import app

    assert verify_chain.name == "fonds.audit.tasks.verify_chain"
    assert verify_chain.name in app.tasks
    schedule = settings.CELERY_BEAT_SCHEDULE["verify-audit-chain-daily"]
    assert schedule["task"] == "fonds.audit.tasks.verify_chain"


@pytest.mark.django_db
def test_task_logs_info_when_intact(caplog):
    events = make_events(3)
    with caplog.at_level(logging.INFO, logger="fonds.audit"):
        result = verify_chain.delay().get()
    assert result["ok"] is True and result["count"] == 3 and result["last_hash"] == events[-1].hash
    records = [r for r in caplog.records if r.name == "fonds.audit"]
    assert records and records[-1].levelno == logging.INFO
    assert "Piste d'audit intègre : 3 événements." in records[-1].getMessage()
    assert events[-1].hash in records[-1].getMessage()


@pytest.mark.django_db
def test_task_records_how_long_the_verification_took(monkeypatch):
    from fonds.audit import tasks

    ticks = iter([1000.0, 1000.12345])
    monkeypatch.setattr(tasks.time, "perf_counter", lambda: next(ticks))
    result = verify_chain()
    assert result["seconds"] == 0.123  # to the millisecond
    check = ChainCheck.objects.get()
    assert (check.ok, check.count, check.seconds, check.last_hash) == (True, 0, 0.123, result["last_hash"])
    assert check.last_hash == "0" * 64  # the genesis hash: an empty chain's


@pytest.mark.django_db
def test_task_logs_error_naming_the_first_bad_seq(caplog):
    make_events(3)
    tamper("UPDATE audit_auditevent SET action = 'x' WHERE seq = 2")
    with caplog.at_level(logging.INFO, logger="fonds.audit"):
        result = verify_chain()
    assert result["ok"] is False and result["first_bad_seq"] == 2
    errors = [r for r in caplog.records if r.name == "fonds.audit" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and "n° 2 " in errors[0].getMessage()
    assert ChainCheck.objects.get().reason == result["reason"] != ""  # the health page shows it


@pytest.mark.django_db
def test_admin_is_read_only(admin_user):
    make_events(2)
    model_admin = admin.site._registry[AuditEvent]
    assert isinstance(model_admin, AuditEventAdmin)
    request = RequestFactory().get("/")
    request.user = admin_user
    event = AuditEvent.objects.get(seq=1)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.get_actions(request) == {}
    assert "<pre>" in model_admin.pretty_canonical(event)


@pytest.mark.django_db
def test_admin_pages_render(admin_client):
    make_events(2)
    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    assert admin_client.get("/admin/audit/auditevent/1/change/").status_code == 200
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin_client.post("/admin/audit/auditevent/1/delete/").status_code == 403


def test_admin_search_never_counts_the_whole_trail(admin_client):
    """A search shows « N résultats » for what it found, without a COUNT(*) of every event (millions
    of rows) on each page."""
    make_events(3)
    response = admin_client.get("/admin/audit/auditevent/", {"q": "submit"})
    assert response.status_code == 200
    assert response.context["cl"].full_result_count is None


def test_admin_shows_a_canonical_text_that_is_not_json_as_it_is():
    """The readable view of an altered event whose text no longer parses: the text itself."""
    model_admin = admin.site._registry[AuditEvent]
    assert model_admin.pretty_canonical(AuditEvent(canonical='{"action":<b>')) == (
        "<pre>{&quot;action&quot;:&lt;b&gt;</pre>"
    )


def test_admin_event_page_shows_every_column_and_the_readable_text():
    assert AuditEventAdmin.fields == (
        "seq",
        "created_at",
        "actor_id",
        "actor_role",
        "action",
        "object_type",
        "object_id",
        "pretty_canonical",
        "canonical",
        "prev_hash",
        "hash",
    )


def test_admin_list_shows_the_first_twelve_characters_of_each_hash():
    """The list's « empreinte » column: enough of the hash to tell events apart, then an ellipsis."""
    model_admin = admin.site._registry[AuditEvent]
    assert model_admin.short_hash(AuditEvent(hash="0123456789abcdef" * 4)) == "0123456789ab…"


def test_admin_shows_the_canonical_text_indented_by_two_spaces_keys_sorted():
    model_admin = admin.site._registry[AuditEvent]
    assert model_admin.pretty_canonical(AuditEvent(canonical='{"b":{"c":"é"},"a":1}')) == (
        "<pre>{\n  &quot;a&quot;: 1,\n  &quot;b&quot;: {\n    &quot;c&quot;: &quot;é&quot;\n  }\n}</pre>"
    )


def test_admin_event_columns_are_labelled_in_french():
    from django.contrib.admin.utils import label_for_field

    model_admin = admin.site._registry[AuditEvent]
    assert label_for_field("pretty_canonical", AuditEvent, model_admin) == "contenu (lisible)"
    assert label_for_field("short_hash", AuditEvent, model_admin) == "empreinte"
