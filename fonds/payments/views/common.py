"""What the payment pages share: the finance back office's gate, list pages, rendering, and the
POST of a confirmation form (``confirmed``)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse

from fonds.accounts.roles import Role
from fonds.audit.models import AuditEvent
from fonds.ui import pagination
from fonds.ui.areas import role_area
from fonds.ui.submit import submitted

READ_ROLES = frozenset({Role.FINANCE, Role.ADMIN, Role.AUDITEUR})
WRITE_ROLES = frozenset({Role.FINANCE})

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
#: lists count their rows up to this number, then say "more than"
COUNT_CAP = 10_000
MAX_PAGE = 10_000


class Page(pagination.Page):
    """The finance lists' pages (``fonds.ui.pagination``); their querysets carry what the rows
    display (``select_related``)."""

    sizes = PAGE_SIZES
    default_size = DEFAULT_PAGE_SIZE
    count_cap = COUNT_CAP
    max_page = MAX_PAGE


#: finance staff; administrators and auditors for GET/HEAD only (a POST gets the "Lecture seule"
#: 403 page before the view runs); otherwise a 403 page
finance_area = role_area(
    read=READ_ROLES,
    write=WRITE_ROLES,
    template="payments/forbidden.html",
    flags={"can_pay": lambda roles: bool(roles & WRITE_ROLES)},
)


def posted(request):
    """The submitted data of a POST (even empty: an empty form must show its errors), else None."""
    return request.POST if request.method == "POST" else None


def confirmed(request, form, act, *, then, success, warning=None, info=None):
    """``fonds.ui.submit.submitted`` with the payment pages' choice: a refusal shows on the form."""
    return submitted(
        request, form, act, then=then, success=success, warning=warning, info=info, refusal_on_form=True
    )


def state_changed(title: str, noun: str):
    """The success message of an action on an order or a batch: ``result`` is the changed object."""
    return lambda changed: (
        f"{title} : c'est fait. {noun} {changed.reference} est désormais « {changed.get_state_display()} »."
    )


def order_url(order) -> str:
    return reverse("payments:order", args=[order.pk])


def render_page(request, template, context, status=200):
    context.setdefault("nav", "payments")
    return render(request, template, context, status=status)


def query_without(params, drop=("page",)) -> str:
    """The query string of ``params`` without the keys in ``drop`` (for page links)."""
    qd = params.copy()
    for key in drop:
        qd.pop(key, None)
    return qd.urlencode()


def audit_events(obj_type: str, pk) -> list:
    return list(AuditEvent.objects.filter(object_type=obj_type, object_id=str(pk)).order_by("seq"))
