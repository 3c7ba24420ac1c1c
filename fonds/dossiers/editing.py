"""Creating and editing a dossier's content (not its status): one transaction, one audit event."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from fonds.audit import chain as audit

from .access import can_create, can_edit
from .models import BudgetLine, Dossier

#: the content fields a porteur may write
EDITABLE_FIELDS = (
    "jumelage",
    "title",
    "summary",
    "objectives",
    "start_date",
    "end_date",
    "activity_days",
    "youth_ages",
    "leader_ages",
    "youth_fewer_opportunities",
    "youth_first_travel",
    "travel_mode",
    "low_carbon",
    "distance_km",
    "nights",
    "nights_hosted",
    "requested_amount",
)


def _audit_value(value):
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return str(value)
    return value


#: field name → ``seal(dossier, value)``: what the trail records instead of the value. Filled by
#: the stages from their ``AppConfig.ready()`` (minors' ages: ``fonds.privacy``).
SEALED_FIELDS: dict[str, Callable] = {}


def seal_fields(names, seal: Callable) -> None:
    """Have the audit trail record ``seal(dossier, value)`` for the fields ``names`` (idempotent)."""
    for name in names:
        SEALED_FIELDS[name] = seal


def _trace(dossier, name, value):
    """What the audit trail records for a field: the value, or its seal (see ``seal_fields``)."""
    seal = SEALED_FIELDS.get(name)
    return seal(dossier, value) if seal is not None else _audit_value(value)


def _write_budget(dossier, lines) -> list[dict]:
    dossier.budget_lines.all().delete()
    objs = [BudgetLine(dossier=dossier, **line) for line in lines]
    BudgetLine.objects.bulk_create(objs)
    return [{k: _audit_value(v) for k, v in line.items()} for line in lines]


def create_draft(*, by, campaign, fields: dict, budget_lines: list[dict] | None = None) -> Dossier:
    if not can_create(by):
        raise PermissionDenied("Seul un porteur rattaché à une commune peut créer un dossier.")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"champs non modifiables : {', '.join(sorted(unknown))}")
    with transaction.atomic():
        dossier = Dossier(campaign=campaign, commune_id=by.commune_id, created_by=by, **fields)
        dossier.full_clean(exclude=["reference", "status"])
        dossier.save()
        payload = {
            "reference": dossier.reference,
            "fields": {k: _trace(dossier, k, v) for k, v in fields.items()},
        }
        if budget_lines is not None:
            payload["budget_lines"] = _write_budget(dossier, budget_lines)
        audit.append("create_draft", actor=by, role="porteur", obj=dossier, payload=payload)
    return dossier


def update_content(dossier: Dossier, *, by, fields: dict, budget_lines: list[dict] | None = None) -> Dossier:
    """Apply ``fields`` (and replace the budget when given) if the porteur may edit it now."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"champs non modifiables : {', '.join(sorted(unknown))}")
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        if not can_edit(by, locked):
            raise PermissionDenied("Ce dossier n'est pas modifiable dans son état actuel.")
        changed = {}
        for name, value in fields.items():
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed[name] = _trace(locked, name, value)
        locked.full_clean(exclude=["reference", "status"])
        payload = {"reference": locked.reference, "fields": changed}
        if budget_lines is not None:
            payload["budget_lines"] = _write_budget(locked, budget_lines)
        if changed or budget_lines is not None:
            locked.save()
            audit.append("update_content", actor=by, role="porteur", obj=locked, payload=payload)
    return locked


#: the budget's code in a correction request's ``fields``
BUDGET = "budget_lines"


def content_snapshot(dossier, *, fields=(), documents=()) -> dict:
    """The named items of ``dossier`` as the audit trail records them (sealed fields sealed): a
    correction request keeps the one taken when asked, the answer's diff compares it with now."""
    out: dict = {"fields": {}, "documents": {}}
    for name in fields:
        if name in EDITABLE_FIELDS:
            value = _trace(dossier, name, getattr(dossier, Dossier._meta.get_field(name).attname))
            out["fields"][name] = value.isoformat() if hasattr(value, "isoformat") else value
        elif name in (BUDGET, "budget"):
            lines = dossier.budget_lines.order_by("kind", "id").values("kind", "category", "label", "amount")
            out["fields"][name] = [{k: _audit_value(v) for k, v in line.items()} for line in lines]
    if documents:
        current = dossier.documents.filter(replaced_by__isnull=True, kind__in=list(documents))
        found = {
            d.kind: {"name": d.original_name, "sha256": d.sha256} for d in current.order_by("uploaded_at")
        }
        out["documents"] = {kind: found.get(kind) for kind in documents}
    return out
