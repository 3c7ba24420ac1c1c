"""An instructor's declared links with communes (conflicts of interest): their dossiers are no
longer offered to them."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from fonds.ui.submit import submitted

from .. import services
from ..forms import ConflictForm
from ..models import InstructorConflict
from .common import staff_area


@staff_area
@require_http_methods(["GET", "POST"])
def conflicts(request):
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and not request.can_instruct:
        messages.error(request, "Seuls les instructeurs déclarent des liens avec une commune.")
        status = 403
    else:
        done, status = submitted(
            request,
            form,
            lambda: services.declare_conflict(
                request.user, form.cleaned_data["commune"], motivation=form.cleaned_data["motivation"]
            ),
            success=lambda conflict: (
                f"Lien déclaré avec {conflict.commune.name} : ses dossiers ne vous seront plus proposés."
            ),
            then="instruction:conflicts",
        )
        if done:
            return done
    declared = InstructorConflict.objects.filter(user=request.user).select_related("commune")
    return render(
        request,
        "instruction/conflicts.html",
        {"title": "Mes liens déclarés", "nav": "instruction", "form": form, "declared": declared},
        status=status,
    )
