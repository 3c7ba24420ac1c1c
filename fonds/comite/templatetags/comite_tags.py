"""Display helpers of the comité pages (badges, names, French labels of the comité's audit events)."""

from django import template

register = template.Library()

OUTCOME_BADGES = {
    "approved": "success",
    "waitlisted": "warning",
    "rejected": "error",
    "deferred": "info",
    "": "new",
}
VOTE_STATE_BADGES = {"pending": "info", "open": "new", "closed": "success"}
SESSION_BADGES = {
    "planned": "info",
    "convened": "new",
    "sitting": "warning",
    "closed": "success",
    "adjourned": "error",
}
PRESENCE_LABELS = {
    "present": "Présent",
    "represented": "Représenté (procuration)",
    "absent": "Absent",
    None: "Non renseigné",
    "": "Non renseigné",
}

#: French labels of the comité's audit events (the timeline filter falls back to the code)
EVENT_LABELS = {
    "comite_session_created": "Séance du comité créée",
    "comite_agenda_built": "Ordre du jour établi",
    "comite_deputy_chair_changed": "Président de séance suppléant désigné ou modifié",
    "comite_convocation": "Convocation envoyée",
    "comite_convocation_sent": "Convocation envoyée par courriel",
    "comite_proxy_given": "Procuration donnée",
    "comite_proxy_revoked": "Procuration retirée",
    "comite_conflict_declared": "Conflit d'intérêts déclaré (déport)",
    "comite_read_refused": "Lecture refusée (membre déporté)",
    "comite_sitting_opened": "Séance ouverte",
    "comite_attendance": "Émargement",
    "comite_vote_opened": "Vote ouvert",
    "comite_vote_cast": "Vote exprimé",
    "comite_vote_refused": "Vote refusé (membre déporté)",
    "comite_vote_closed": "Vote clos",
    "comite_outcome": "Décision du comité",
    "comite_adjourned": "Séance ajournée (quorum non atteint)",
    "comite_session_closed": "Séance close, procès-verbal établi",
    "comite_session_rescheduled": "Date de la séance modifiée",
    "comite_session_members_updated": "Membres de la séance mis à jour (composition du comité)",
    "comite_composition_appointed": "Membres nommés dans la composition du comité",
    "comite_composition_removed": "Membre retiré de la composition du comité",
}


@register.filter
def outcome_badge(outcome) -> str:
    return OUTCOME_BADGES.get(outcome or "", "info")


@register.filter
def vote_state_badge(state) -> str:
    return VOTE_STATE_BADGES.get(state, "info")


@register.filter
def session_badge(status) -> str:
    return SESSION_BADGES.get(status, "info")


@register.filter
def presence_label(value) -> str:
    return PRESENCE_LABELS.get(value, value)


@register.filter
def person(user) -> str:
    """« Prénom Nom » or the email address."""
    if user is None:
        return "—"
    return user.display_name


@register.filter
def comite_event(action: str) -> str:
    return EVENT_LABELS.get(action, action)
