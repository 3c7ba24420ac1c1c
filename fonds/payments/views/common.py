"""What the payment pages share: the finance back office's access rule, list pages, rendering."""
from __future__ import annotations

from django.shortcuts import render

from fonds.accounts.roles import Role
from fonds.audit.models import AuditEvent
from fonds.web import pagination
from fonds.web.areas import role_area

from ..models import OrderState


READ_ROLES = frozenset({Role.FINANCE, Role.ADMIN, Role.AUDITEUR})


WRITE_ROLES = frozenset({Role.FINANCE})


O = OrderState


PAGE_SIZES = (25, 50, 100, 200)


DEFAULT_PAGE_SIZE = 50


#: lists count their rows up to this number, then say "more than"
COUNT_CAP = 10_000


MAX_PAGE = 10_000


class Page(pagination.Page):
    """The finance lists' pages (``fonds.web.pagination``); their querysets carry what the rows
    display (``select_related``)."""

    sizes = PAGE_SIZES
    default_size = DEFAULT_PAGE_SIZE
    count_cap = COUNT_CAP
    max_page = MAX_PAGE


def _status_of(refused) -> int:
    """The page's HTTP status for a refusal: the API's (409 for a state conflict or a date not come)."""
    return refused.http_status


#: finance staff; administrators and auditors for GET/HEAD only; otherwise a 403 page
_finance = role_area(read=READ_ROLES, write=WRITE_ROLES, template="payments/forbidden.html",
                     flags={"can_pay": lambda roles: bool(roles & WRITE_ROLES)})


def _posted(request):
    """The submitted data of a POST (even empty: an empty form must show its errors), else None."""
    return request.POST if request.method == "POST" else None


def _render(request, template, context, status=200):
    context.setdefault("nav", "payments")
    return render(request, template, context, status=status)


def _querystring(params, drop=("page",)) -> str:
    qd = params.copy()
    for key in drop:
        qd.pop(key, None)
    return qd.urlencode()


def _events(obj_type: str, pk) -> list:
    return list(AuditEvent.objects.filter(object_type=obj_type, object_id=str(pk)).order_by("seq"))
