"""API permissions: the same rules as the UI, taken from fonds.dossiers.access and the services."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from fonds.accounts.roles import is_read_only


class ReadOnlyForAuditors(BasePermission):
    message = "Le rôle auditeur est en lecture seule : aucune modification n'est possible."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or not is_read_only(request.user)
