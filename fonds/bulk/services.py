"""Bulk actions: assigning an instructor (one transaction and audit event per dossier) and the
job runner. ``run_job`` processes a frozen selection in chunks, each ONE transaction through
``perform_many`` / ``assign_many``; a refused dossier is a ``BulkFailure``; a chunk failing as a
whole is retried dossier by dossier to name the culprit. Details: docs/stages.md (Bulk)."""

from __future__ import annotations

import logging
import time

from django.db import transaction

from fonds import clock
from fonds.accounts.models import User
from fonds.accounts.roles import Role, has_role, roles_of
from fonds.audit import chain as audit
from fonds.conversation import services as conversation
from fonds.dossiers import services as dossier_services
from fonds.dossiers.access import can_see
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TRANSITIONS, TransitionRefused
from fonds.dossiers.states import Status
from fonds.instruction import labels
from fonds.instruction.guards import has_conflict
from fonds.instruction.models import InstructorConflict, Label
from fonds.ops import outbox
from fonds.refusals import Refused

from .models import BulkFailure, BulkJob

logger = logging.getLogger(__name__)

ASSIGNABLE = frozenset({Status.SUBMITTED, Status.IN_INSTRUCTION})
WRITE_ROLES = (Role.INSTRUCTEUR, Role.ADMIN)
DEFAULT_CHUNK = 500
#: labels are put on / taken off a chunk at once (``fonds.instruction.labels.change_many``)
LABEL_ACTIONS = (BulkJob.Action.ADD_LABEL, BulkJob.Action.REMOVE_LABEL)
#: a chunk's transaction holds the write lock (SQLite) / the chain head (PostgreSQL): other users'
#: changes wait for it, so a chunk of ``perform`` calls stops after this many seconds
CHUNK_SECONDS = 1.0


def _acting_role(user) -> str | None:
    held = roles_of(user)
    return next((role for role in WRITE_ROLES if role in held), None)


def assign_instructor(dossier, *, by, instructor, job_id: int | None = None) -> Dossier:
    """Set ``dossier.instructor`` (audited). Raises ``TransitionRefused`` with a French message."""

    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().select_related("commune").filter(pk=pk).first()
        if locked is None or not can_see(by, locked):
            raise TransitionRefused("not_found", "Dossier introuvable.")
        role = _acting_role(by)
        if role is None:
            raise TransitionRefused(
                "role", "L'attribution d'un dossier est réservée aux instructeurs et aux administrateurs."
            )
        if locked.status not in ASSIGNABLE:
            raise TransitionRefused(
                "status",
                f"Attribution impossible : le dossier est « {locked.get_status_display()} » (seuls les "
                "dossiers déposés ou en instruction s'attribuent).",
            )
        if instructor is None or not has_role(instructor, Role.INSTRUCTEUR):
            raise TransitionRefused("condition", "La personne choisie n'est pas instructrice.")
        if has_conflict(instructor, locked.commune_id):
            raise TransitionRefused(
                "role",
                f"{instructor.email} a déclaré un lien avec la commune {locked.commune.name} : le dossier ne "
                "peut pas lui être attribué.",
            )
        if locked.instructor_id == instructor.pk:
            raise TransitionRefused("status", f"Le dossier est déjà attribué à {instructor.email}.")
        previous = locked.instructor_id
        Dossier.objects.filter(pk=locked.pk).update(instructor=instructor, updated_at=clock.now())
        payload = {
            "reference": locked.reference,
            "status": locked.status,
            "from": previous,
            "to": instructor.pk,
            "to_email": instructor.email,
        }
        if job_id is not None:
            payload["bulk_job"] = job_id
        audit.append("assign_instructor", actor=by, role=role, obj=locked, payload=payload)
    locked.instructor = instructor
    return locked


def assign_many(
    ids: list[int], *, by, instructor, job_id: int | None = None
) -> tuple[int, list[tuple[int, str, str]]]:
    """``assign_instructor`` for a chunk: same checks, same audit event per dossier, but one
    locking read of the chunk, one UPDATE and ONE ``append_many`` (one chain-head lock) for all
    the dossiers of the chunk. Returns ``(succeeded, [(dossier_id, kind, French reason)])``.
    Must run inside a transaction (the chunk's)."""

    role = _acting_role(by)
    rows = {
        d.pk: d
        for d in Dossier.objects.select_for_update()
        .select_related("commune")
        .filter(pk__in=ids)
        .only("pk", "reference", "status", "instructor_id", "commune_id", "commune__name")
    }
    failures: list[tuple[int, str, str]] = []
    if role is None:
        return 0, [
            (pk, "role", "L'attribution d'un dossier est réservée aux instructeurs et aux administrateurs.")
            for pk in ids
        ]
    if instructor is None or not has_role(instructor, Role.INSTRUCTEUR):
        return 0, [(pk, "condition", "La personne choisie n'est pas instructrice.") for pk in ids]
    conflicts = set(
        InstructorConflict.objects.filter(
            user=instructor, commune_id__in={d.commune_id for d in rows.values()}
        ).values_list("commune_id", flat=True)
    )
    ok, entries = [], []
    for pk in ids:
        d = rows.get(pk)
        if d is None or not can_see(by, d):
            failures.append((pk, "not_found", "Dossier introuvable."))
        elif d.status not in ASSIGNABLE:
            failures.append(
                (
                    pk,
                    "status",
                    f"Attribution impossible : le dossier est « {d.get_status_display()} » (seuls les "
                    "dossiers déposés ou en instruction s'attribuent).",
                )
            )
        elif d.commune_id in conflicts:
            failures.append(
                (
                    pk,
                    "role",
                    f"{instructor.email} a déclaré un lien avec la commune {d.commune.name} : le dossier ne "
                    "peut pas lui être attribué.",
                )
            )
        elif d.instructor_id == instructor.pk:
            failures.append((pk, "status", f"Le dossier est déjà attribué à {instructor.email}."))
        else:
            ok.append(pk)
            payload = {
                "reference": d.reference,
                "status": d.status,
                "from": d.instructor_id,
                "to": instructor.pk,
                "to_email": instructor.email,
            }
            if job_id is not None:
                payload["bulk_job"] = job_id
            entries.append(
                {
                    "action": "assign_instructor",
                    "actor": by,
                    "role": role,
                    "obj": ("dossiers.dossier", pk),
                    "payload": payload,
                }
            )
    if ok:
        Dossier.objects.filter(pk__in=ok).update(instructor=instructor, updated_at=clock.now())
        audit.append_many(entries)  # one event per dossier, one head lock for the chunk
    return len(ok), failures


def _transition_args(job: BulkJob) -> dict:
    params = job.params or {}
    args = {"motivation": params.get("motivation", "")}
    if job.action == BulkJob.Action.REQUEST_CORRECTIONS:
        args["data"] = {
            "fields": params.get("fields", []),
            "documents": params.get("documents", []),
            "deadline": params.get("deadline"),
        }
    if job.action == BulkJob.Action.SCHEDULE:
        args["data"] = {"session": params.get("session")}
    return args


def _apply(job: BulkJob, dossier_id: int, user, instructor):
    if job.action == BulkJob.Action.ASSIGN:
        return assign_instructor(dossier_id, by=user, instructor=instructor, job_id=job.pk)
    if job.action == BulkJob.Action.MESSAGE:  # one message per dossier, each in its conversation
        return conversation.post_message(dossier_id, by=user, body=(job.params or {}).get("body", ""))
    return dossier_services.perform(dossier_id, job.action, by=user, **_transition_args(job))


def _perform_chunk(job: BulkJob, ids: list[int]) -> tuple[int, list[BulkFailure]] | None:
    """The chunk through ``perform_many`` (one savepoint); None when it failed as a whole (an
    unexpected error, a conflict): the caller then takes the dossiers one by one."""
    try:
        with transaction.atomic():
            result = dossier_services.perform_many(
                ids, job.action, by=job.created_by, **_transition_args(job)
            )
    except Exception:  # noqa: BLE001 — retried dossier by dossier, where each error is listed
        logger.warning(
            "action groupée %s : lot de %s dossiers repris un par un", job.pk, len(ids), exc_info=True
        )
        return None
    return len(result.done), [
        BulkFailure(job=job, dossier_id=r.dossier_id, kind=r.kind, reason=r.message) for r in result.refused
    ]


def run_chunk(
    job_id: int, chunk_size: int = DEFAULT_CHUNK, max_seconds: float = CHUNK_SECONDS, batched: bool = True
) -> bool:
    """Process the next chunk of the job in one transaction; False when there is nothing left.

    Transitions go through ``perform_many`` (``batched``): the chunk's dossiers are locked,
    checked, transitioned, audited and their processes advanced together; refusals are listed.
    If the batch fails as a whole (an unexpected error), or with ``batched=False``, the chunk is
    taken dossier by dossier with ``perform`` (each in its own savepoint), stopping after
    ``max_seconds`` (the dossiers not reached stay for the next chunk)."""

    began = time.monotonic()
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().select_related("created_by").get(pk=job_id)
        if job.is_over or job.done >= job.total:
            return False
        ids = job.dossier_ids[job.done : job.done + chunk_size]
        instructor = None
        if job.action == BulkJob.Action.ASSIGN:
            instructor = User.objects.filter(pk=(job.params or {}).get("instructor")).first()
        succeeded, failures = 0, []
        if job.action in (BulkJob.Action.ASSIGN, *LABEL_ACTIONS):
            if job.action == BulkJob.Action.ASSIGN:
                succeeded, refused = assign_many(ids, by=job.created_by, instructor=instructor, job_id=job.pk)
            else:
                label = Label.objects.filter(pk=(job.params or {}).get("label")).first()
                attach_it = job.action == BulkJob.Action.ADD_LABEL
                succeeded, refused = labels.change_many(
                    ids, label, by=job.created_by, attach_it=attach_it, job_id=job.pk
                )
            failures = [
                BulkFailure(job=job, dossier_id=pk, kind=kind, reason=reason) for pk, kind, reason in refused
            ]
            ids_to_perform = []
        elif job.action in TRANSITIONS and batched and (outcome := _perform_chunk(job, ids)) is not None:
            succeeded, failures = outcome
            ids_to_perform = []
        else:
            ids_to_perform = ids
        processed = len(ids) - len(ids_to_perform)
        for dossier_id in ids_to_perform:
            if processed and time.monotonic() - began > max_seconds:
                break
            processed += 1
            try:
                with transaction.atomic():  # a savepoint: a refusal undoes this dossier only
                    _apply(job, dossier_id, job.created_by, instructor)
            except Refused as refused:  # a transition's or a message's
                failures.append(
                    BulkFailure(job=job, dossier_id=dossier_id, kind=refused.kind, reason=refused.message)
                )
            except Exception as exc:  # noqa: BLE001 — listed back, never silently skipped
                logger.exception("action groupée %s : dossier %s", job.pk, dossier_id)
                failures.append(
                    BulkFailure(
                        job=job,
                        dossier_id=dossier_id,
                        kind="error",
                        reason=(
                            f"Erreur inattendue ({exc.__class__.__name__}) : le dossier n'a pas été modifié."
                        ),
                    )
                )
            else:
                succeeded += 1
        existing = (
            set(
                BulkFailure.objects.filter(
                    job=job, dossier_id__in=[f.dossier_id for f in failures]
                ).values_list("dossier_id", flat=True)
            )
            if failures
            else set()
        )
        BulkFailure.objects.bulk_create([f for f in failures if f.dossier_id not in existing])
        job.done += processed
        job.succeeded += succeeded
        job.failed += len(failures)
        if job.done >= job.total:
            job.status, job.finished_at = BulkJob.State.FINISHED, clock.now()
        job.save(update_fields=["done", "succeeded", "failed", "status", "finished_at"])
        return job.done < job.total


def run_job(job_id: int, chunk_size: int = DEFAULT_CHUNK, batched: bool = True) -> BulkJob:
    """Run a job to its end (idempotent: resumes after the last committed chunk)."""
    updated = BulkJob.objects.filter(pk=job_id, status=BulkJob.State.QUEUED).update(
        status=BulkJob.State.RUNNING, started_at=clock.now()
    )
    if not updated:
        BulkJob.objects.filter(pk=job_id, status=BulkJob.State.RUNNING, started_at__isnull=True).update(
            started_at=clock.now()
        )
    try:
        while run_chunk(job_id, chunk_size, batched=batched):
            pass
    except Exception as exc:
        BulkJob.objects.filter(pk=job_id).exclude(status=BulkJob.State.FINISHED).update(
            status=BulkJob.State.FAILED,
            error=f"{exc.__class__.__name__} : {exc}"[:2000],
            finished_at=clock.now(),
        )
        raise
    return BulkJob.objects.get(pk=job_id)


def create_job(*, user, action: str, querystring: str, params: dict, dossier_ids: list[int]) -> BulkJob:
    """Record a confirmed job (the selection frozen) and queue its task (outbox)."""
    if _acting_role(user) is None:
        raise TransitionRefused(
            "role", "Les actions groupées sont réservées aux instructeurs et aux administrateurs."
        )
    with transaction.atomic():
        job = BulkJob.objects.create(
            created_by=user,
            action=action,
            querystring=querystring,
            params=params,
            dossier_ids=list(dossier_ids),
            total=len(dossier_ids),
        )
        if not dossier_ids:
            job.status, job.finished_at = BulkJob.State.FINISHED, clock.now()
            job.save(update_fields=["status", "finished_at"])
        else:
            outbox.enqueue("fonds.bulk.tasks.run_bulk_job", job.pk)
    return job
