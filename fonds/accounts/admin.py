"""Users in the admin: read only (``fonds.audit.admin``). Accounts and roles are created and
changed by ``manage.py add_user``, which appends ``accounts.user_created`` / ``user_updated`` to the
audit chain; an admin edit would not (its password and permission screens are refused too)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from fonds.audit.admin import ReadOnlyModelAdminMixin

from .models import User


@admin.register(User)
class UserAdmin(ReadOnlyModelAdminMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "commune", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    list_select_related = ["commune"]
    autocomplete_fields = ["commune"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name", "commune")}),
        ("Rôles et droits", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2", "commune", "groups")}),
    )
