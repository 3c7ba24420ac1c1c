"""The referential in the admin: read only (``fonds.audit.admin``) — a commune's population or a
campaign's envelope changes through an audited path (the INSEE import, the administration
screens), never here."""

from django.contrib import admin

from fonds.audit.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Campaign, Commune, Jumelage, PartnerTown, RuleSet


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "departement", "region", "zone", "population"]
    list_filter = ["zone", "region"]
    search_fields = ["code", "name"]
    show_full_result_count = False


@admin.register(PartnerTown)
class PartnerTownAdmin(ReadOnlyAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]


@admin.register(Jumelage)
class JumelageAdmin(ReadOnlyAdmin):
    list_display = ["commune", "partner", "kind", "agreement_date", "letter_of_intent"]
    autocomplete_fields = ["commune", "partner"]
    list_select_related = ["commune", "partner"]


class RuleSetInline(ReadOnlyInline):
    model = RuleSet
    extra = 0
    fields = ["version", "note", "created_at", "created_by"]
    readonly_fields = fields


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdmin):
    """The rule sets with their parameters (each version is immutable: ``RuleSet.save``)."""

    list_display = ["campaign", "version", "created_at", "created_by", "note"]
    list_filter = ["campaign"]
    list_select_related = ["campaign", "created_by"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "year", "opens_at", "closes_at", "envelope"]
    inlines = [RuleSetInline]
