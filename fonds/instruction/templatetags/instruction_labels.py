"""``{% dossier_labels dossier %}``: the labels panel of the instruction page (the fund's own
labels, never on a page of the commune), with its add and remove forms for those who may write."""

from __future__ import annotations

from django import template

from .. import labels
from ..label_forms import DossierLabelForm

register = template.Library()


@register.inclusion_tag("instruction/_labels.html", takes_context=True)
def dossier_labels(context, dossier):
    request = context["request"]
    can_edit = bool(getattr(request, "can_write", False)) and not context.get("conflicted")
    return {
        "dossier": dossier,
        "labels": labels.labels_of([dossier.pk]).get(dossier.pk, []),
        "form": DossierLabelForm(dossier=dossier) if can_edit else None,
        "can_edit": can_edit,
        "csrf_token": context.get("csrf_token"),
    }
