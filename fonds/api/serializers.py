from decimal import Decimal

from rest_framework import serializers

from fonds.administration.campaigns import FIELDS as CAMPAIGN_FIELDS
from fonds.audit.models import AuditEvent
from fonds.dossiers.editing import EDITABLE_FIELDS
from fonds.dossiers.models import BudgetLine, Dossier
from fonds.privacy.access import redact_ages
from fonds.referentiel.models import Campaign, Commune, Jumelage
from fonds.ui.api import AmountSerializerField, SafePrimaryKeyRelatedField, StrictSerializer


class CommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = [
            "code",
            "name",
            "departement",
            "region",
            "zone",
            "population",
            "siren",
            "latitude",
            "longitude",
        ]


class CampaignSerializer(serializers.ModelSerializer):
    rules_version = serializers.SerializerMethodField()
    rules = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", *CAMPAIGN_FIELDS, "rules_version", "rules"]

    def get_rules_version(self, obj) -> int:
        return obj.rules.version

    def get_rules(self, obj) -> dict:
        return obj.rules.params


class BudgetLineSerializer(StrictSerializer, serializers.ModelSerializer):
    amount = AmountSerializerField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("10000000")
    )

    class Meta:
        model = BudgetLine
        fields = ["kind", "category", "label", "amount", "eligible"]

    def validate(self, attrs):
        if (attrs["kind"] == "expense") != (attrs["category"] in BudgetLine.EXPENSES):
            raise serializers.ValidationError(
                {"category": ["Cette catégorie ne correspond pas à la nature (dépense ou recette)."]}
            )
        return attrs


class DossierListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)

    class Meta:
        model = Dossier
        fields = [
            "id",
            "reference",
            "status",
            "status_label",
            "campaign",
            "commune",
            "commune_name",
            "title",
            "requested_amount",
            "proposed_amount",
            "approved_amount",
            "submitted_at",
            "created_at",
            "updated_at",
        ]


class DossierSerializer(DossierListSerializer):
    """A dossier; the participants' ages only for whoever may see minors' data
    (``fonds.privacy.access``), the counts for everybody who sees the dossier."""

    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    youth_count = serializers.IntegerField(read_only=True)
    leader_count = serializers.IntegerField(read_only=True)

    class Meta(DossierListSerializer.Meta):
        fields = [
            *DossierListSerializer.Meta.fields,
            # the content a porteur writes, then the counts and what the fund decides
            *(name for name in EDITABLE_FIELDS if name not in DossierListSerializer.Meta.fields),
            "youth_count",
            "leader_count",
            "opinion",
            "instructor",
            "decided_at",
            "corrections_due",
            "agreement_due",
            "report_due",
            "rules_version",
            "budget_lines",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")  # none: nobody to show the ages to
        return redact_ages(getattr(request, "user", None), instance, data)


class DossierWriteSerializer(StrictSerializer):
    """What a porteur writes: content only, never a status or an amount decided by others."""

    campaign = SafePrimaryKeyRelatedField(queryset=Campaign.objects.all(), required=False)
    jumelage = SafePrimaryKeyRelatedField(queryset=Jumelage.objects.all(), required=False, allow_null=True)
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    objectives = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    activity_days = serializers.IntegerField(min_value=0, max_value=366, required=False, allow_null=True)
    youth_ages = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=120), max_length=500, required=False
    )
    leader_ages = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=120), max_length=200, required=False
    )
    youth_fewer_opportunities = serializers.IntegerField(min_value=0, max_value=500, required=False)
    youth_first_travel = serializers.IntegerField(min_value=0, max_value=500, required=False)
    travel_mode = serializers.ChoiceField(
        choices=Dossier._meta.get_field("travel_mode").choices, required=False, allow_blank=True
    )
    low_carbon = serializers.BooleanField(required=False)
    distance_km = serializers.IntegerField(min_value=0, max_value=20100, required=False, allow_null=True)
    nights = serializers.IntegerField(min_value=0, max_value=366, required=False)
    nights_hosted = serializers.IntegerField(min_value=0, max_value=366, required=False)
    requested_amount = AmountSerializerField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("10000000"),
        required=False,
        allow_null=True,
    )
    budget_lines = BudgetLineSerializer(many=True, required=False, max_length=1000)

    def validate(self, attrs):
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if self.instance is not None:
            start = attrs.get("start_date", self.instance.start_date)
            end = attrs.get("end_date", self.instance.end_date)
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": ["Le dernier jour doit être postérieur ou égal au premier jour."]}
            )
        if self.instance is None and "campaign" not in attrs:
            raise serializers.ValidationError({"campaign": ["Ce champ est obligatoire."]})
        if self.instance is None and not attrs.get("title"):
            raise serializers.ValidationError({"title": ["Ce champ est obligatoire."]})
        if self.instance is not None and "campaign" in attrs:
            raise serializers.ValidationError({"campaign": ["La campagne d'un dossier ne se change pas."]})
        return attrs

    def split(self):
        data = dict(self.validated_data)
        lines = data.pop("budget_lines", None)
        campaign = data.pop("campaign", None)
        assert set(data) <= set(EDITABLE_FIELDS)
        return campaign, data, lines


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    needs_motivation = serializers.BooleanField()
    confirm = serializers.CharField()


class TransitionRequestSerializer(StrictSerializer):
    motivation = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    deadline = serializers.DateField(
        required=False, help_text="request_corrections : échéance (défaut : règlement)"
    )
    fields = serializers.ListField(
        child=serializers.CharField(max_length=60),
        max_length=50,
        required=False,
        help_text="request_corrections : champs à corriger",
    )
    documents = serializers.ListField(
        child=serializers.CharField(max_length=60),
        max_length=20,
        required=False,
        help_text="request_corrections : pièces à fournir",
    )
    opinion = serializers.ChoiceField(
        choices=["favourable", "unfavourable"], required=False, help_text="complete_instruction"
    )
    proposed_amount = AmountSerializerField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="complete_instruction",
    )
    session = serializers.IntegerField(
        min_value=1,
        max_value=2**53,
        required=False,
        help_text="schedule : séance du comité à l'ordre du jour de laquelle inscrire le dossier",
    )
    signatory_name = serializers.CharField(
        max_length=150, required=False, help_text="accept_agreement : nom et prénom du signataire"
    )
    document_sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$", required=False, help_text="accept_agreement : SHA-256 de la convention acceptée"
    )


class AuditEventSerializer(serializers.ModelSerializer):
    payload = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "created_at",
            "actor",
            "actor_role",
            "action",
            "object_type",
            "object_id",
            "payload",
            "canonical",
            "prev_hash",
            "hash",
        ]

    def get_payload(self, obj) -> dict:
        return obj.data.get("payload", {})

    def get_actor(self, obj) -> dict:
        return obj.data.get("actor", {})


class TokenRequestSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        help_text="code TOTP (agents du fonds : instructeur, comité, finance, admin, auditeur)",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
