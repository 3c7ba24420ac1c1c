"""The back offices' gate: ``role_area(read=…, write=…, template=…, flags=…)`` makes the decorator
of an area. Anonymous: sign-in page; none of ``read``: the area's 403 « Accès réservé »; a write
request without ``write``: 403 « Lecture seule » (``write=None`` leaves it to the view). ``flags``
set request attributes for the templates. Finer rules stay in ``fonds.dossiers.access`` and the
stage services.
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
