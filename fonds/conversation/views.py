"""The conversation's pages (thin): the list of a person's conversations, the thread of a dossier
with its form, an attachment. Who reads: whoever may see the dossier (``fonds.dossiers.access``:
another commune's dossier is a 404); who writes: ``services.side_of``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from fonds.dossiers.access import get_visible_or_404
from fonds.ui.files import uploaded_file
from fonds.ui.submit import submitted

from . import services
from .forms import MessageForm
from .models import Attachment


@login_required
@require_GET
def inbox(request):
    return render(
        request,
        "conversation/inbox.html",
        {"title": "Messagerie", "nav": "messages", "rows": list(services.conversations(request.user))},
    )


def _back(request, dossier) -> str:
    """Where a posted message returns: the page it was written from (same site), else the thread."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("conversation:thread", args=[dossier.pk]) + "#dernier"


@login_required
@require_http_methods(["GET", "POST"])
def thread(request, pk):
    dossier = get_visible_or_404(
        request.user, pk, services.readable_dossiers(request.user).select_related("commune", "campaign")
    )
    form = MessageForm(request.POST or None, request.FILES or None)
    done, status = submitted(
        request,
        form,
        lambda: services.post_message(
            dossier, by=request.user, body=form.cleaned_data["body"], files=form.uploads()
        ),
        success=lambda _: "Message envoyé.",
        then=_back(request, dossier),
    )
    if done:
        return done
    messages_ = list(services.thread(dossier))
    previous = services.mark_read(request.user, dossier, messages_)
    context = {
        "title": f"Conversation — dossier {dossier.reference}",
        "nav": "dossiers",
        "dossier": dossier,
        "thread": messages_,
        "unread_above": previous,
        "form": form,
        "may_write": services.may_write(request.user, dossier),
    }
    return render(request, "conversation/thread.html", context, status=status)


@login_required
@require_GET
def attachment(request, pk, attachment_pk):
    """An attachment, only to whoever may see the dossier (never a public URL)."""
    dossier = get_visible_or_404(request.user, pk, services.readable_dossiers(request.user))
    found = Attachment.objects.filter(pk=attachment_pk, message__dossier=dossier).first()
    return uploaded_file(found, missing="Pièce jointe introuvable.")
