"""What every administration page shares: the area's rule (administrators write, auditors read,
anyone else gets the 403 page), the page helper, the campaign lookup."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from fonds.accounts.roles import Role
from fonds.referentiel.models import Campaign
from fonds.ui.areas import role_area

READ = frozenset({Role.ADMIN, Role.AUDITEUR})
WRITE = frozenset({Role.ADMIN})

area = role_area(
    read=READ,
    write=WRITE,
    template="administration/forbidden.html",
    context={"nav": "administration"},
    flags={"is_admin": lambda roles: Role.ADMIN in roles},
)


def page(request, template: str, title: str, *, status: int = 200, **context):
    return render(request, template, {"title": title, "nav": "administration", **context}, status=status)


def campaign_url(campaign) -> str:
    """The campaign's page, where its forms lead back to."""
    return reverse("administration:campaign", args=[campaign.pk])


def read_only(form) -> None:
    """Show the form's fields without letting them be changed (an auditor, a locked grid)."""
    for field in form.fields.values():
        field.disabled = True


def admin_only(request):
    """The « Lecture seule » page for a reader on a page that is only a form (None: an administrator)."""
    if request.is_admin:
        return None
    return render(
        request, "administration/forbidden.html", {"title": "Lecture seule", "read_only": True}, status=403
    )


def campaign_or_404(pk) -> Campaign:
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is None:
        raise Http404("Campagne introuvable.")
    return campaign
