"""Minimal admin: the bulk jobs (read only) and — none existed — the Dossier changelist, used as
the reference point of bench/bench_instruction.py (the issue compares our list with it)."""
from django.contrib import admin

from fonds.dossiers.models import Dossier

from .models import BulkFailure, BulkJob


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "commune", "status", "submitted_at", "requested_amount")
    list_filter = ("status", "campaign")
    search_fields = ("reference", "title", "commune__name")
    list_select_related = ("commune",)
    ordering = ("-submitted_at", "-pk")
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # every change goes through perform / editing

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BulkJob)
class BulkJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "action", "created_by", "total", "done", "succeeded", "failed", "status", "created_at")
    exclude = ("dossier_ids",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(BulkFailure)
class BulkFailureAdmin(admin.ModelAdmin):
    list_display = ("job", "dossier", "kind", "reason")
    raw_id_fields = ("job", "dossier")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
