"""Thin API views: parse, check access (fonds.dossiers.access), call one service."""

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from fonds.accounts.security import LIMITED, UNAVAILABLE, check_limits, count_failed_code, sign_in_completed
from fonds.accounts.throttling import SignInRateThrottle, SignInUnavailable
from fonds.accounts.twofactor import confirmed_device, needs_two_factor
from fonds.audit.models import AuditEvent
from fonds.dossiers import editing, services
from fonds.dossiers.access import can_create, get_visible_or_404, visible_dossiers
from fonds.dossiers.states import Forum, Status
from fonds.eligibilite.gate import check_new_dossier
from fonds.referentiel.models import Campaign, Commune
from fonds.ui.api import ReadOnlyForAuditors

from . import serializers as s


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _refused(detail: str, code: str, status_code: int) -> Response:
    headers = {"Retry-After": "60"} if status_code == status.HTTP_429_TOO_MANY_REQUESTS else None
    return Response({"detail": detail, "code": code}, status=status_code, headers=headers)


class TokenView(APIView):
    """Exchange an email and a password (an agent adds the current TOTP code: otp) for an API token."""

    # Same protections as the site's sign-in: a per-IP throttle (closed while the shared cache is
    # down: 503), the (email, IP) lockout for wrong passwords and wrong codes (django-axes), and the
    # per-account limit on codes (fonds.accounts.security), checked once the password is right.

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "token"
    throttle_classes = [SignInRateThrottle]

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenSerializer})
    def post(self, request):
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # the Django request, so that django-axes marks a lockout where AxesMiddleware sees it
        django_request = request._request
        email, password = data.validated_data["email"].lower(), data.validated_data["password"]
        user = authenticate(django_request, email=email, password=password)
        if user is None or not user.is_active:
            return _refused("Adresse électronique ou mot de passe incorrect.", "invalid_credentials", 400)
        if needs_two_factor(user):
            device = confirmed_device(user)
            code = (data.validated_data.get("otp") or "").strip()
            if device is None:
                return _refused(
                    "Activez d'abord la double authentification en vous connectant au site.",
                    "two_factor_not_enrolled",
                    403,
                )
            if not code:
                return _refused(
                    "Code de double authentification manquant (champ « otp »).", "two_factor_required", 403
                )
            verdict = check_limits(django_request, ip=False, account=user)
            if verdict == UNAVAILABLE:
                raise SignInUnavailable()
            if verdict == LIMITED:
                return _refused(
                    "Trop de codes essayés pour ce compte : réessayez plus tard.", "too_many_codes", 429
                )
            if not device.verify_token(code):
                count_failed_code(django_request, user)  # at the lockout, AxesMiddleware answers 429
                return _refused(
                    "Code de double authentification incorrect (champ « otp »).", "two_factor_required", 403
                )
        sign_in_completed(django_request, user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
            response._has_been_logged = True  # the cache outage is logged once (fonds.cache), not per request
        return response


FILTERS = [
    OpenApiParameter("status", str, enum=Status.values, description="statut"),
    OpenApiParameter("campaign", int, description="identifiant de campagne"),
    OpenApiParameter("commune", str, description="code INSEE"),
]


class DossierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = viewsets.GenericViewSet.permission_classes + [ReadOnlyForAuditors]
    pagination_class = Pagination
    lookup_value_regex = r"\d{1,18}"

    def get_serializer_class(self):
        if self.action == "list":
            return s.DossierListSerializer
        if self.action in ("create", "partial_update"):
            return s.DossierWriteSerializer
        return s.DossierSerializer

    def get_queryset(self):
        qs = visible_dossiers(self.request.user).select_related("commune").order_by("-created_at", "-id")
        if self.action == "list":
            params = self.request.query_params
            errors = {}
            if params.get("status"):
                if params["status"] not in Status.values:
                    errors["status"] = [f"Statut inconnu. Valeurs possibles : {', '.join(Status.values)}."]
                else:
                    qs = qs.filter(status=params["status"])
            if params.get("campaign"):
                if not params["campaign"].isdigit() or len(params["campaign"]) > 18:
                    errors["campaign"] = ["Identifiant de campagne attendu (nombre entier)."]
                else:
                    qs = qs.filter(campaign_id=int(params["campaign"]))
            if params.get("commune"):
                if len(params["commune"]) > 5:
                    errors["commune"] = ["Code INSEE sur 5 caractères attendu."]
                else:
                    qs = qs.filter(commune_id=params["commune"])
            if errors:
                raise ValidationError(errors)
        else:
            qs = qs.prefetch_related("budget_lines")
        return qs

    def get_object(self):
        return get_visible_or_404(self.request.user, self.kwargs["pk"], self.get_queryset())

    @extend_schema(parameters=FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.DossierWriteSerializer, responses={201: s.DossierSerializer})
    def create(self, request):
        if not can_create(request.user):
            raise PermissionDenied("Seul un porteur rattaché à une commune peut créer un dossier.")
        data = s.DossierWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign, fields, lines = data.split()
        check_new_dossier(request.user.commune_id, campaign)  # E7 before the draft: 400, rules ["E7"]
        dossier = editing.create_draft(by=request.user, campaign=campaign, fields=fields, budget_lines=lines)
        data = s.DossierSerializer(dossier, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DossierWriteSerializer, responses={200: s.DossierSerializer})
    def partial_update(self, request, pk=None):
        dossier = self.get_object()
        data = s.DossierWriteSerializer(dossier, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        _, fields, lines = data.split()
        dossier = editing.update_content(dossier, by=request.user, fields=fields, budget_lines=lines)
        return Response(s.DossierSerializer(dossier, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: s.TransitionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        """What this user may do now on the dossier."""
        return Response(services.available_transitions(self.get_object(), request.user))

    @extend_schema(request=s.TransitionRequestSerializer, responses={200: s.DossierSerializer})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request, pk=None, name=None):
        """Fire a transition: 409 wrong status or forum (``forum_…``: decided elsewhere, e.g. in a
        committee sitting), 403 wrong role, 400 failed condition (with rule codes)."""
        dossier = self.get_object()
        services.require_forum(name, Forum.DOSSIER)  # 404 for an unknown transition, 409 elsewhere
        body = s.TransitionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        motivation = data.pop("motivation", "")
        dossier = services.perform(dossier, name, by=request.user, motivation=motivation, data=data)
        return Response(s.DossierSerializer(dossier, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: s.AuditEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def audit(self, request, pk=None):
        """The dossier's audit events, in chain order."""
        dossier = self.get_object()
        events = AuditEvent.objects.filter(
            object_type="dossiers.dossier", object_id=str(dossier.pk)
        ).order_by("seq")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = r"\d{1,18}"
    serializer_class = s.CampaignSerializer
    queryset = Campaign.objects.prefetch_related("rulesets").order_by("-opens_at")
    pagination_class = Pagination


class CommuneViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.CommuneSerializer
    queryset = Commune.objects.all()
    lookup_field = "code"
    lookup_value_regex = r"[0-9AB]{5}"

    def get_object(self):
        return get_object_or_404(Commune, code=self.kwargs["code"])
