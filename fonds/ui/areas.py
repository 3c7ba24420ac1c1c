"""The back offices' gate: one decorator factory for "who may open this area, who may change
things in it", each area with its own French 403 page.

    _staff = role_area(read=READ_ROLES, write=WRITE_ROLES, template="instruction/forbidden.html",
                       flags={"can_write": lambda roles: bool(roles & WRITE_ROLES)})

An anonymous visitor is sent to the sign-in page; a user holding none of ``read`` gets the area's
page "Accès réservé" (403); a request other than GET/HEAD from a user holding none of ``write``
gets "Lecture seule" (403) — ``write=None`` leaves that to the view (and to the auditors'
read-only middleware). ``flags`` set attributes on the request from the user's roles, for the
templates (e.g. whether to show the forms). Fine-grained rules (this dossier, this session) stay
in ``fonds.dossiers.access`` and the stage services.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fonds.accounts.roles import roles_of


def role_area(
    *,
    read: frozenset,
    write: frozenset | None,
    template: str,
    context: dict | None = None,
    flags: dict[str, Callable[[frozenset], object]] | None = None,
):
    extra = dict(context or {})

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            roles = roles_of(request.user)
            if not roles & read:
                return render(request, template, {"title": "Accès réservé", **extra}, status=403)
            if write is not None and request.method not in ("GET", "HEAD") and not roles & write:
                return render(
                    request, template, {"title": "Lecture seule", "read_only": True, **extra}, status=403
                )
            for name, flag in (flags or {}).items():
                setattr(request, name, flag(roles))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
