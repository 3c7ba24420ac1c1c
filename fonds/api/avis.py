"""``/api/v1/avis/``: the expert's own opinion requests, read only (issue 20). Nobody else uses it:
the fund reads opinions on the instruction page. The dossier appears by its reference, title and
commune only — the expert reads its content on the site."""

from __future__ import annotations

from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission

from fonds.accounts.roles import Role, has_role
from fonds.avis import queries
from fonds.avis.models import AvisRequest


class IsExpert(BasePermission):
    message = "Réservé aux experts sollicités pour un avis."

    def has_permission(self, request, view):
        return has_role(request.user, Role.EXPERT)


class ExpertAvisSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.reference", read_only=True)
    dossier_title = serializers.CharField(source="dossier.title", read_only=True)
    commune = serializers.CharField(source="dossier.commune.name", read_only=True)
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = AvisRequest
        fields = [
            "id",
            "dossier",
            "dossier_title",
            "commune",
            "question",
            "deadline",
            "visibility",
            "status",
            "created_at",
            "answered_at",
            "answer",
            "has_attachment",
        ]
        read_only_fields = fields

    def get_has_attachment(self, avis) -> bool:
        return bool(avis.attachment)


class ExpertAvisViewSet(viewsets.ReadOnlyModelViewSet):
    """The requests addressed to the signed-in expert; any other is « not found »."""

    serializer_class = ExpertAvisSerializer
    permission_classes = viewsets.ReadOnlyModelViewSet.permission_classes + [IsExpert]
    lookup_value_regex = r"\d{1,18}"

    def get_queryset(self):
        return queries.expert_requests(self.request.user).order_by("-created_at", "-pk")
