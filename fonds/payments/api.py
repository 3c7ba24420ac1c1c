"""Payments API (``/api/v1/payments/``): thin views over the payment services.

Finance, admin, auditors and instructors see every order and batch; a porteur sees its own
commune's orders and bank details (others are 404), never a batch. The services decide who may act
(403 ``role``); auditors are read-only. Refusals: ``{"detail": "<French>", "code": ...}``; a step
whose date has not come is a 409 ``too_early``. Routes: ``urlpatterns`` below.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from fonds.accounts.roles import Role, roles_of, sees_all_dossiers
from fonds.dossiers.access import get_visible_or_404
from fonds.links import under
from fonds.ui.api import ReadOnlyForAuditors

from .api_serializers import (
    BankDetailsSerializer,
    BankDetailsWrite,
    BatchListSerializer,
    BatchSerializer,
    BuildBody,
    EmptyBody,
    MotivationBody,
    OrderSerializer,
    ReturnBody,
    SettlementSerializer,
    TextBody,
    request_body,
)
from .bank import bank_details_for, certify_bank_details, reject_bank_details, set_bank_details
from .batches import batch_file_name, build_batch, cancel_batch, export_batch
from .execution import mark_batch_sent, record_execution, record_return
from .models import Batch, PaymentOrder
from .orders import cancel_order, reissue_order
from .recovery import answer_recovery, make_recovery_final, record_recovery_received, write_off_recovery
from .settlement import accept_final_report

# ---- visibility ---------------------------------------------------------------------------------


def visible_orders(user):
    qs = PaymentOrder.objects.select_related("dossier")
    if sees_all_dossiers(user):
        return qs
    if Role.PORTEUR in roles_of(user) and user.commune_id:
        return qs.filter(dossier__commune_id=user.commune_id)
    return qs.none()


def _order(user, pk) -> PaymentOrder:
    try:
        return visible_orders(user).get(pk=int(pk))
    except (PaymentOrder.DoesNotExist, ValueError, OverflowError):
        raise NotFound("Ordre de paiement introuvable.") from None


def _batch(user, pk) -> Batch:
    if not sees_all_dossiers(user):
        raise NotFound("Lot introuvable.")
    try:
        return Batch.objects.get(pk=int(pk))
    except (Batch.DoesNotExist, ValueError, OverflowError):
        raise NotFound("Lot introuvable.") from None


def _commune_allowed(user, code: str) -> None:
    if sees_all_dossiers(user):
        return
    if not (Role.PORTEUR in roles_of(user) and user.commune_id == code):
        raise NotFound("Commune introuvable.")


def _run_action(actions: dict, name: str, request, find, pk):
    """``(obj, result)`` of the action ``name`` of ``actions`` (``{name: (body class, run(obj, by,
    data))}``) on ``obj = find(user, pk)``; an unknown action is a 404 before any lookup."""
    if name not in actions:
        raise NotFound("Action inconnue.")
    body_class, run = actions[name]
    obj = find(request.user, pk)
    data = request_body(body_class, request)
    return obj, run(obj, request.user, data)


class _Base(APIView):
    permission_classes = [IsAuthenticated, ReadOnlyForAuditors]


#: documented refusals (``fonds/api/errors.py`` shape: ``{"detail", "code"}``)
_REFUSALS = {
    400: OpenApiResponse(description="Données refusées (message en français, codes des règles)."),
    403: OpenApiResponse(description="Rôle non autorisé (les auditeurs ne modifient rien)."),
    404: OpenApiResponse(description="Introuvable ou non visible pour cet utilisateur."),
    409: OpenApiResponse(
        description=(
            "État incompatible avec l'action, ou date pas encore venue (code `too_early` : reversement "
            "rendu exécutoire avant la réponse du maire ou la fin du délai, lot enregistré exécuté avant sa "
            "date d'exécution demandée, rapport final validé avant la fin du projet)."
        )
    ),
}
_READ_REFUSALS = {404: _REFUSALS[404]}


def _action_schema(operation_id: str, actions: dict, about: str, request, serializer, body: str):
    """The OpenAPI description of a ``POST …/<name>/`` view running one of ``actions`` (the body
    depends on the action)."""
    return extend_schema(
        operation_id=operation_id,
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(actions), description=about)
        ],
        request=request,
        responses={200: serializer, **_REFUSALS},
        description=f"Corps selon l'action : {body}.",
    )


# ---- views --------------------------------------------------------------------------------------


class BankDetailsView(_Base):
    @extend_schema(
        operation_id="payments_bank_details_retrieve",
        responses={200: BankDetailsSerializer, **_READ_REFUSALS},
    )
    def get(self, request, commune):
        _commune_allowed(request.user, commune)
        bank = bank_details_for(commune)
        if bank is None:
            raise NotFound("Aucune coordonnée bancaire enregistrée pour cette commune.")
        return Response(BankDetailsSerializer(bank).data)

    @extend_schema(
        operation_id="payments_bank_details_update",
        request=BankDetailsWrite,
        responses={200: BankDetailsSerializer, **_REFUSALS},
    )
    def put(self, request, commune):
        _commune_allowed(request.user, commune)
        data = request_body(BankDetailsWrite, request)
        bank = set_bank_details(
            commune,
            by=request.user,
            iban=data["iban"],
            bic=data["bic"],
            holder=data["holder"],
            siret=data.get("siret"),
            rib_document=data.get("rib_document"),
        )
        return Response(BankDetailsSerializer(bank).data)


class CertifyBankDetailsView(_Base):
    @extend_schema(
        operation_id="payments_bank_details_certify",
        request=EmptyBody,
        responses={200: BankDetailsSerializer, **_REFUSALS},
    )
    def post(self, request, commune):
        _commune_allowed(request.user, commune)
        request_body(EmptyBody, request)
        return Response(BankDetailsSerializer(certify_bank_details(commune, by=request.user)).data)


class RejectBankDetailsView(_Base):
    @extend_schema(
        operation_id="payments_bank_details_reject",
        request=MotivationBody,
        responses={200: BankDetailsSerializer, **_REFUSALS},
        description=(
            "Rejet motivé des coordonnées bancaires (elles ne correspondent pas au RIB) ; la commune lit "
            "la motivation pour les corriger."
        ),
    )
    def post(self, request, commune):
        _commune_allowed(request.user, commune)
        data = request_body(MotivationBody, request)
        return Response(
            BankDetailsSerializer(
                reject_bank_details(commune, by=request.user, motivation=data.get("motivation", ""))
            ).data
        )


class OrderListView(_Base):
    @extend_schema(
        operation_id="payments_orders_list",
        parameters=[
            OpenApiParameter("state", str, description="État de l'ordre."),
            OpenApiParameter("kind", str, description="Nature de l'ordre."),
            OpenApiParameter("dossier", int, description="Identifiant du dossier."),
        ],
        responses={200: OrderSerializer(many=True), 400: _REFUSALS[400]},
    )
    def get(self, request):
        qs = visible_orders(request.user).order_by("-created_at", "-id")
        for name in ("state", "kind"):
            if request.query_params.get(name):
                qs = qs.filter(**{name: request.query_params[name][:20]})
        if request.query_params.get("dossier"):
            try:
                qs = qs.filter(dossier_id=int(request.query_params["dossier"]))
            except (ValueError, OverflowError):
                return Response({"dossier": ["Identifiant de dossier attendu."]}, status=400)
        return Response(OrderSerializer(qs[:500], many=True).data)


class OrderView(_Base):
    @extend_schema(
        operation_id="payments_orders_retrieve", responses={200: OrderSerializer, **_READ_REFUSALS}
    )
    def get(self, request, pk):
        return Response(OrderSerializer(_order(request.user, pk)).data)


ORDER_ACTIONS = {
    "answer": (TextBody, lambda order, by, d: answer_recovery(order, by, d.get("text", ""))),
    "make-final": (
        MotivationBody,
        lambda order, by, d: make_recovery_final(order, by=by, motivation=d.get("motivation", "")),
    ),
    "received": (EmptyBody, lambda order, by, d: record_recovery_received(order, by=by)),
    "write-off": (
        MotivationBody,
        lambda order, by, d: write_off_recovery(order, by=by, motivation=d.get("motivation", "")),
    ),
    "cancel": (
        MotivationBody,
        lambda order, by, d: cancel_order(order, by=by, motivation=d.get("motivation", "")),
    ),
    "reissue": (EmptyBody, lambda order, by, d: reissue_order(order, by=by)),
}


class OrderActionView(_Base):
    @_action_schema(
        "payments_orders_action",
        ORDER_ACTIONS,
        "Action sur l'ordre.",
        MotivationBody,
        OrderSerializer,
        "`answer` {text}, `make-final` / `write-off` / `cancel` {motivation}, `received` / `reissue` {}",
    )
    def post(self, request, pk, name):
        _, order = _run_action(ORDER_ACTIONS, name, request, _order, pk)
        return Response(OrderSerializer(PaymentOrder.objects.select_related("dossier").get(pk=order.pk)).data)


class AcceptFinalReportView(_Base):
    @extend_schema(
        operation_id="payments_final_report_accept",
        request=EmptyBody,
        responses={201: SettlementSerializer, **_REFUSALS},
    )
    def post(self, request, dossier):
        try:
            found = get_visible_or_404(request.user, dossier)
        except Http404:
            raise NotFound("Dossier introuvable.") from None
        request_body(EmptyBody, request)
        return Response(SettlementSerializer(accept_final_report(found, request.user)).data, status=201)


class BatchListView(_Base):
    @extend_schema(operation_id="payments_batches_list", responses={200: BatchListSerializer(many=True)})
    def get(self, request):
        if not sees_all_dossiers(request.user):
            return Response([])
        return Response(
            BatchListSerializer(Batch.objects.order_by("-created_at", "-id")[:200], many=True).data
        )

    @extend_schema(
        operation_id="payments_batches_create",
        request=BuildBody,
        responses={201: BatchSerializer, **_REFUSALS},
    )
    def post(self, request):
        data = request_body(BuildBody, request)
        result = build_batch(
            by=request.user,
            order_ids=data.get("order_ids"),
            filters=data.get("filters"),
            execution_date=data.get("execution_date"),
        )
        body = BatchSerializer(result.batch).data
        body["excluded"] = [{"order": pk, "reason": reason} for pk, reason in result.excluded]
        return Response(body, status=201)


class BatchView(_Base):
    @extend_schema(
        operation_id="payments_batches_retrieve", responses={200: BatchSerializer, **_READ_REFUSALS}
    )
    def get(self, request, pk):
        return Response(BatchSerializer(_batch(request.user, pk)).data)


class BatchFileView(_Base):
    @extend_schema(
        operation_id="payments_batches_file",
        responses={(200, "application/xml"): OpenApiTypes.BINARY, **_READ_REFUSALS},
    )
    def get(self, request, pk):
        batch = _batch(request.user, pk)
        if Role.FINANCE not in roles_of(request.user) and Role.AUDITEUR not in roles_of(request.user):
            raise NotFound("Lot introuvable.")
        data = export_batch(batch, by=request.user)
        response = HttpResponse(data, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{batch_file_name(batch)}"'
        return response


BATCH_ACTIONS = {
    "sent": (EmptyBody, lambda batch, by, d: mark_batch_sent(batch, by=by)),
    "execution": (EmptyBody, lambda batch, by, d: record_execution(batch, by=by)),
    "returns": (
        ReturnBody,
        lambda batch, by, d: record_return(batch, d["order"], by=by, reason_code=d["reason_code"]),
    ),
    "cancel": (EmptyBody, lambda batch, by, d: cancel_batch(batch, by=by)),
}


class BatchActionView(_Base):
    @_action_schema(
        "payments_batches_action",
        BATCH_ACTIONS,
        "Action sur le lot.",
        ReturnBody,
        BatchSerializer,
        "`returns` {order, reason_code}, `sent` / `execution` / `cancel` {}",
    )
    def post(self, request, pk, name):
        batch, _ = _run_action(BATCH_ACTIONS, name, request, _batch, pk)
        return Response(BatchSerializer(Batch.objects.get(pk=batch.pk)).data)


urlpatterns = [
    under(
        "bank-details/<str:commune>/",
        path("", BankDetailsView.as_view(), name="api-payments-bank-details"),
        path("certify/", CertifyBankDetailsView.as_view(), name="api-payments-bank-details-certify"),
        path("reject/", RejectBankDetailsView.as_view(), name="api-payments-bank-details-reject"),
    ),
    under(
        "orders/",
        path("", OrderListView.as_view(), name="api-payments-orders"),
        path("<str:pk>/", OrderView.as_view(), name="api-payments-order"),
        path("<str:pk>/<str:name>/", OrderActionView.as_view(), name="api-payments-order-action"),
    ),
    path(
        "final-reports/<str:dossier>/accept/",
        AcceptFinalReportView.as_view(),
        name="api-payments-accept-report",
    ),
    under(
        "batches/",
        path("", BatchListView.as_view(), name="api-payments-batches"),
        path("<str:pk>/", BatchView.as_view(), name="api-payments-batch"),
        path("<str:pk>/file/", BatchFileView.as_view(), name="api-payments-batch-file"),
        path("<str:pk>/<str:name>/", BatchActionView.as_view(), name="api-payments-batch-action"),
    ),
]
