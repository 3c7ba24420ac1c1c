"""API of the « Contrôle » (auditors and administrators, token or session): ``decisions/`` (paged
rows), ``exports/`` (launch → 202, progress, download), ``audit-trail/`` (paged by sequence) and
``audit-trail/export/`` (JSON Lines, streamed). Auditors may launch exports: no dossier changes,
the audit trail records who exported what."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from fonds.accounts.roles import Role, roles_of
from fonds.audit.models import AuditEvent
from fonds.dossiers.models import Dossier
from fonds.instruction.models import SavedFilter
from fonds.referentiel.models import Campaign
from fonds.ui.api import SafePrimaryKeyRelatedField, StrictSerializer

from . import audit_export, decisions, exports
from .models import ExportJob
from .views import job_status_data

MAX_PAGE = 500
MAX_EVENTS = 1000


class IsAuditorOrAdmin(BasePermission):
    message = "Réservé aux auditeurs et aux administrateurs."

    def has_permission(self, request, view):
        return bool(roles_of(request.user) & {Role.AUDITEUR, Role.ADMIN})


def _int_param(
    request, name: str, default: int | None = None, *, low: int = 0, high: int = 2**62
) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or len(raw) > 18 or not low <= int(raw) <= high:
        raise ValidationError({name: [f"Nombre entier attendu, entre {low} et {high}."]})
    return int(raw)


def _json_value(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    format = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField()
    percent = serializers.IntegerField()
    finished = serializers.BooleanField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    error = serializers.CharField()
    download_url = serializers.CharField(required=False)


class ExportRequestSerializer(StrictSerializer):
    format = serializers.ChoiceField(choices=ExportJob.Format.values)
    campaign = SafePrimaryKeyRelatedField(queryset=Campaign.objects.all(), required=False, allow_null=True)
    saved_filter = SafePrimaryKeyRelatedField(
        queryset=SavedFilter.objects.all(), required=False, allow_null=True
    )
    semicolon = serializers.BooleanField(required=False, default=False)


class DecisionsView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(
        summary="Décisions : une ligne par dossier déposé (colonnes de l'export)",
        parameters=[
            OpenApiParameter("campaign", int, description="identifiant de campagne"),
            OpenApiParameter("page", int, description="page (1 par défaut)"),
            OpenApiParameter("page_size", int, description=f"lignes par page (au plus {MAX_PAGE})"),
        ],
        responses={
            200: inline_serializer(
                "DecisionPage",
                {
                    "count": serializers.IntegerField(),
                    "page": serializers.IntegerField(),
                    "next": serializers.IntegerField(allow_null=True),
                    "columns": serializers.ListField(child=serializers.DictField()),
                    "results": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def get(self, request):
        campaign = None
        campaign_id = _int_param(request, "campaign", low=1)
        if campaign_id is not None:
            campaign = Campaign.objects.filter(pk=campaign_id).first()
            if campaign is None:
                raise ValidationError({"campaign": ["Campagne introuvable."]})
        page = _int_param(request, "page", 1, low=1, high=10**9)
        size = _int_param(request, "page_size", 100, low=1, high=MAX_PAGE)
        qs, _ = exports.selection(user=request.user, campaign=campaign)
        total = qs.count()
        cols = decisions.columns(qs)
        start = (page - 1) * size
        window = Dossier.objects.filter(
            pk__in=list(qs.values_list("pk", flat=True)[start : start + size])
        ).order_by("pk")
        keys = [c.key for c in cols]
        results = [
            {k: _json_value(v) for k, v in zip(keys, row)} for row in decisions.iter_rows(window, cols)
        ]
        return Response(
            {
                "count": total,
                "page": page,
                "next": page + 1 if start + size < total else None,
                "columns": [{"key": c.key, "label": c.label, "type": c.kind} for c in cols],
                "results": results,
            }
        )


class ExportsView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(
        summary="Lancer un export (tâche Celery)",
        request=ExportRequestSerializer,
        responses={202: JobSerializer},
    )
    def post(self, request):
        data = ExportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = exports.create_job(
                request.user,
                data.validated_data["format"],
                campaign=data.validated_data.get("campaign"),
                saved_filter=data.validated_data.get("saved_filter"),
                semicolon=data.validated_data.get("semicolon", False),
            )
        except DjangoValidationError as exc:
            raise ValidationError({"saved_filter": exc.messages}) from exc
        job.refresh_from_db()
        return Response(_job_payload(request, job), status=status.HTTP_202_ACCEPTED)


def _job_payload(request, job: ExportJob) -> dict:

    data = job_status_data(job)
    if job.state == ExportJob.State.DONE:
        data["download_url"] = request.build_absolute_uri(reverse("api-export-download", args=[job.pk]))
    return data


def _job_for(request, pk) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk).first() if 0 < int(pk) < 2**62 else None
    if job is None or (job.user_id != request.user.pk and Role.ADMIN not in roles_of(request.user)):
        raise NotFound("Export introuvable.")
    return job


def _not_ready(request, job: ExportJob) -> Response:
    """409 for a file that is not there yet: where the export stands and where to follow it (a 404
    would tell the client the export does not exist)."""
    status_url = request.build_absolute_uri(reverse("api-export", args=[job.pk]))
    if job.state == ExportJob.State.FAILED:
        detail, code = (
            "L'export a échoué : lancez-en un nouveau ; l'incident est enregistré.",
            "export_failed",
        )
    else:
        detail, code = f"L'export est en préparation ({job.percent} %) : suivez sa progression.", "not_ready"
    response = Response(
        {"detail": detail, "code": code, "status_url": status_url, "job": job_status_data(job)},
        status=status.HTTP_409_CONFLICT,
    )
    if code == "not_ready":
        response["Retry-After"] = "5"
    return response


class ExportDetailView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(summary="Progression d'un export", responses={200: JobSerializer})
    def get(self, request, pk):
        return Response(_job_payload(request, _job_for(request, pk)))


class ExportDownloadView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(
        summary="Fichier d'un export terminé",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="introuvable"),
            409: OpenApiResponse(description="en préparation (Retry-After, status_url) ou en échec"),
        },
    )
    def get(self, request, pk):
        job = _job_for(request, pk)
        if job.state != ExportJob.State.DONE or not job.file:
            return _not_ready(request, job)
        return FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=f"export-{job.pk}.{exports.EXTENSIONS[job.format]}",
            content_type=exports.CONTENT_TYPES[job.format],
        )


class AuditTrailView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(
        summary="Piste d'audit, page par page (par numéro de séquence)",
        parameters=[
            OpenApiParameter(
                "after", int, description="numéro de séquence après lequel commencer (0 par défaut)"
            ),
            OpenApiParameter("limit", int, description=f"événements par page (au plus {MAX_EVENTS})"),
            OpenApiParameter("dossier", int, description="seulement les événements de ce dossier"),
        ],
        responses={
            200: inline_serializer(
                "AuditPage",
                {
                    "head_seq": serializers.IntegerField(),
                    "head_hash": serializers.CharField(),
                    "next_after": serializers.IntegerField(allow_null=True),
                    "events": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def get(self, request):
        after = _int_param(request, "after", 0)
        limit = _int_param(request, "limit", 100, low=1, high=MAX_EVENTS)
        dossier = _int_param(request, "dossier", low=1)
        head_seq, head_hash = audit_export.head()
        qs = AuditEvent.objects.filter(seq__gt=after, seq__lte=head_seq).order_by("seq")
        if dossier is not None:
            qs = qs.filter(object_type=audit_export.DOSSIER_OBJECT_TYPE, object_id=str(dossier))
        rows = list(qs.values_list("seq", "canonical", "prev_hash", "hash")[:limit])
        events = []
        for _seq, canonical, prev_hash, digest in rows:
            data = json.loads(canonical)
            data.update(canonical=canonical, prev_hash=prev_hash, hash=digest)
            events.append(data)
        return Response(
            {
                "head_seq": head_seq,
                "head_hash": head_hash,
                "next_after": rows[-1][0] if len(rows) == limit else None,
                "events": events,
            }
        )


class AuditExportView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(
        summary="Export JSON Lines de la piste d'audit (vérifiable par scripts/verify_audit_export.py)",
        parameters=[OpenApiParameter("dossier", int, description="seulement ce dossier")],
        responses={(200, "application/x-ndjson"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        dossier = _int_param(request, "dossier", low=1)
        if dossier is not None and not Dossier.objects.filter(pk=dossier).exists():
            raise NotFound("Dossier introuvable.")
        response = StreamingHttpResponse(
            exports.stream_audit_export(request.user, dossier), content_type=exports.CONTENT_TYPES["jsonl"]
        )
        response["Content-Disposition"] = 'attachment; filename="piste-audit.jsonl"'
        return response
