"""The API's shared pieces, for ``fonds.api`` and the stages' own endpoints: strict serializers
(unknown fields refused), amounts read as the screens read them, primary keys out of range are
"not found", auditors are read-only."""

from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission

from fonds.accounts.roles import is_read_only
from fonds.formats import AmountError, parse_amount


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know (a typo must not be silently ignored)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Champ inconnu."] for name in sorted(unknown)})
        return super().to_internal_value(data)


class AmountSerializerField(serializers.DecimalField):
    """An amount in euros: a JSON number, or a string as a French person types it (« 5 500,50 »,
    « 5500.50 », any kind of space), read by ``fonds.formats.parse_amount`` like ``AmountField``;
    a refused text gets the parser's French message, which quotes it."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip():
            try:
                data = parse_amount(data)
            except AmountError as error:
                raise serializers.ValidationError(str(error), code="invalid") from None
        return super().to_internal_value(data)


class SafePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key outside the 64-bit range is "not found", not a database error."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (
            isinstance(data, (int, str)) and str(data).lstrip("-").isdigit() and not 0 < int(data) < 2**63
        ):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class ReadOnlyForAuditors(BasePermission):
    message = "Le rôle auditeur est en lecture seule : aucune modification n'est possible."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or not is_read_only(request.user)
