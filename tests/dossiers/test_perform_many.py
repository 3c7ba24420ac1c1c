"""perform_many: the batched form of perform keeps every guarantee of perform, per dossier."""

import datetime as dt

import pytest
from viewflow.workflow.models import Task

from fonds import clock
from fonds.audit.chain import event_payload, verify
from fonds.audit.models import AuditEvent
from fonds.dossiers import services
from fonds.dossiers.models import CorrectionRequest, Dossier, Message
from fonds.dossiers.services import TransitionRefused, perform, perform_many
from fonds.dossiers.states import Status
from fonds.eligibilite.engine import run_checks
from fonds.eligibilite.models import EligibilityRun
from fonds.instruction.models import InstructorConflict
from tests.factories import make_campaign, make_commune, make_dossier, make_user
from workflows.models import DossierProcess

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return {"campaign": make_campaign(), "instructeur": make_user("instructeur")}


def _submitted(world, n, *, with_process=True):
    """``n`` submitted dossiers; without a process (status set outside perform) when asked."""
    out = []
    for _ in range(n):
        commune = make_commune()
        porteur = make_user("porteur", commune=commune)
        dossier = make_dossier(campaign=world["campaign"], commune=commune, porteur=porteur)
        if with_process:
            perform(dossier, "submit", by=porteur)
        else:
            Dossier.objects.filter(pk=dossier.pk).update(status=Status.SUBMITTED, submitted_at=clock.now())
        dossier.refresh_from_db()
        out.append(dossier)
    return out


def _mark():
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _events(dossier, since=0):
    """The audit events of a dossier, made comparable across dossiers (own references and
    run ids replaced by placeholders, after checking they point to this dossier's rows)."""
    runs = set(EligibilityRun.objects.filter(dossier=dossier).values_list("pk", flat=True))
    out = []
    for event in AuditEvent.objects.filter(
        object_type="dossiers.dossier", object_id=str(dossier.pk), seq__gt=since
    ).order_by("seq"):
        payload = event_payload(event)
        if payload.get("reference") == dossier.reference:
            payload["reference"] = "<ref>"
        for key, model in (("message", Message), ("correction", CorrectionRequest)):
            if payload.get(key) is not None:  # the conversation's own rows, per dossier
                assert model.objects.filter(pk=payload[key], dossier=dossier).exists()
                payload[key] = f"<{key}>"
        if "run" in payload:
            assert payload["run"] in runs
            payload["run"] = "<run>"
        if "eligibility_run" in payload.get("data", {}):
            assert payload["data"]["eligibility_run"] in runs
            payload["data"]["eligibility_run"] = "<run>"
        actor = "<porteur>" if event.actor_id == dossier.created_by_id else event.actor_id
        out.append((event.action, actor, event.actor_role, payload))
    return out


def _tasks(dossier):
    """The viewflow rows of a dossier's process, with ids made relative and times as present/absent."""
    process = DossierProcess.objects.get(dossier=dossier)
    tasks = list(Task.objects.filter(process_id=process.pk).order_by("pk"))
    index = {t.pk: i for i, t in enumerate(tasks)}
    porteur = dossier.created_by_id
    runs = set(EligibilityRun.objects.filter(dossier=dossier).values_list("pk", flat=True))

    def same(data):
        out = {}
        for key, value in (data or {}).items():
            if key == "by" and value == porteur:
                value = "<porteur>"
            elif key == "eligibility_run" and value is not None:
                assert value in runs
                value = "<run>"
            out[key] = value
        return out

    rows = [
        (
            t.flow_task.name,
            t.flow_task_type,
            t.status,
            "<porteur>" if t.owner_id == porteur else t.owner_id,
            t.owner_permission,
            same(t.data),
            str(t.token),
            t.assigned is not None,
            t.started is not None,
            t.finished is not None,
            sorted(index[p] for p in t.previous.values_list("pk", flat=True)),
        )
        for t in tasks
    ]
    return (process.status, same(process.data), process.finished is not None), rows


def _same_history(one, other, since):
    assert _events(one, since)
    assert _events(one, since) == _events(other, since)
    assert _tasks(one) == _tasks(other)


@pytest.mark.parametrize("with_process", [True, False], ids=["process", "adopted"])
def test_perform_many_start_instruction_same_audit_events_and_tasks_as_perform(world, with_process):
    by = world["instructeur"]
    single, batch = (
        _submitted(world, 2, with_process=with_process),
        _submitted(world, 3, with_process=with_process),
    )
    since = _mark()
    for dossier in single:
        perform(dossier, "start_instruction", by=by)
    result = perform_many([d.pk for d in batch], "start_instruction", by=by)
    assert [d.pk for d in result.done] == [d.pk for d in batch] and result.refused == []
    for dossier in batch:
        dossier.refresh_from_db()
        assert dossier.status == Status.IN_INSTRUCTION and dossier.instructor == by
        _same_history(single[0], dossier, since)
    assert verify().ok


def test_perform_many_stores_the_eligibility_verdicts_run_checks_gives(world):
    batch = _submitted(world, 3)
    perform_many([d.pk for d in batch], "start_instruction", by=world["instructeur"])
    for dossier in batch:
        run = EligibilityRun.objects.get(dossier=dossier, moment="start_instruction")
        expected = run_checks(
            dossier, moment="start_instruction", by=world["instructeur"], at=run.ran_at, store=False
        )
        stored = [
            (v.code, v.result, v.blocking, v.explanation, v.how_to_fix, v.data)
            for v in run.verdicts.order_by("code")
        ]
        assert stored == [
            (v.code, v.result, v.blocking, v.explanation, v.how_to_fix, v.data)
            for v in expected.preview_verdicts
        ]


def test_perform_many_request_corrections_same_events_tasks_and_correction_requests(world):
    by = world["instructeur"]
    dossiers = _submitted(world, 4)
    for dossier in dossiers:
        perform(dossier, "start_instruction", by=by)
    deadline = (clock.today() + dt.timedelta(days=20)).isoformat()
    data = {"fields": ["summary"], "documents": ["budget"], "deadline": deadline}
    since = _mark()
    perform(dossiers[0], "request_corrections", by=by, motivation="Précisez le budget.", data=data)
    result = perform_many(
        [d.pk for d in dossiers[1:]],
        "request_corrections",
        by=by,
        motivation="Précisez le budget.",
        data=data,
    )
    assert len(result.done) == 3 and not result.refused
    first = CorrectionRequest.objects.get(dossier=dossiers[0])
    for dossier in dossiers[1:]:
        _same_history(dossiers[0], dossier, since)
        request = CorrectionRequest.objects.get(dossier=dossier)
        assert (
            request.message,
            request.fields,
            request.documents,
            request.deadline,
            request.requested_by,
        ) == (first.message, first.fields, first.documents, first.deadline, first.requested_by)
    assert verify().ok


def test_perform_many_to_a_final_status_ends_the_process_like_perform(world):
    by = world["instructeur"]
    single, batch = _submitted(world, 1, with_process=False), _submitted(world, 2, with_process=False)
    since = _mark()
    perform(single[0], "declare_ineligible", by=by, motivation="Hors champ.")
    perform_many([d.pk for d in batch], "declare_ineligible", by=by, motivation="Hors champ.")
    for dossier in batch:
        _same_history(single[0], dossier, since)
    assert _tasks(batch[0])[0][0] == "DONE"


def test_perform_many_lists_refused_dossiers_with_the_reason_of_perform(world):
    by = world["instructeur"]
    ok = _submitted(world, 2)
    draft = make_dossier(campaign=world["campaign"], complete=False)
    linked = _submitted(world, 1)[0]
    InstructorConflict.objects.create(user=by, commune=linked.commune, motivation="Conseiller municipal")
    result = perform_many([ok[0].pk, draft.pk, 999999, linked.pk, ok[1].pk], "start_instruction", by=by)
    assert [d.pk for d in result.done] == [ok[0].pk, ok[1].pk]
    refused = {r.dossier_id: r for r in result.refused}
    assert [r.dossier_id for r in result.refused] == [draft.pk, 999999, linked.pk]
    for pk, dossier in ((draft.pk, draft), (999999, None), (linked.pk, linked)):
        with pytest.raises(TransitionRefused) as single:
            perform(dossier or pk, "start_instruction", by=by)
        assert (refused[pk].kind, refused[pk].message) == (single.value.kind, single.value.message)


def test_perform_many_refused_by_a_later_preparer_changes_nothing(world, monkeypatch):
    """The eligibility re-check (a preparer that writes a run and an audit event) ran for the
    refused dossier before a later preparer refused it: all of it is undone."""
    by = world["instructeur"]
    ok, refused = _submitted(world, 2), _submitted(world, 1)[0]
    before = (refused.status, refused.updated_at, refused.instructor_id)
    events_before = AuditEvent.objects.count()
    runs_before = EligibilityRun.objects.filter(dossier=refused).count()
    tasks_before = _tasks(refused)

    def refuse_one(dossier, by, data):
        if dossier.pk == refused.pk:
            raise TransitionRefused("condition", "Condition de test non remplie.", rules=["T1"])
        return {}

    monkeypatch.setitem(
        services.PREPARERS, "start_instruction", [*services.PREPARERS["start_instruction"], (90, refuse_one)]
    )
    result = perform_many([ok[0].pk, refused.pk, ok[1].pk], "start_instruction", by=by)
    assert [(r.dossier_id, r.kind, r.rules) for r in result.refused] == [(refused.pk, "condition", ["T1"])]
    refused.refresh_from_db()
    assert (refused.status, refused.updated_at, refused.instructor_id) == before
    assert EligibilityRun.objects.filter(dossier=refused).count() == runs_before
    assert not AuditEvent.objects.filter(object_id=str(refused.pk), seq__gt=events_before).exists()
    assert _tasks(refused) == tasks_before
    assert AuditEvent.objects.count() == events_before + 4  # eligibility_checked + start_instruction × 2
    assert verify().ok


def test_perform_many_unexpected_error_rolls_the_whole_batch_back(world, monkeypatch):
    by = world["instructeur"]
    dossiers = _submitted(world, 2)
    events_before = AuditEvent.objects.count()

    def broken(dossier, by, kwargs, motivation):
        raise RuntimeError("boom")

    monkeypatch.setitem(services.AFTER, "start_instruction", [(50, broken)])
    with pytest.raises(RuntimeError):
        perform_many([d.pk for d in dossiers], "start_instruction", by=by)
    assert set(Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).values_list("status", flat=True)) == {
        Status.SUBMITTED
    }
    assert AuditEvent.objects.count() == events_before


def test_perform_many_keeps_the_optimistic_guard_of_the_state_machine(world, monkeypatch):
    """A row whose status changed under the lock (impossible with the lock held, simulated here)
    makes the whole call a conflict, as ConcurrentTransition does for perform."""
    by = world["instructeur"]
    dossiers = _submitted(world, 2)
    original = services._check

    def check_then_race(locked, name, meta, by, motivation, forum):
        role = original(locked, name, meta, by, motivation, forum)
        Dossier.objects.filter(pk=locked.pk).update(status=Status.WITHDRAWN)
        return role

    monkeypatch.setattr(services, "_check", check_then_race)
    with pytest.raises(TransitionRefused) as refused:
        perform_many([d.pk for d in dossiers], "start_instruction", by=by)
    assert refused.value.kind == "conflict"
    assert not AuditEvent.objects.filter(action="start_instruction").exists()


def test_perform_many_sends_dossier_transitioned_once_per_dossier_like_perform(world):
    from fonds.dossiers.signals import dossier_transitioned

    by = world["instructeur"]
    single, batch = _submitted(world, 1), _submitted(world, 2)
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    dossier_transitioned.connect(receiver, sender=Dossier, dispatch_uid="test-perform-many")
    try:
        perform(single[0], "start_instruction", by=by)
        perform_many([d.pk for d in batch], "start_instruction", by=by)
    finally:
        dossier_transitioned.disconnect(dispatch_uid="test-perform-many", sender=Dossier)
    assert [k["dossier"].pk for k in seen] == [single[0].pk] + [d.pk for d in batch]
    keys = {key for key in seen[0] if key != "signal"}
    for kwargs in seen[1:]:
        assert {key for key in kwargs if key != "signal"} == keys | {"batch"}
        assert (kwargs["transition"], kwargs["by"], kwargs["role"], kwargs["source"], kwargs["target"]) == (
            "start_instruction",
            by,
            "instructeur",
            Status.SUBMITTED,
            Status.IN_INSTRUCTION,
        )
        assert kwargs["dossier"].status == Status.IN_INSTRUCTION  # already transitioned when sent
