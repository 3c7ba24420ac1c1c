"""Bulk actions on the whole filtered selection: confirmation, job, refusals, idempotence, rights."""

import datetime as dt

import pytest
from django.urls import reverse

from fonds import clock
from fonds.audit.chain import verify
from fonds.audit.models import AuditEvent
from fonds.bulk import services
from fonds.bulk.models import BulkFailure, BulkJob
from fonds.dossiers.models import CorrectionRequest, Dossier
from fonds.dossiers.services import perform
from fonds.dossiers.states import Status
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    campaign = make_campaign()
    instructeur = make_user("instructeur")
    submitted = []
    for _ in range(4):
        commune = make_commune()
        porteur = make_user("porteur", commune=commune)
        dossier = make_dossier(campaign=campaign, commune=commune, porteur=porteur)
        perform(dossier, "submit", by=porteur)
        submitted.append(dossier)
    draft = make_dossier(campaign=campaign, complete=False)
    return dict(campaign=campaign, instructeur=instructeur, submitted=submitted, draft=draft)


def _run(client, user, querystring, data, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("instruction:bulk"), {"querystring": querystring, "confirm": "on", **data}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return BulkJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def test_confirmation_counts_the_whole_filtered_selection_not_the_page(client):
    campaign = make_campaign()
    commune = make_commune()
    porteur = make_user("porteur", commune=commune)
    for _ in range(30):
        make_dossier(campaign=campaign, commune=commune, porteur=porteur, complete=False)
    make_dossier(complete=False)  # another campaign: outside the filter
    client.force_login(make_user("instructeur"))
    querystring = f"campaign={campaign.pk}&taille=25"
    listing = client.get(reverse("instruction:list") + "?" + querystring).content.decode()
    assert reverse("instruction:bulk") in listing  # the list offers the bulk form
    response = client.post(reverse("instruction:bulk"), {"querystring": querystring})
    assert response.status_code == 200
    assert "30 dossiers sélectionnés" in response.content.decode()
    assert not BulkJob.objects.exists()  # nothing happens before the explicit confirmation


def test_confirmation_requires_the_checkbox(client, world):
    client.force_login(world["instructeur"])
    response = client.post(
        reverse("instruction:bulk"),
        {"querystring": f"campaign={world['campaign'].pk}", "action": "start_instruction"},
    )
    assert response.status_code == 400
    assert not BulkJob.objects.exists()


def test_job_processes_every_selected_dossier_and_lists_refused_ones(
    client, world, django_capture_on_commit_callbacks
):
    job = _run(
        client,
        world["instructeur"],
        f"campaign={world['campaign'].pk}",
        {"action": "start_instruction"},
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert (job.total, job.done, job.succeeded, job.failed, job.status) == (
        5,
        5,
        4,
        1,
        BulkJob.State.FINISHED,
    )
    for dossier in world["submitted"]:
        dossier.refresh_from_db()
        assert dossier.status == Status.IN_INSTRUCTION and dossier.instructor == world["instructeur"]
    failure = BulkFailure.objects.get(job=job)
    assert failure.dossier_id == world["draft"].pk and failure.kind == "status"
    assert "Brouillon" in failure.reason
    page = client.get(reverse("instruction:bulk-job", args=[job.pk])).content.decode()
    assert world["draft"].reference in page and "Brouillon" in page
    assert "<progress" in page and 'aria-valuenow="5"' in page
    status = client.get(reverse("instruction:bulk-job-status", args=[job.pk])).json()
    assert status["done"] == 5 and status["failed"] == 1 and status["over"]
    assert verify().ok


def test_selection_is_frozen_at_confirmation(world):
    ids = [d.pk for d in world["submitted"][:2]]
    job = services.create_job(
        user=world["instructeur"], action="start_instruction", querystring="", params={}, dossier_ids=ids
    )
    services.run_job(job.pk)
    assert Dossier.objects.filter(status=Status.IN_INSTRUCTION).count() == 2


def test_idempotent_rerun_does_not_process_twice(world):
    ids = [d.pk for d in world["submitted"]]
    job = services.create_job(
        user=world["instructeur"], action="start_instruction", querystring="", params={}, dossier_ids=ids
    )
    services.run_chunk(job.pk, chunk_size=2, max_seconds=60)  # a worker died after the first chunk
    events = AuditEvent.objects.filter(action="start_instruction").count()
    assert events == 2
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.State.RUNNING)
    services.run_job(job.pk, chunk_size=2)  # the retry
    services.run_job(job.pk, chunk_size=2)  # and once more, after the end
    job.refresh_from_db()
    assert (job.done, job.succeeded, job.failed) == (4, 4, 0)
    assert AuditEvent.objects.filter(action="start_instruction").count() == 4
    assert not BulkFailure.objects.exists()


def test_a_chunk_of_transitions_dossier_by_dossier_stops_after_its_time_budget(world):
    ids = [d.pk for d in world["submitted"]]
    job = services.create_job(
        user=world["instructeur"], action="start_instruction", querystring="", params={}, dossier_ids=ids
    )
    # the per-dossier path (the fallback of a failed batch): one dossier, then the budget is spent
    assert services.run_chunk(job.pk, chunk_size=100, max_seconds=0, batched=False)
    job.refresh_from_db()
    assert job.done == 1 and AuditEvent.objects.filter(action="start_instruction").count() == 1
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.done, job.succeeded) == (4, 4)


def test_assign_writes_one_audit_event_per_dossier(client, world, django_capture_on_commit_callbacks):
    other = make_user("instructeur")
    job = _run(
        client,
        world["instructeur"],
        f"campaign={world['campaign'].pk}",
        {"action": "assign", "instructor": other.pk},
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert (job.succeeded, job.failed) == (4, 1)
    events = AuditEvent.objects.filter(action="assign_instructor")
    assert events.count() == 4
    assert sorted(int(e.object_id) for e in events) == sorted(d.pk for d in world["submitted"])
    assert all(e.actor_id == world["instructeur"].pk for e in events)
    assert Dossier.objects.filter(instructor=other).count() == 4
    assert verify().ok


def test_assign_refuses_a_non_instructor(world):
    with pytest.raises(services.TransitionRefused):
        services.assign_instructor(
            world["submitted"][0], by=world["instructeur"], instructor=make_user("comite")
        )
    assert not AuditEvent.objects.filter(action="assign_instructor").exists()


def test_request_the_same_correction(client, world, django_capture_on_commit_callbacks):
    for dossier in world["submitted"][:3]:
        perform(dossier, "start_instruction", by=world["instructeur"])
    deadline = clock.today() + dt.timedelta(days=20)
    job = _run(
        client,
        world["instructeur"],
        f"campaign={world['campaign'].pk}&status=in_instruction",
        {
            "action": "request_corrections",
            "message": "Joignez la délibération signée.",
            "documents": ["deliberation"],
            "deadline": deadline.isoformat(),
        },
        django_capture_on_commit_callbacks,
    )
    job.refresh_from_db()
    assert (job.total, job.succeeded, job.failed) == (3, 3, 0)
    assert (
        CorrectionRequest.objects.filter(
            message="Joignez la délibération signée.", documents=["deliberation"]
        ).count()
        == 3
    )


@pytest.mark.parametrize("role", ["porteur", "comite"])
def test_permissions_porteur_and_committee_are_refused(client, world, role):
    client.force_login(make_user(role, commune=make_commune() if role == "porteur" else None))
    assert client.get(reverse("instruction:bulk")).status_code == 403
    assert (
        client.post(
            reverse("instruction:bulk"), {"querystring": "", "action": "start_instruction", "confirm": "on"}
        ).status_code
        == 403
    )
    assert client.get(reverse("instruction:bulk-jobs")).status_code == 403
    assert not BulkJob.objects.exists()


def test_permissions_auditor_reads_jobs_but_cannot_create(client, world):
    job = services.create_job(
        user=world["instructeur"],
        action="schedule",
        querystring="",
        params={},
        dossier_ids=[world["draft"].pk],
    )
    client.force_login(make_user("auditeur"))
    assert client.get(reverse("instruction:bulk")).status_code == 403
    assert (
        client.post(
            reverse("instruction:bulk"), {"querystring": "", "action": "start_instruction", "confirm": "on"}
        ).status_code
        == 403
    )
    assert BulkJob.objects.count() == 1
    assert client.get(reverse("instruction:bulk-job", args=[job.pk])).status_code == 200
    assert client.get(reverse("instruction:bulk-job-status", args=[job.pk])).status_code == 200
    assert client.get(reverse("instruction:bulk-jobs")).status_code == 200


def test_a_batch_failing_as_a_whole_is_retried_dossier_by_dossier(world, monkeypatch):
    from fonds.dossiers import services as dossier_services

    def broken(*args, **kwargs):
        raise RuntimeError("lot en échec")

    monkeypatch.setattr(dossier_services, "perform_many", broken)
    ids = [d.pk for d in world["submitted"]] + [world["draft"].pk]
    job = services.create_job(
        user=world["instructeur"], action="start_instruction", querystring="", params={}, dossier_ids=ids
    )
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.done, job.succeeded, job.failed) == (5, 4, 1)
    assert BulkFailure.objects.get(job=job).dossier_id == world["draft"].pk
    assert Dossier.objects.filter(status=Status.IN_INSTRUCTION).count() == 4
    assert verify().ok
