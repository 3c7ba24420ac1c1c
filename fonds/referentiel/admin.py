from django.contrib import admin

from .models import Campaign, Commune, Jumelage, PartnerTown, RuleSet


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "departement", "region", "zone", "population"]
    list_filter = ["zone", "region"]
    search_fields = ["code", "name"]
    show_full_result_count = False


@admin.register(PartnerTown)
class PartnerTownAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]


@admin.register(Jumelage)
class JumelageAdmin(admin.ModelAdmin):
    list_display = ["commune", "partner", "kind", "agreement_date", "letter_of_intent"]
    autocomplete_fields = ["commune", "partner"]
    list_select_related = ["commune", "partner"]


class RuleSetInline(admin.TabularInline):
    model = RuleSet
    extra = 0
    can_delete = False
    fields = ["version", "note", "created_at", "created_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "opens_at", "closes_at", "envelope"]
    inlines = [RuleSetInline]
