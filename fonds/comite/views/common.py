"""What every comité page shares: the area's access rule, refusal pages and links."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse

from fonds.accounts.roles import Role
from fonds.ui.areas import role_area

from .. import queries
from ..models import Session

S = Session.Status
WRITE_ROLES = frozenset({Role.COMITE, Role.ADMIN})

#: committee members, administrators, auditors (GET/HEAD only); otherwise a 403 page
area = role_area(
    read=queries.AREA_ROLES,
    write=WRITE_ROLES,
    template="comite/forbidden.html",
    context={"nav": "comite"},
    flags={"is_admin": lambda roles: Role.ADMIN in roles},
)

#: who may act on an item: the member presiding over it
PRESIDING_ONLY = (
    "Seul le membre qui préside ce point (le président de séance, ou son suppléant si le président "
    "est déporté) {what}."
)


def forbidden(request, message: str, *, status: int = 403):
    return render(
        request,
        "comite/forbidden.html",
        {"title": "Action réservée", "nav": "comite", "message": message},
        status=status,
    )


def is_chair(request, session) -> bool:
    return request.user.pk == session.chair_id


def session_url(session, anchor: str = "") -> str:
    return reverse("comite:session", args=[session.pk]) + (f"#{anchor}" if anchor else "")


def sitting_url(session, anchor: str = "") -> str:
    return reverse("comite:sitting", args=[session.pk]) + (f"#{anchor}" if anchor else "")


def item_url(item, anchor: str = "") -> str:
    return reverse("comite:item", args=[item.session_id, item.pk]) + (f"#{anchor}" if anchor else "")


def confirm_page(request, *, session, form, title, submit, cancel_url, item=None, status=200, **extra):
    context = {
        "title": title,
        "nav": "comite",
        "session": session,
        "item": item,
        "form": form,
        "submit_label": submit,
        "cancel_url": cancel_url,
        **extra,
    }
    return render(request, "comite/confirm.html", context, status=status)
