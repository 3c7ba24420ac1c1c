"""Minimal admin, read only (``fonds.audit.admin``): the bulk jobs and — none existed — the Dossier
changelist, used as the reference point of bench/bench_instruction.py (the issue compares our list
with it). Every change of a dossier goes through perform / editing."""

from django.contrib import admin

from fonds.audit.admin import ReadOnlyAdmin
from fonds.dossiers.models import Dossier

from .models import BulkFailure, BulkJob


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "commune", "status", "submitted_at", "requested_amount")
    list_filter = ("status", "campaign")
    search_fields = ("reference", "title", "commune__name")
    list_select_related = ("commune",)
    ordering = ("-submitted_at", "-pk")
    list_per_page = 50
    exclude = ("youth_ages", "leader_ages")  # minors' data: only on the pages of the roles of fonds.privacy


@admin.register(BulkJob)
class BulkJobAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "action",
        "created_by",
        "total",
        "done",
        "succeeded",
        "failed",
        "status",
        "created_at",
    )
    exclude = ("dossier_ids",)


@admin.register(BulkFailure)
class BulkFailureAdmin(ReadOnlyAdmin):
    list_display = ("job", "dossier", "kind", "reason")
    raw_id_fields = ("job", "dossier")
