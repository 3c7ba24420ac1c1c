"""The site-wide filters: French labels for audit actions and roles, the French display of
amounts, numbers, distances, populations and dates (``fonds.formats``) for every template, and the
entries of a form's error summary (``web/_form_errors.html``)."""

from decimal import InvalidOperation

from django import template

from fonds import formats
from fonds.accounts.roles import Role
from fonds.dossiers.services import TRANSITIONS
from fonds.ui.forms import errors_summary

register = template.Library()

EVENT_LABELS = {
    "create_draft": "Création du brouillon",
    "public_texts_saved": "Textes publics du projet enregistrés",
    "public_texts_hidden": "Textes publics du projet masqués par le fonds",
    "public_texts_shown": "Textes publics du projet rétablis par le fonds",
    "update_content": "Modification du dossier",
    "document_uploaded": "Dépôt d'une pièce",
    "dossier_rules_version_changed": "Version du règlement applicable au dossier changée",
    "eligibility_checked": "Contrôle d'éligibilité",
    "login_failed": "Échec de connexion",
    "login_locked_out": "Connexion bloquée après des échecs répétés",
    "convention_generated": "Convention établie",
    "final_report_saved": "Rapport final enregistré (brouillon)",
    "eligibility_overridden": "Verdict d'éligibilité écarté (dérogation motivée)",
    "scores_recorded": "Grille de notation enregistrée",
    "amount_proposed": "Montant proposé",
    "message_sent": "Message envoyé à la commune",
    "message_posted": "Message de la conversation",
    "private_note_added": "Note interne ajoutée",
    "conflict_declared": "Lien déclaré avec une commune",
    "label_created": "Étiquette créée",
    "label_attached": "Étiquette posée sur un dossier",
    "label_detached": "Étiquette retirée d'un dossier",
    "jumelage_saved": "Partenariat enregistré",
    "receipt_generated": "Récépissé de dépôt établi",
    "receipt_sent": "Récépissé envoyé par courriel",
    "complete_dossier_generated": "Dossier complet établi (PDF scellé)",
    "campaign_archive_built": "Archive de campagne constituée",
    "invitation_sent": "Invitation envoyée",
    "invitation_accepted": "Invitation acceptée (mot de passe choisi)",
    "password_reset": "Mot de passe réinitialisé",
    "reminder_sent": "Relance envoyée par courriel",
    "report_overdue": "Rapport final en retard",
    "assign_instructor": "Dossier attribué à un instructeur",
    "minors_data_purged": "Données des mineurs purgées (durée de conservation écoulée)",
    "two_factor_enrolled": "Double authentification activée",
    "two_factor_failed": "Code de double authentification refusé",
    "two_factor_reset": "Double authentification réinitialisée",
    # accounts administration and ProConnect (fonds.accounts.lifecycle, proconnect)
    "account_invited": "Compte créé et invité",
    "account_deactivated": "Compte désactivé",
    "account_reactivated": "Compte réactivé",
    "account_roles_changed": "Rôles du compte modifiés",
    "proconnect_linked": "Compte lié à une identité ProConnect",
    "proconnect_sign_in": "Connexion avec ProConnect",
    "proconnect_unlinked": "Compte délié de son identité ProConnect",
    "export_decisions": "Export des décisions",
    # expert opinions (fonds.avis, issue 20)
    "expert_account_created": "Compte d'expert créé pour une demande d'avis",
    "avis_requested": "Avis demandé à un expert",
    "avis_answered": "Avis rendu par l'expert",
    "avis_reminded": "Expert relancé avant la date limite de son avis",
    "avis_cancelled": "Demande d'avis annulée",
    "avis_expired": "Demande d'avis close (date limite passée)",
    # administration (fonds.administration): campaigns, rules, grid, texts; data loaded by commands
    "campaign_cloned": "Campagne créée par copie d'une campagne précédente",
    "campaign_adjusted": "Campagne modifiée avant l'ouverture de son dépôt",
    "campaign_window_opened": "Dépôt des dossiers ouvert",
    "campaign_window_extended": "Dépôt des dossiers prolongé",
    "campaign_envelope_topped_up": "Enveloppe de la campagne abondée",
    "ruleset_published": "Nouvelle version des règles publiée",
    "scoring_grid_changed": "Grille de notation modifiée",
    "document_texts_changed": "Textes des documents modifiés",
    "referentiel.campaign_created": "Campagne créée",
    "referentiel.communes_imported": "Référentiel des communes importé",
    "demo.seeded": "Données de démonstration créées",
    "email_sent": "Courriel envoyé",
    "export_audit": "Export de la piste d'audit",
    # committee
    "comite_session_created": "Séance du comité créée",
    "comite_agenda_built": "Ordre du jour établi",
    "comite_deputy_chair_changed": "Président de séance suppléant désigné ou modifié",
    "comite_convocation": "Convocation envoyée",
    "comite_convocation_sent": "Convocation envoyée à un membre",
    "comite_proxy_given": "Procuration donnée",
    "comite_proxy_revoked": "Procuration retirée",
    "comite_conflict_declared": "Conflit d'intérêts déclaré (déport)",
    "comite_sitting_opened": "Séance ouverte",
    "comite_attendance": "Émargement",
    "comite_vote_opened": "Vote ouvert",
    "comite_vote_cast": "Vote exprimé",
    "comite_vote_refused": "Vote refusé",
    "comite_read_refused": "Consultation refusée (membre déporté)",
    "comite_vote_closed": "Vote clos",
    "comite_outcome": "Décision du comité",
    "comite_adjourned": "Séance ajournée faute de quorum",
    "comite_session_closed": "Séance close (procès-verbal établi)",
    "comite_promotion_proposed": "Promotion proposée (liste complémentaire)",
    "comite_promotion_notified": "Promotion signalée aux administrateurs",
    "comite_promotion_refused": "Promotion impossible depuis la liste complémentaire",
    "comite_agenda_repaired": "Ordre du jour réparé (dossiers orphelins remis à l'état instruit)",
    "comite_session_rescheduled": "Date de la séance modifiée",
    "comite_session_members_updated": "Membres de la séance mis à jour (composition du comité)",
    "comite_composition_appointed": "Membres nommés dans la composition du comité",
    "comite_composition_removed": "Membre retiré de la composition du comité",
    "decision_letter_generated": "Lettre de décision établie",
    "decision_letter_sent": "Lettre de décision envoyée",
    # payments
    "bank_details_set": "Coordonnées bancaires enregistrées",
    "bank_details_changed": "Coordonnées bancaires modifiées (paiements suspendus)",
    "bank_details_certified": "Coordonnées bancaires certifiées (service fait)",
    "bank_details_rejected": "Coordonnées bancaires refusées",
    "payment_order_created": "Ordre de paiement émis",
    "payment_order_certified": "Ordre de paiement certifié",
    "payment_order_suspended": "Ordre de paiement suspendu",
    "payment_order_cancelled": "Ordre de paiement annulé",
    "payment_order_reissued": "Ordre de paiement réémis",
    "payment_order_paid": "Paiement effectué",
    "payment_returned": "Virement rejeté par la banque",
    "balance_order_reissued": "Ordre de solde réémis",
    "final_report_accepted": "Rapport final accepté",
    "batch_built": "Lot de virements constitué",
    "batch_exported": "Fichier SEPA du lot produit",
    "batch_sent": "Lot transmis à la banque",
    "batch_executed": "Lot exécuté",
    "batch_cancelled": "Lot annulé",
    "recovery_answered": "Réponse du maire à l'ordre de reversement",
    "notification_preferences_changed": "Préférences de notification modifiées",
    "notification_email_sent": "Notification envoyée par courriel",
    "recovery_made_final": "Ordre de reversement rendu définitif",
    "recovery_received": "Reversement reçu",
    "recovery_written_off": "Reversement admis en non-valeur",
    "recovery_notice_sent": "Avis de reversement envoyé par courriel",
    "bank_rejection_notice_sent": "Refus des coordonnées bancaires envoyé par courriel",
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
    "unschedule": "Retiré de l'ordre du jour du comité",
    "renounce": "Renonciation de la commune à l'aide",
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
ROLE_LABELS = {
    **dict(Role.choices),
    "system": "Système",
    "": "Système",
    # the committee's roles in a sitting (fonds.comite.guards / reading)
    "president": "Président de séance",
    "president_suppleant": "Président suppléant de séance",
}


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


def _shown(function, value, *args, empty: str = "—", **kwargs) -> str:
    """``function(value)``, ``empty`` for no value, the value as it is when it is not a number."""
    if value is None or value == "":
        return empty
    try:
        return function(value, *args, **kwargs)
    except (InvalidOperation, ValueError, TypeError, AttributeError):
        return str(value)


@register.filter
def euros(value) -> str:
    """``15 000 €``, ``4 252,50 €``; ``—`` when empty."""
    return _shown(formats.euros, value)


@register.filter
def number(value, decimals=None) -> str:
    """``3 500``; ``{{ x|number:2 }}`` gives ``5 700,00`` (table columns); ``—`` when empty."""
    return _shown(formats.number, value, None if decimals in (None, "") else int(decimals))


@register.filter
def pct(value) -> str:
    """``12,5 %``; ``—`` when empty."""
    return _shown(formats.pct, value)


@register.filter
def km(value) -> str:
    """``1 200 km``; ``distance inconnue`` when empty."""
    return _shown(formats.km, value, empty="distance inconnue")


@register.filter
def inhabitants(value) -> str:
    """``1 541 habitants``; ``population inconnue`` when empty."""
    return _shown(formats.inhabitants, value, empty="population inconnue")


@register.filter
def long_date(value) -> str:
    """``5 décembre 2026``, ``1er mars 2027``; ``—`` when empty."""
    return _shown(formats.long_date, value)


@register.simple_tag
def form_errors(*forms) -> list[dict]:
    """The error summary's entries of ``forms`` (``fonds.ui.forms.errors_summary``); a name the page
    does not define (no form) gives none."""
    return errors_summary(*(form for form in forms if hasattr(form, "errors")))
