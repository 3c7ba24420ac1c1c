"""Changes of the front office after submission that are not transitions: the final report draft.

``save_report_draft`` is the one path that writes a ``FinalReport``: one transaction, the dossier
and the report locked, the porteur's right checked, fields, lines and signed participant list
saved, one ``final_report_saved`` audit event with the changes and the report's content hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from fonds import clock
from fonds.accounts.roles import Role, roles_of
from fonds.audit import chain as audit
from fonds.audit.canonical import canonical
from fonds.dossiers.documents import check_pdf, check_size, safe_name, sniff
from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from fonds.privacy.services import MINORS_FIELDS, protect  # minors' ages sealed in the trail

from .models import EXPENSE_CATEGORIES, INCOME_CATEGORIES, FinalReport, FinalReportLine
from .report_dates import actual_dates_errors

REPORT_FIELDS = (
    "start_date",
    "end_date",
    "youth_ages",
    "leader_ages",
    "nights",
    "nights_hosted",
    "activity_report",
)
MAX_AGES = 500


def can_file_report(user, dossier) -> bool:
    """Only the porteur of the dossier's commune, and only while the advance is paid."""
    return (
        Role.PORTEUR in roles_of(user)
        and user.commune_id is not None
        and user.commune_id == dossier.commune_id
        and dossier.status == Status.ADVANCE_PAID
    )


def _json(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def report_content(report: FinalReport, lines=None) -> dict:
    """Everything the report states, JSON-safe (the text hashed as the report's content)."""
    lines = list(report.lines.all()) if lines is None else lines
    return {
        "fields": {name: _json(getattr(report, name)) for name in REPORT_FIELDS},
        "lines": [
            {
                "kind": line.kind,
                "category": line.category,
                "label": line.label,
                "amount": format(Decimal(line.amount), "f"),
                "eligible": bool(line.eligible),
            }
            for line in sorted(
                lines,
                key=lambda line: (
                    line.kind,
                    line.category,
                    line.label,
                    Decimal(line.amount),
                    not line.eligible,
                ),
            )
        ],
        "participant_list_sha256": report.participant_list_sha256,
    }


def report_sha256(report: FinalReport, lines=None) -> str:
    return hashlib.sha256(canonical(report_content(report, lines)).encode("utf-8")).hexdigest()


def planned_report(dossier) -> tuple[dict, list[dict]]:
    """``(fields, lines)`` of a report repeating the dossier's planned figures: the first draft
    the mayor adjusts (and what scripts such as seed_demo file). No activity report."""
    fields = {
        "start_date": dossier.start_date,
        "end_date": dossier.end_date,
        "youth_ages": list(dossier.youth_ages or []),
        "leader_ages": list(dossier.leader_ages or []),
        "nights": dossier.nights or 0,
        "nights_hosted": dossier.nights_hosted or 0,
    }
    lines = [
        {
            "kind": line.kind,
            "category": line.category,
            "label": line.label,
            "amount": Decimal(line.amount),
            "eligible": bool(line.eligible) if line.kind == "expense" else False,
        }
        for line in dossier.budget_lines.all()
        if line.category in (EXPENSE_CATEGORIES if line.kind == "expense" else INCOME_CATEGORIES)
    ]
    return fields, lines


def report_missing(report: FinalReport | None) -> list[str]:
    """What a report still lacks before it can be submitted (plain French), [] when complete."""
    if report is None:
        return ["le rapport final n'a pas encore été rempli"]
    missing = []
    if not report.start_date or not report.end_date:
        missing.append("les dates effectives du projet (premier et dernier jour)")
    if not report.youth_ages:
        missing.append("les âges des jeunes participants")
    if not report.leader_ages:
        missing.append("les âges des accompagnateurs")
    lines = list(report.lines.all())
    if not any(line.kind == "expense" for line in lines):
        missing.append("au moins une dépense réelle")
    if not (report.activity_report or "").strip():
        missing.append("le compte rendu d'activité")
    if not report.participant_list_sha256:
        missing.append("la liste des participants signée (PDF)")
    return missing


def _validate(report: FinalReport, lines: list[dict] | None) -> None:
    errors = actual_dates_errors(report.start_date, report.end_date)  # first ≤ last, none in the future
    if report.nights_hosted > report.nights:
        errors["nights_hosted"] = "Les nuitées en familles ne peuvent dépasser le nombre total de nuitées."
    for name in ("youth_ages", "leader_ages"):
        ages = getattr(report, name)
        if not isinstance(ages, list) or any(
            isinstance(a, bool) or not isinstance(a, int) or not 0 <= a <= 120 for a in ages
        ):
            errors[name] = "Indiquez une liste d'âges en années (nombres entiers de 0 à 120)."
        elif len(ages) > MAX_AGES:
            errors[name] = f"{MAX_AGES} participants au plus."
    if len(report.activity_report or "") > 10000:
        errors["activity_report"] = "Le compte rendu est limité à 10 000 caractères."
    for line in lines or []:
        allowed = (
            EXPENSE_CATEGORIES
            if line.get("kind") == "expense"
            else INCOME_CATEGORIES
            if line.get("kind") == "income"
            else []
        )
        if line.get("category") not in allowed:
            errors["lines"] = "Catégorie de dépense ou de recette inconnue."
        amount = line.get("amount")
        if (
            not isinstance(amount, Decimal)
            or not amount.is_finite()
            or amount < 0
            or amount.as_tuple().exponent < -2
            or amount >= Decimal("100000000")
        ):
            errors["lines"] = "Chaque montant doit être un nombre positif avec au plus deux décimales."
    if errors:
        raise ValidationError(errors)


def check_participant_list(dossier, name: str, data: bytes) -> str:
    """Refuse (French ValidationError) anything but a readable, unencrypted PDF within the size
    limit of the campaign; return its SHA-256. Same checks as every upload (by content)."""
    limits = dossier.rules.params["uploads"]
    check_size(data, limits)
    kind = sniff(data[:16])
    if kind is None or kind.content_type != "application/pdf":
        raise ValidationError(
            "La liste des participants signée doit être un fichier PDF (le contenu du fichier n'est "
            "pas un PDF)."
        )
    check_pdf(data)
    return hashlib.sha256(data).hexdigest()


def save_report_draft(
    dossier: Dossier,
    *,
    by,
    fields: dict,
    lines: list[dict] | None = None,
    participant_list: tuple[str, bytes] | None = None,
) -> FinalReport:
    """Save the final report draft of ``dossier`` as ``by``; one audit event per save.

    ``fields``: a subset of ``REPORT_FIELDS``; ``lines``: the complete list of actual lines
    (``kind``, ``category``, ``label``, ``amount`` as Decimal, ``eligible``) replacing the stored
    ones, or None to keep them; ``participant_list``: ``(original name, bytes)`` of the signed
    list, replacing the previous one, or None.
    """
    unknown = set(fields) - set(REPORT_FIELDS)
    if unknown:
        raise ValueError(f"champs non modifiables : {', '.join(sorted(unknown))}")
    digest = (
        check_participant_list(dossier, participant_list[0], participant_list[1])
        if participant_list
        else None
    )
    storage = FinalReport._meta.get_field("participant_list").storage
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().select_related("campaign").get(pk=dossier.pk)
            if not can_file_report(by, locked):
                raise PermissionDenied(
                    "Le rapport final ne peut être rempli que par la commune, une fois l'avance versée."
                )
            report, created = FinalReport.objects.select_for_update().get_or_create(dossier=locked)
            if report.submitted_at is not None:
                raise PermissionDenied("Le rapport final a déjà été déposé : il n'est plus modifiable.")
            changed = {}
            for name, value in fields.items():
                if getattr(report, name) != value:
                    setattr(report, name, value)
                    changed[name] = protect(locked, value) if name in MINORS_FIELDS else _json(value)
            _validate(report, lines)
            payload = {"reference": locked.reference, "report": None, "created": created, "fields": changed}
            new_lines = None
            if lines is not None:
                report.lines.all().delete()
                new_lines = [FinalReportLine(report=report, **line) for line in lines]
                payload["lines"] = [{k: _json(v) for k, v in line.items()} for line in lines]
            old_path = None
            if participant_list:
                previous = (
                    {"sha256": report.participant_list_sha256} if report.participant_list_sha256 else None
                )
                old_path = report.participant_list.name or None
                report.participant_list.save(
                    safe_name(participant_list[0], "pdf"), ContentFile(participant_list[1]), save=False
                )
                stored.append(report.participant_list.name)
                report.participant_list_name = (participant_list[0] or "")[:200]
                report.participant_list_size = len(participant_list[1])
                report.participant_list_sha256 = digest
                payload["participant_list"] = {
                    "name": report.participant_list_name,
                    "size": report.participant_list_size,
                    "sha256": digest,
                    "replaces": previous,
                }
            report.updated_at = clock.now()
            report.updated_by = by
            report.save()
            if new_lines is not None:
                FinalReportLine.objects.bulk_create(new_lines)
            payload["report"] = report.pk
            payload["content_sha256"] = report_sha256(report)
            audit.append("final_report_saved", actor=by, role=Role.PORTEUR, obj=locked, payload=payload)
            if old_path:  # the replaced list (minors' names) is not kept; its hash stays in the trail
                transaction.on_commit(lambda: storage.delete(old_path))
    except BaseException:
        for path in stored:  # nothing half-stored
            storage.delete(path)
        raise
    return report
