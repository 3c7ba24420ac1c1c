"""French labels for audit actions and roles, shared by every page that shows the trail."""
from django import template

from fonds.accounts.roles import Role
from fonds.dossiers.services import TRANSITIONS

register = template.Library()

EVENT_LABELS = {
    "create_draft": "Création du brouillon",
    "update_content": "Modification du dossier",
    "document_uploaded": "Dépôt d'une pièce",
    "eligibility_checked": "Contrôle d'éligibilité",
    "login_failed": "Échec de connexion",
    "convention_generated": "Convention établie",
    "final_report_saved": "Rapport final enregistré (brouillon)",
    "eligibility_overridden": "Verdict d'éligibilité écarté (dérogation motivée)",
    "scores_recorded": "Grille de notation enregistrée",
    "amount_proposed": "Montant proposé",
    "message_sent": "Message envoyé à la commune",
    "private_note_added": "Note interne ajoutée",
    "conflict_declared": "Lien déclaré avec une commune",
    "jumelage_saved": "Partenariat enregistré",
    "receipt_generated": "Récépissé de dépôt établi",
    "receipt_sent": "Récépissé envoyé par courriel",
    "invitation_sent": "Invitation envoyée",
    "invitation_accepted": "Invitation acceptée (mot de passe choisi)",
    "password_reset": "Mot de passe réinitialisé",
}
# past-tense labels of the transitions, as the timeline tells what happened
TRANSITION_EVENTS = {
    "submit": "Dossier déposé",
    "withdraw": "Dossier retiré",
    "start_instruction": "Instruction ouverte",
    "request_corrections": "Corrections demandées",
    "resubmit": "Dossier corrigé renvoyé",
    "expire_corrections": "Classé sans suite (délai expiré)",
    "declare_ineligible": "Déclaré irrecevable",
    "complete_instruction": "Instruction terminée",
    "reopen_instruction": "Instruction rouverte",
    "schedule": "Inscrit à l'ordre du jour du comité",
    "approve": "Subvention accordée",
    "reject": "Demande refusée",
    "waitlist": "Inscrit en liste complémentaire",
    "defer": "Examen ajourné",
    "promote": "Promu de la liste complémentaire",
    "accept_agreement": "Convention acceptée",
    "lapse": "Attribution caduque",
    "pay_advance": "Avance versée",
    "submit_report": "Rapport final déposé",
    "settle": "Dossier soldé",
    "recover": "Reversement constaté",
}
ROLE_LABELS = {**dict(Role.choices), "system": "Système", "": "Système"}


@register.filter
def action_label(action: str) -> str:
    if action in TRANSITION_EVENTS:
        return TRANSITION_EVENTS[action]
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    if action in TRANSITIONS:
        return TRANSITIONS[action]["custom"]["label"]
    return action


@register.filter
def role_label(role: str) -> str:
    return ROLE_LABELS.get(role or "", role)
