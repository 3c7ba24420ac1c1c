"""What the payments API reads and writes: the serializers of orders, batches, bank details and
settlements, and the strict bodies of the actions."""

from __future__ import annotations

from rest_framework import serializers

from fonds.ui.api import StrictSerializer

from .models import BankDetails, Batch, BatchItem, PaymentOrder, Settlement, mask_iban

# ---- serializers --------------------------------------------------------------------------------


class OrderSerializer(serializers.ModelSerializer):
    dossier_reference = serializers.CharField(source="dossier.reference", read_only=True)

    class Meta:
        model = PaymentOrder
        fields = [
            "id",
            "reference",
            "dossier",
            "dossier_reference",
            "kind",
            "amount",
            "state",
            "created_at",
            "paid_at",
            "returned_at",
            "return_code",
            "cancelled_at",
            "motivation",
            "answer_due",
            "answer_text",
            "answered_at",
            "final_at",
            "breakdown",
        ]


class ItemSerializer(serializers.ModelSerializer):
    creditor_iban = serializers.SerializerMethodField()

    class Meta:
        model = BatchItem
        fields = [
            "position",
            "order",
            "end_to_end_id",
            "amount",
            "creditor_name",
            "creditor_iban",
            "creditor_bic",
            "outcome",
            "return_code",
            "remittance",
        ]

    def get_creditor_iban(self, item) -> str:
        return mask_iban(item.creditor_iban)


class BatchSerializer(serializers.ModelSerializer):
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "reference",
            "message_id",
            "state",
            "created_at",
            "execution_date",
            "count",
            "total",
            "file_sha256",
            "sent_at",
            "executed_at",
            "items",
        ]


class BatchListSerializer(BatchSerializer):
    class Meta(BatchSerializer.Meta):
        fields = [f for f in BatchSerializer.Meta.fields if f != "items"]


class BankDetailsSerializer(serializers.ModelSerializer):
    iban = serializers.SerializerMethodField()
    is_certified = serializers.BooleanField(read_only=True)
    is_rejected = serializers.BooleanField(read_only=True)

    class Meta:
        model = BankDetails
        fields = [
            "commune",
            "iban",
            "bic",
            "holder",
            "siret",
            "rib_document",
            "version",
            "is_certified",
            "certified_at",
            "is_rejected",
            "rejected_at",
            "rejection_reason",
            "updated_at",
        ]

    def get_iban(self, bank) -> str:
        return bank.masked_iban


class SettlementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Settlement
        fields = [
            "dossier",
            "accepted_at",
            "final_grant",
            "advance",
            "balance",
            "breakdown",
            "lines",
            "rules_version",
        ]


class BankDetailsWrite(StrictSerializer):
    iban = serializers.CharField(max_length=50)
    bic = serializers.CharField(max_length=20)
    holder = serializers.CharField(max_length=200)
    siret = serializers.CharField(
        max_length=30,
        required=False,
        help_text=(
            "SIRET de la mairie : 14 chiffres commençant par le SIREN de la commune, clé de Luhn valide "
            "(espaces acceptés). "
            "Absent : le SIRET enregistré est conservé. Toute modification fait tomber la certification."
        ),
    )
    rib_document = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class TextBody(StrictSerializer):
    text = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")


class MotivationBody(StrictSerializer):
    motivation = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")


class EmptyBody(StrictSerializer):
    pass


class BatchFilters(StrictSerializer):
    kind = serializers.ChoiceField(choices=["advance", "balance"], required=False)
    campaign = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    commune = serializers.CharField(max_length=5, required=False)


class BuildBody(StrictSerializer):
    order_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), max_length=20000, required=False
    )
    filters = BatchFilters(required=False)
    execution_date = serializers.DateField(required=False)


class ReturnBody(StrictSerializer):
    order = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason_code = serializers.CharField(max_length=10)


def request_body(serializer_class, request) -> dict:
    body = serializer_class(data=request.data if request.data else {})
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)
