"""Thin DSFR pages: read through fonds.dossiers.access, act through fonds.dossiers.services."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from fonds.accounts import proconnect
from fonds.accounts.roles import Role, is_expert_only, roles_of, sees_all_dossiers
from fonds.accounts.security import sign_in_refusal
from fonds.audit.models import AuditEvent
from fonds.dossiers import services
from fonds.dossiers.access import can_edit, get_visible_or_404, visible_dossiers
from fonds.dossiers.states import Forum
from fonds.suivi.links import action_url
from fonds.ui import worklist
from fonds.ui.files import uploaded_file
from fonds.ui.forms import TransitionForm

from . import accessibility
from .forms import DossierFilterForm, LoginForm


class LoginView(auth_views.LoginView):
    """Email + password; then, for the fund's agents, the TOTP code (fonds/accounts/twofactor.py).

    Failures lock the (email, IP) pair out (django-axes); POSTs are rate-limited per IP, and
    refused while the limiter cannot count (fonds/accounts/security.py).
    """

    form_class = LoginForm
    redirect_authenticated_user = True
    extra_context = {"title": "Se connecter"}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "proconnect": proconnect.enabled()}

    def post(self, request, *args, **kwargs):
        refusal = sign_in_refusal(request)
        if refusal is not None:
            return refusal
        return super().post(request, *args, **kwargs)


@login_required
def home(request):
    if is_expert_only(request.user):
        return redirect("avis:requests")
    if Role.PORTEUR in roles_of(request.user) and not sees_all_dossiers(request.user):
        return redirect("depot:my-dossiers")
    return redirect("dossier-list")


@login_required
def dossier_list(request):
    form = DossierFilterForm(request.GET or None)
    qs = visible_dossiers(request.user).select_related("commune", "campaign").order_by("-created_at", "-id")
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["q"]:
            q = form.cleaned_data["q"]
            qs = qs.filter(Q(title__icontains=q) | Q(commune__name__icontains=q) | Q(reference__icontains=q))
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "dossiers/list.html",
        {"title": "Dossiers", "nav": "dossiers", "form": form, "page_obj": page},
    )


@login_required
def dossier_detail(request, pk):
    dossier = get_visible_or_404(
        request.user,
        pk,
        visible_dossiers(request.user).select_related(
            "commune", "campaign", "jumelage__partner", "instructor"
        ),
    )
    events = AuditEvent.objects.filter(object_type="dossiers.dossier", object_id=str(dossier.pk)).order_by(
        "seq"
    )

    actions = services.available_transitions(dossier, request.user)
    for action in actions:
        action["url"] = action_url(dossier.pk, action["name"])
    context = {
        "can_edit": can_edit(request.user, dossier),
        "title": dossier.reference,
        "nav": "dossiers",
        "dossier": dossier,
        "actions": actions,
        "budget_lines": dossier.budget_lines.all(),
        "documents": dossier.documents.filter(replaced_by__isnull=True),
        "events": events,
    }
    return render(request, "dossiers/detail.html", context)


def _refusal_text(name: str, meta: dict) -> str:
    """Why this page cannot fire ``name``: it belongs to another forum (where it is done), or not
    for this user now."""
    if Forum.DOSSIER not in meta["forums"]:
        return services.forum_refusal(name, Forum.DOSSIER).message
    return f"L'action « {meta['label']} » n'est pas possible pour vous sur ce dossier dans son état actuel."


@login_required
@require_http_methods(["GET", "POST"])
def dossier_transition(request, pk, name):
    dossier = get_visible_or_404(request.user, pk)
    try:
        meta = services.transition_meta(name)["custom"]
    except services.TransitionRefused:
        raise Http404("Action inconnue.") from None
    allowed = {a["name"] for a in services.available_transitions(dossier, request.user)}

    dedicated = action_url(dossier.pk, name)
    if dedicated and name in allowed:
        return redirect(dedicated)  # these need more than a confirmation (name + hash, final report…)
    form = TransitionForm(request.POST or None, needs_motivation=meta["needs_motivation"])
    if request.method == "POST" and name in allowed and form.is_valid():
        try:
            services.perform(dossier, name, by=request.user, motivation=form.cleaned_data["motivation"])
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                f"« {meta['label']} » : c'est fait. "
                f"Le dossier est désormais « {dossier.get_status_display()} ».",
            )
            return redirect("dossier-detail", pk=dossier.pk)
    status = 200
    if name not in allowed:
        status = 409 if request.user.is_authenticated else 403
        messages.error(request, _refusal_text(name, meta))
    return render(
        request,
        "dossiers/transition.html",
        {
            "title": meta["label"],
            "nav": "dossiers",
            "dossier": dossier,
            "meta": meta,
            "name": name,
            "form": form,
            "allowed": name in allowed,
        },
        status=status,
    )


@login_required
def task_list(request):
    rows = worklist.task_rows(request.user, limit=200)
    return render(request, "web/tasks.html", {"title": "Mes tâches", "nav": "tasks", "rows": rows})


@login_required
def dossier_document(request, pk, document_pk):
    """Documents are never served from a public URL: only here, to whoever may see the dossier."""
    dossier = get_visible_or_404(request.user, pk)
    document = dossier.documents.filter(pk=document_pk).first()
    return uploaded_file(document, missing="Pièce introuvable.")


def accessibility_statement(request):
    """The accessibility statement (RGAA 4.1 model), public: read from the browser suite's results."""
    return render(
        request,
        "web/accessibility.html",
        {"title": "Déclaration d'accessibilité", **accessibility.statement()},
    )
