"""``GET /api/v1/public/projects/`` and ``/api/v1/public/projects/<reference>/`` — the public
projects as JSON, open data (Licence Ouverte 2.0): no token, the same rows and filters as the
« Projets soutenus » page, paginated, throttled per client address."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, QueryDict
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from fonds.accounts.throttling import AnonRateThrottle

from . import cache, facets, rules
from .forms import FilterForm

LICENCE = "Licence Ouverte / Open Licence version 2.0"


class PublicRateThrottle(AnonRateThrottle):
    """Per client address, signed in or not (``FJJ_PUBLIC_API_RATE``, fails open)."""

    scope = "public"

    def get_rate(self):
        return getattr(settings, "FJJ_PUBLIC_API_RATE", "120/minute")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicPartner(serializers.Serializer):
    name = serializers.CharField()
    country = serializers.CharField(help_text="code ISO 3166-1 alpha-2")
    country_name = serializers.CharField()


class PublicCommune(serializers.Serializer):
    code = serializers.CharField(help_text="code INSEE (COG)")
    name = serializers.CharField()
    departement = serializers.CharField()
    region = serializers.CharField(help_text="code INSEE de la région")
    region_name = serializers.CharField()


class PublicProjectSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="identifiant stable (idSubvention du fichier SCDL)")
    url = serializers.CharField(help_text="la page publique du projet")
    title = serializers.CharField()
    campaign = serializers.CharField(help_text="appel à projets")
    campaign_id = serializers.IntegerField()
    commune = PublicCommune()
    partner = PublicPartner()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    status = serializers.CharField(help_text="« a-venir » (à venir) ou « realise » (réalisé)")
    distance_km = serializers.IntegerField(allow_null=True, help_text="distance aller à vol d'oiseau")
    young_people = serializers.IntegerField(help_text="nombre de jeunes (aucun nom, aucun âge)")
    leaders = serializers.IntegerField(help_text="nombre d'accompagnateurs")
    summary = serializers.CharField(help_text="résumé public écrit par la commune")
    report_paragraph = serializers.CharField(help_text="paragraphe public du bilan, après le voyage")
    amount_awarded = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    amount_paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="une fois le dossier soldé"
    )


def as_json(project: rules.Project) -> dict:
    return {
        "reference": project.reference,
        "url": reverse("public:detail", args=[project.reference]),
        "title": project.title,
        "campaign": project.campaign,
        "campaign_id": project.campaign_id,
        "commune": {
            "code": project.commune_code,
            "name": project.commune,
            "departement": project.departement,
            "region": project.region_code,
            "region_name": project.region,
        },
        "partner": {
            "name": project.partner,
            "country": project.country_code,
            "country_name": project.country,
        },
        "start_date": project.start_date,
        "end_date": project.end_date,
        "status": project.status_key,
        "distance_km": project.distance_km,
        "young_people": project.youth_count,
        "leaders": project.leader_count,
        "summary": project.summary,
        "report_paragraph": project.report_paragraph,
        "amount_awarded": project.amount_awarded,
        "amount_paid": project.amount_paid,
    }


class PublicPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="recherche libre (commune, intitulé, ville partenaire, numéro)"),
    OpenApiParameter("campagne", int, description="identifiant de l'appel à projets"),
    OpenApiParameter("region", str, description="code INSEE de la région"),
    OpenApiParameter("departement", str, description="code du département"),
    OpenApiParameter("pays", str, description="code ISO du pays partenaire"),
    OpenApiParameter(
        "distance", str, enum=list(rules.DISTANCE_BANDS), description="tranche de distance (km)"
    ),
    OpenApiParameter("statut", str, enum=[rules.UPCOMING, rules.DONE]),
]


class PublicView(GenericAPIView):
    authentication_classes: list = []  # open data: no token, no session
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    serializer_class = PublicProjectSerializer


class ProjectList(PublicView):
    pagination_class = PublicPagination

    @extend_schema(
        summary="Projets soutenus (données ouvertes, Licence Ouverte 2.0)",
        parameters=FILTER_PARAMETERS,
        responses=PublicProjectSerializer(many=True),
    )
    def get(self, request):
        params = QueryDict(mutable=True)
        params.update({k: v for k, v in request.query_params.items() if isinstance(v, str)})
        form = FilterForm(params, facets=cache.cached("facets", {}, facets.facets))
        qs = form.filters().apply(rules.public_dossiers()).order_by("-reference")
        page = self.paginate_queryset(qs.values_list("pk", flat=True))
        found = {p.reference: p for p in rules.projects(rules.rows(qs.filter(pk__in=list(page))))}
        ordered = sorted(found.values(), key=lambda p: p.reference, reverse=True)
        response = self.get_paginated_response(
            self.get_serializer([as_json(p) for p in ordered], many=True).data
        )
        response["X-Licence"] = LICENCE
        return response


class ProjectDetail(PublicView):
    @extend_schema(summary="Un projet soutenu", responses=PublicProjectSerializer)
    def get(self, request, reference):
        project = cache.cached("project", {"reference": reference}, lambda: rules.project(reference) or "")
        if not project:
            raise Http404("Projet introuvable.")
        return Response(self.get_serializer(as_json(project)).data, headers={"X-Licence": LICENCE})


app_name = "public-api"
urlpatterns = [
    path("projects/", ProjectList.as_view(), name="projects"),
    path("projects/<str:reference>/", ProjectDetail.as_view(), name="project"),
]
