"""What every comité page shares: the area's access rule, refusal pages and links."""

from __future__ import annotations

import functools

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


def comite_page(request, template: str, title: str, *, status: int = 200, **context):
    """A comité page: ``context`` under the page's title and the area's navigation."""
    return render(request, template, {"title": title, "nav": "comite", **context}, status=status)


def forbidden(request, message: str, *, status: int = 403):
    return comite_page(request, "comite/forbidden.html", "Action réservée", message=message, status=status)


def admin_session(refusal: str):
    """The decorated view gets the session of ``pk`` (404 if unseen) and runs for an
    administrator only; anyone else gets a 403 page saying ``refusal``."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, pk, *args, **kwargs):
            session = queries.session_for(request.user, pk)
            if not request.is_admin:
                return forbidden(request, refusal)
            return view(request, session, *args, **kwargs)

        return wrapped

    return decorate


def is_chair(request, session) -> bool:
    return request.user.pk == session.chair_id


def session_url(session, anchor: str = "") -> str:
    return reverse("comite:session", args=[session.pk]) + (f"#{anchor}" if anchor else "")


def sitting_url(session, anchor: str = "") -> str:
    return reverse("comite:sitting", args=[session.pk]) + (f"#{anchor}" if anchor else "")


def item_url(item, anchor: str = "") -> str:
    return reverse("comite:item", args=[item.session_id, item.pk]) + (f"#{anchor}" if anchor else "")


def confirm_page(request, *, session, form, title, cancel_url, submit=None, item=None, status=200, **extra):
    """The confirmation page of a step; its button says ``submit``, by default the title."""
    return comite_page(
        request,
        "comite/confirm.html",
        title,
        session=session,
        item=item,
        form=form,
        submit_label=submit or title,
        cancel_url=cancel_url,
        status=status,
        **extra,
    )
