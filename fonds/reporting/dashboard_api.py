"""``GET /api/v1/dashboard/[?campaign=ID]`` — the dashboard's figures (auditors, administrators;
token or session). Same figures as the « Contrôle » page, from the same cache."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from fonds.referentiel.models import Campaign

from . import dashboard
from .api import IsAuditorOrAdmin, _int_param


def _money(**kw):
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kw)


def _pct():
    return serializers.DecimalField(max_digits=20, decimal_places=1, allow_null=True)


class DashboardStatusRow(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = _pct()


class DashboardStatuses(serializers.Serializer):
    total = serializers.IntegerField()
    rows = DashboardStatusRow(many=True)


class DashboardAmountFigures(serializers.Serializer):
    dossiers = serializers.IntegerField(help_text="dossiers déposés")
    requested = _money(help_text="montant demandé (dossiers déposés)")
    proposed = _money(help_text="montant proposé (dossiers déposés)")
    approved = _money(help_text="montant accordé (dossiers qui engagent l'enveloppe)")
    paid = _money(help_text="avances et soldes payés")
    recovered = _money(help_text="reversements encaissés")


class DashboardRegionAmounts(DashboardAmountFigures):
    region = serializers.CharField(help_text="code INSEE de la région")
    region_name = serializers.CharField()


class DashboardDepartementAmounts(DashboardRegionAmounts):
    departement = serializers.CharField()


class DashboardAmounts(serializers.Serializer):
    regions = DashboardRegionAmounts(many=True)
    departements = DashboardDepartementAmounts(many=True)
    total = DashboardAmountFigures()


class DashboardRate(serializers.Serializer):
    approved = serializers.IntegerField(help_text="accordés (y compris devenus caducs)")
    rejected = serializers.IntegerField()
    waitlisted = serializers.IntegerField()
    decided = serializers.IntegerField(
        help_text="décidés par le comité : accordés + refusés + liste complémentaire"
    )
    rate = _pct()


class DashboardStageRow(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    dossiers = serializers.IntegerField(help_text="dossiers passés par les deux étapes")
    median_days = serializers.DecimalField(max_digits=20, decimal_places=1, allow_null=True)


class DashboardStages(serializers.Serializer):
    rows = DashboardStageRow(many=True)


class DashboardEnvelopeRow(serializers.Serializer):
    campaign = serializers.IntegerField()
    name = serializers.CharField()
    year = serializers.IntegerField()
    envelope = _money()
    committed = _money()
    left = _money()
    percent = _pct()


class DashboardEnvelopes(serializers.Serializer):
    rows = DashboardEnvelopeRow(many=True)


def _days():
    return serializers.DecimalField(max_digits=20, decimal_places=1, allow_null=True)


class DashboardProcessingRow(serializers.Serializer):
    measure = serializers.CharField(help_text="étape (instruction, comite, avance, solde) ou decision, total")
    label = serializers.CharField()
    dossiers = serializers.IntegerField(help_text="dossiers sortis de l'étape")
    median = _days()
    p90 = _days()


class DashboardProcessingCampaign(serializers.Serializer):
    campaign = serializers.IntegerField()
    name = serializers.CharField()
    rows = DashboardProcessingRow(many=True)


class DashboardProcessingTeam(serializers.Serializer):
    team = serializers.CharField(help_text="département de la commune (le fonds n'a pas d'équipes)")
    rows = DashboardProcessingRow(many=True)


class DashboardProcessing(serializers.Serializer):
    working_days = serializers.BooleanField()
    unit = serializers.CharField()
    overall = DashboardProcessingRow(many=True)
    campaigns = DashboardProcessingCampaign(many=True)
    teams = DashboardProcessingTeam(many=True)


class Dashboard(serializers.Serializer):
    campaign = serializers.IntegerField(allow_null=True)
    statuses = DashboardStatuses()
    amounts = DashboardAmounts()
    rate = DashboardRate()
    stages = DashboardStages()
    envelopes = DashboardEnvelopes()
    processing = DashboardProcessing(
        help_text="délais du fonds hors attente de la commune : médianes et 90e centiles, en jours"
    )


class DashboardView(APIView):
    permission_classes = [IsAuthenticated, IsAuditorOrAdmin]

    @extend_schema(
        summary=(
            "Tableau de bord : statuts, montants par région et département, taux d'approbation, "
            "délais médians, enveloppes, délais de traitement hors attente de la commune"
        ),
        parameters=[
            OpenApiParameter("campaign", int, description="identifiant de campagne (toutes par défaut)")
        ],
        responses={200: Dashboard},
    )
    def get(self, request):
        campaign_id = _int_param(request, "campaign", low=1)
        if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id).exists():
            raise ValidationError({"campaign": ["Campagne introuvable."]})
        data = {"campaign": campaign_id, **dashboard.all_figures(campaign_id)}
        return Response(Dashboard(data).data)


urlpatterns = [path("", DashboardView.as_view(), name="api-dashboard")]
