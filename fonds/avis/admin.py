"""Read-only admin of the opinion requests (``fonds.audit.admin``): they change through
``fonds.avis.services`` only."""

from django.contrib import admin

from fonds.audit.admin import ReadOnlyAdmin

from .models import AvisRequest


@admin.register(AvisRequest)
class AvisRequestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "dossier", "expert", "status", "visibility", "deadline", "answered_at")
    list_filter = ("status", "visibility")
    raw_id_fields = ("dossier", "expert", "requested_by")
