"""Labels: coloured tags the instructors define per campaign (« à revoir », « priorité
préfecture ») and put on dossiers, one by one or on a whole selection (bulk actions), to filter
the list and the exports (issue 20).

Labels are the fund's own sorting: nothing here is shown to the commune. Their audit events are
therefore about the *label* (``instruction.label``), never about the dossier, whose events the
commune reads (its timeline, ``/api/v1/dossiers/<pk>/audit/``); the payload names the dossier.
Instructors and administrators write, never on a commune they declared a link with; one
transaction and one audit event per change (``attach_many``: one per dossier, one head lock).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain as audit
from fonds.dossiers.access import can_see
from fonds.dossiers.models import Dossier
from fonds.dossiers.services import TransitionRefused

from .guards import conflict_exists, conflict_message, required_text
from .models import DossierLabel, InstructorConflict, Label, LabelColour

WRITE_ROLES = (Role.INSTRUCTEUR, Role.ADMIN)
MAX_NAME = Label._meta.get_field("name").max_length


def acting_role(user) -> str:
    """The role under which ``user`` writes labels; refused for any other role."""
    held = roles_of(user)
    role = next((r for r in WRITE_ROLES if r in held), None)
    if role is None:
        raise TransitionRefused(
            "role", "Les étiquettes sont réservées aux instructeurs et aux administrateurs."
        )
    return role


def _label_event(action: str, label: Label, by, role: str, payload: dict) -> dict:
    return dict(
        action=action,
        actor=by,
        role=role,
        obj=label,
        payload={"campaign": label.campaign_id, "label": label.name, "colour": label.colour, **payload},
    )


def _dossier_event(action: str, label: Label, by, role: str, dossier, job_id: int | None) -> dict:
    """The audit event of ``label`` put on or taken off ``dossier`` (by the bulk job ``job_id``, if any)."""
    payload = {"dossier": dossier.pk, "reference": dossier.reference}
    if job_id is not None:
        payload["bulk_job"] = job_id
    return _label_event(action, label, by, role, payload)


# the refusals, the same for one dossier and for a chunk of a bulk job
def _other_campaign(label: Label) -> str:
    return f"L'étiquette « {label.name} » est celle d'une autre campagne que ce dossier."


def _already_on(label: Label) -> str:
    return f"Le dossier porte déjà l'étiquette « {label.name} »."


def _not_on(label: Label) -> str:
    return f"Le dossier ne porte pas l'étiquette « {label.name} »."


# ---- the labels of a campaign ----------------------------------------------------------------


def create_label(campaign, *, by, name: str, colour: str) -> Label:
    """A new label of ``campaign`` (audited ``label_created``); names are unique per campaign."""
    role = acting_role(by)
    name = required_text(name, "Le nom de l'étiquette", max_length=MAX_NAME)
    if colour not in LabelColour.values:
        raise TransitionRefused("condition", "Choisissez une couleur dans la liste.")
    try:
        with transaction.atomic():
            label = Label.objects.create(campaign=campaign, name=name, colour=colour, created_by=by)
            audit.append(**_label_event("label_created", label, by, role, {}))
    except IntegrityError:
        raise TransitionRefused(
            "conflict", f"L'étiquette « {name} » existe déjà pour la campagne {campaign.name}."
        ) from None
    return label


def labels_of(dossier_ids: Iterable[int]) -> dict[int, list[Label]]:
    """``{dossier id: [labels by name]}`` in one query."""
    found: dict[int, list[Label]] = {}
    links = DossierLabel.objects.filter(dossier_id__in=list(dossier_ids)).select_related("label")
    for link in links.order_by("label__name", "label_id"):
        found.setdefault(link.dossier_id, []).append(link.label)
    return found


# ---- on a dossier ------------------------------------------------------------------------------


def _lock(dossier, by):
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    qs = Dossier.objects.select_for_update().select_related("commune").filter(pk=pk)
    locked = qs.annotate(by_conflicted=conflict_exists(by)).first()
    if locked is None or not can_see(by, locked):
        raise TransitionRefused("not_found", "Dossier introuvable.")
    if locked.by_conflicted:
        raise TransitionRefused("role", conflict_message(locked))
    return locked


def _check_campaign(dossier, label: Label) -> None:
    if label.campaign_id != dossier.campaign_id:
        raise TransitionRefused("condition", _other_campaign(label))


def attach(dossier, label: Label, *, by, job_id: int | None = None) -> DossierLabel:
    """Put ``label`` on ``dossier`` (audited ``label_attached``)."""
    role = acting_role(by)
    with transaction.atomic():
        locked = _lock(dossier, by)
        _check_campaign(locked, label)
        link, created = DossierLabel.objects.get_or_create(
            dossier=locked, label=label, defaults={"added_by": by}
        )
        if not created:
            raise TransitionRefused("status", _already_on(label))
        audit.append(**_dossier_event("label_attached", label, by, role, locked, job_id))
    return link


def detach(dossier, label: Label, *, by, job_id: int | None = None) -> None:
    """Take ``label`` off ``dossier`` (audited ``label_detached``)."""
    role = acting_role(by)
    with transaction.atomic():
        locked = _lock(dossier, by)
        deleted, _ = DossierLabel.objects.filter(dossier=locked, label=label).delete()
        if not deleted:
            raise TransitionRefused("status", _not_on(label))
        audit.append(**_dossier_event("label_detached", label, by, role, locked, job_id))


# ---- on a selection (bulk actions) -----------------------------------------------------------


def change_many(
    ids: list[int], label: Label | None, *, by, attach_it: bool, job_id: int | None = None
) -> tuple[int, list[tuple[int, str, str]]]:
    """``attach`` (or ``detach``) for a chunk of a bulk job: the same checks and one audit event
    per dossier, but one read of the chunk, one write and ONE ``append_many``. Returns
    ``(succeeded, [(dossier_id, kind, French reason)])``. Runs inside the chunk's transaction."""
    try:
        role = acting_role(by)
    except TransitionRefused as refused:
        return 0, [(pk, refused.kind, refused.message) for pk in ids]
    if label is None:
        return 0, [(pk, "not_found", "Cette étiquette n'existe plus.") for pk in ids]
    rows = {
        d.pk: d
        for d in Dossier.objects.select_for_update()
        .select_related("commune")
        .filter(pk__in=ids)
        .only("pk", "reference", "campaign_id", "commune_id", "commune__name")
    }
    conflicts = set(
        InstructorConflict.objects.filter(
            user=by, commune_id__in={d.commune_id for d in rows.values()}
        ).values_list("commune_id", flat=True)
    )
    present = set(
        DossierLabel.objects.filter(label=label, dossier_id__in=ids).values_list("dossier_id", flat=True)
    )
    ok, failures, entries = [], [], []
    for pk in ids:
        d = rows.get(pk)
        if d is None or not can_see(by, d):
            failures.append((pk, "not_found", "Dossier introuvable."))
        elif d.commune_id in conflicts:
            failures.append((pk, "role", conflict_message(d)))
        elif attach_it and d.campaign_id != label.campaign_id:
            failures.append((pk, "condition", _other_campaign(label)))
        elif attach_it and pk in present:
            failures.append((pk, "status", _already_on(label)))
        elif not attach_it and pk not in present:
            failures.append((pk, "status", _not_on(label)))
        else:
            ok.append(pk)
            action = "label_attached" if attach_it else "label_detached"
            entries.append(_dossier_event(action, label, by, role, d, job_id))
    if ok:
        if attach_it:
            DossierLabel.objects.bulk_create(
                [DossierLabel(dossier_id=pk, label=label, added_by=by) for pk in ok]
            )
        else:
            DossierLabel.objects.filter(label=label, dossier_id__in=ok).delete()
        audit.append_many(entries)
    return len(ok), failures
