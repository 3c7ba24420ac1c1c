"""Accounts administration pages, mounted at /administration/comptes/: the list (filters, pages),
an account (roles, state, second factor, ProConnect link, history) and its confirmed actions.
Administrators change, auditors read; every change goes through ``fonds.accounts.lifecycle``.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import devices_for_user

from fonds.accounts import lifecycle
from fonds.accounts.models import User
from fonds.accounts.roles import Role
from fonds.audit.models import AuditEvent
from fonds.ui import pagination
from fonds.ui.areas import role_area
from fonds.ui.submit import submitted

from .forms import AccountFilterForm, ConfirmForm, RolesForm

READ_ROLES = frozenset({Role.ADMIN, Role.AUDITEUR})
WRITE_ROLES = frozenset({Role.ADMIN})
ROLE_LABELS = dict(Role.choices)

#: administrators; auditors for GET/HEAD only (« Lecture seule » 403 otherwise); others a 403 page
area = role_area(
    read=READ_ROLES,
    write=WRITE_ROLES,
    template="account_admin/forbidden.html",
    flags={"is_admin": lambda roles: Role.ADMIN in roles},
)


class Page(pagination.Page):
    sizes = (25, 50, 100)
    default_size = 50


def filtered_accounts(params: dict):
    """The accounts matching the list's filters (``AccountFilterForm.cleaned_data``)."""
    qs = User.objects.select_related("commune").prefetch_related("groups").order_by("email")
    if params.get("q"):
        q = params["q"]
        qs = qs.filter(Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    if params.get("role"):
        qs = qs.filter(groups__name=params["role"])
    if params.get("commune"):
        value = params["commune"].strip()
        qs = qs.filter(Q(commune__code=value.upper()) | Q(commune__name__icontains=value))
    if params.get("active") in ("oui", "non"):
        qs = qs.filter(is_active=params["active"] == "oui")
    return qs


def _query_without_page(params) -> str:
    qd = params.copy()
    qd.pop("page", None)
    return qd.urlencode()


@area
@require_GET
def account_list(request):
    form = AccountFilterForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    page = Page(filtered_accounts(params), request.GET)
    rows = [
        {"user": u, "roles": [ROLE_LABELS.get(g.name, g.name) for g in u.groups.all()]} for u in page.rows
    ]
    querystring = _query_without_page(request.GET)
    context = {
        "title": "Comptes",
        "form": form,
        "page": page,
        "rows": rows,
        "page_links": page.links(querystring),
        "neighbours": page.neighbour_urls(querystring),
    }
    return render(request, "account_admin/list.html", context)


def _account(pk) -> User:
    return get_object_or_404(User.objects.select_related("commune"), pk=pk)


def _detail_url(user) -> str:
    return reverse("account_admin:detail", args=[user.pk])


def _detail(request, user, *, form=None, status=200):
    events = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk)).order_by("-seq")
    initial = {"roles": sorted(user.roles), "commune": user.commune_id or ""}
    context = {
        "title": f"Compte {user.email}",
        "account": user,
        "roles": [ROLE_LABELS[r] for r in sorted(user.roles)],
        "devices": list(devices_for_user(user, confirmed=None)),
        "events": list(events[:30]),
        "form": form or (RolesForm(initial=initial) if request.is_admin else None),
    }
    return render(request, "account_admin/detail.html", context, status=status)


@area
@require_http_methods(["GET", "POST"])
def account_detail(request, pk):
    """The account; an administrator's POST changes its roles (reversible: no confirmation)."""
    user = _account(pk)
    if request.method != "POST":
        return _detail(request, user)
    form = RolesForm(request.POST)
    done, status = submitted(
        request,
        form,
        lambda: lifecycle.set_roles(
            user, form.cleaned_data["roles"], by=request.user, commune=form.cleaned_data["commune"]
        ),
        success=lambda _: "Les rôles du compte sont enregistrés.",
        then=_detail_url(user),
    )
    return done or _detail(request, user, form=form, status=status)


#: the confirmed actions: (service, question, confirmation label, message once done)
ACTIONS = {
    "deactivate": (
        lifecycle.deactivate,
        "Désactiver le compte",
        "Je désactive ce compte : la personne ne pourra plus se connecter, ni par mot de passe "
        "ni par ProConnect",
        "Le compte est désactivé.",
    ),
    "reactivate": (
        lifecycle.reactivate,
        "Réactiver le compte",
        "Je réactive ce compte : la personne pourra de nouveau se connecter",
        "Le compte est réactivé.",
    ),
    "unlink_proconnect": (
        lifecycle.unlink_proconnect,
        "Délier l'identité ProConnect",
        "Je délie ce compte de son identité ProConnect : la prochaine connexion ProConnect le rattachera "
        "de nouveau par son adresse vérifiée",
        "Le compte n'est plus lié à une identité ProConnect.",
    ),
    "reset_two_factor": (
        lifecycle.reset_second_factor,
        "Réinitialiser la double authentification",
        "Je supprime l'application d'authentification enregistrée : à sa prochaine connexion, la personne "
        "devra en enregistrer une nouvelle",
        "La double authentification est réinitialisée : la personne enregistrera une nouvelle application "
        "à sa prochaine connexion.",
    ),
}


@area
@require_http_methods(["GET", "POST"])
def account_action(request, pk, action):
    """A confirmation page, then the change (irreversible or disruptive steps: explicit consent)."""
    user = _account(pk)
    service, question, label, message = ACTIONS[action]
    form = ConfirmForm(request.POST if request.method == "POST" else None, label=label)
    done, status = submitted(
        request,
        form,
        lambda: service(user, by=request.user),
        success=lambda _: message,
        then=_detail_url(user),
        refusal_on_form=True,
    )
    if done:
        return done
    context = {"title": question, "account": user, "form": form, "action": action}
    return render(request, "account_admin/confirm.html", context, status=status)
