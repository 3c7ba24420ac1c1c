"""Read-only admin of the audit trail: nobody adds, changes or deletes an event from here."""
import json

from django.contrib import admin
from django.utils.html import format_html

from .models import AuditEvent, ChainHead


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "action", "object_type", "object_id", "actor_id", "actor_role", "short_hash")
    list_filter = ("action", "actor_role", "object_type")
    search_fields = ("=object_id", "=action", "=hash")
    date_hierarchy = "created_at"
    ordering = ("-seq",)
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is wasteful
    fields = (
        "seq", "created_at", "actor_id", "actor_role", "action", "object_type", "object_id",
        "pretty_canonical", "canonical", "prev_hash", "hash",
    )
    readonly_fields = fields

    @admin.display(description="empreinte")
    def short_hash(self, obj):
        return f"{obj.hash[:12]}…"

    @admin.display(description="contenu (lisible)")
    def pretty_canonical(self, obj):
        try:
            text = json.dumps(json.loads(obj.canonical), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            text = obj.canonical
        return format_html("<pre>{}</pre>", text)


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("id", "last_seq", "last_hash")
    readonly_fields = ("id", "last_seq", "last_hash")
