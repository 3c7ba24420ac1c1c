"""``{% commune_history_panel dossier %}``: the commune's other dossiers on the instruction page
(``fonds.instruction.commune_history``, two queries whatever their number)."""

from __future__ import annotations

from django import template

from ..commune_history import commune_history

register = template.Library()


@register.inclusion_tag("instruction/_commune_history.html")
def commune_history_panel(dossier):
    history = commune_history(dossier.commune_id, current=dossier.pk)
    return {"dossier": dossier, "history": history, "totals": history.totals}
