"""Display helpers of the instruction pages."""
from django import template

from fonds.eligibilite.rules import euros as _euros

register = template.Library()

RESULT_BADGES = {"pass": "success", "fail": "error", "not_applicable": "info"}


@register.filter
def euros(value):
    """``15 000 €`` (French spacing); ``—`` for None."""
    if value is None or value == "":
        return "—"
    return _euros(value)


@register.filter
def result_badge(result: str) -> str:
    return RESULT_BADGES.get(result, "info")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current querystring with ``page`` replaced."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


#: French labels of the audit events the instruction writes (to add to fonds.web's EVENT_LABELS)
EVENT_LABELS = {
    "eligibility_overridden": "Verdict d'éligibilité écarté (dérogation motivée)",
    "scores_recorded": "Grille de notation enregistrée",
    "amount_proposed": "Montant proposé",
    "message_sent": "Message envoyé à la commune",
    "private_note_added": "Note interne ajoutée",
    "conflict_declared": "Lien déclaré avec une commune",
}


@register.filter
def event_label(action: str) -> str:
    from fonds.web.templatetags.fjj import action_label

    return EVENT_LABELS.get(action) or action_label(action)
