"""``GET /api/v1/communes/<code>/history/`` — the commune's history with the fund (auditors,
administrators; token or session): every submitted dossier across campaigns, its status, the
amounts approved, paid and recovered, overdue final reports. The same reading as the instruction
page's panel (``fonds.instruction.commune_history``), in two queries."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from fonds.instruction.commune_history import commune_history
from fonds.referentiel.models import Commune

from .api import IsAuditorOrAdmin

CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def _money(**kw):
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kw)


class CommuneHistoryRow(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reference = serializers.CharField()
    campaign = serializers.CharField(help_text="nom de la campagne")
    year = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    status = serializers.CharField(help_text="code du statut")
    status_label = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    approved = _money(allow_null=True, help_text="montant accordé")
    paid = _money(help_text="avances et soldes payés")
    recovered = _money(help_text="reversements encaissés")
    report_due = serializers.DateField(allow_null=True, help_text="rapport final attendu avant le")
    report_overdue = serializers.BooleanField(help_text="avance versée et échéance du rapport final passée")
    days_overdue = serializers.IntegerField(allow_null=True)


class CommuneHistoryTotals(serializers.Serializer):
    dossiers = serializers.IntegerField()
    approved = _money()
    paid = _money()
    recovered = _money()
    overdue_reports = serializers.IntegerField()


class CommuneHistorySerializer(serializers.Serializer):
    commune = serializers.CharField(help_text="code INSEE")
    name = serializers.CharField()
    totals = CommuneHistoryTotals()
    dossiers = CommuneHistoryRow(many=True)


class CommuneHistoryView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(
        summary="Historique d'une commune : dossiers de toutes campagnes, montants, rapports en retard",
        parameters=[
            OpenApiParameter("code", str, OpenApiParameter.PATH, description="code INSEE de la commune")
        ],
        responses={200: CommuneHistorySerializer},
    )
    def get(self, request, code: str):
        code = code.upper()
        commune = Commune.objects.filter(code=code).only("code", "name").first() if CODE.match(code) else None
        if commune is None:
            raise NotFound("Commune introuvable.")
        history = commune_history(commune.code)
        data = {
            "commune": commune.code,
            "name": commune.name,
            "totals": history.totals,
            "dossiers": history.rows,
        }
        return Response(CommuneHistorySerializer(data).data)
