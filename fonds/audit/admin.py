"""The Django admin reads; it never writes (issue 14: admin edits left no event in the chain).

Every registered model, ours and the libraries', refuses add, change and delete to everybody:
``ReadOnlyAdmin`` (our ModelAdmins inherit it) and ``lock_admin_site()`` (run by
``AuditConfig.ready()``, in front of any other registration). Only ``EDITABLE_IN_ADMIN`` escapes:
display settings the chain does not cover. Users and roles: ``manage.py add_user`` (audited).
"""

import json

from django.contrib import admin
from django.utils.html import format_html

from .models import EVENT_COLUMNS, AuditEvent, ChainHead

#: models the admin may still edit: the DSFR site settings (header and footer texts), outside the
#: audit chain and outside the fund's data
EDITABLE_IN_ADMIN = frozenset({"dsfr.dsfrconfig"})


class ReadOnlyAdminMixin:
    """No add, change or delete — nor any bulk action — for anybody; viewing stays as Django
    decides (superusers, or the model's view permission). For ModelAdmins and inlines alike."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


class ReadOnlyModelAdminMixin(ReadOnlyAdminMixin):
    """A ModelAdmin's inlines are read only too."""

    def get_inlines(self, request, obj):
        return [read_only(inline) for inline in super().get_inlines(request, obj)]


class ReadOnlyAdmin(ReadOnlyModelAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    pass


def read_only(admin_class):
    """``admin_class`` (a ModelAdmin or an inline) with the read-only mixin in front."""
    if issubclass(admin_class, ReadOnlyAdminMixin):
        return admin_class
    inline = issubclass(admin_class, admin.options.InlineModelAdmin)
    mixin = ReadOnlyAdminMixin if inline else ReadOnlyModelAdminMixin
    attrs = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
    return type(f"ReadOnly{admin_class.__name__}", (mixin, admin_class), attrs)


def lock_admin_site(site=None) -> list[str]:
    """Re-register every model of ``site`` (default: the admin site) whose ModelAdmin is not read
    only yet with its read-only version; returns the labels of the models it changed."""
    site = site or admin.site
    changed = []
    for model, model_admin in list(site._registry.items()):
        if model._meta.label_lower in EDITABLE_IN_ADMIN or isinstance(model_admin, ReadOnlyAdminMixin):
            continue
        site.unregister(model)
        site.register(model, read_only(type(model_admin)))
        changed.append(model._meta.label_lower)
    return changed


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor_id",
        "actor_role",
        "short_hash",
    )
    list_filter = ("action", "actor_role", "object_type")
    search_fields = ("=object_id", "=action", "=hash")
    date_hierarchy = "created_at"
    ordering = ("-seq",)
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is wasteful
    # the event's columns, the canonical text shown readable before the hashed one
    fields = (*EVENT_COLUMNS[:7], "pretty_canonical", *EVENT_COLUMNS[7:])
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
