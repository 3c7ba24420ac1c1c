"""The dossier's statuses and transitions — a public contract (API, exports, open data).

Names are stable English codes; labels are the French words the UI shows.
"""
from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SUBMITTED = "submitted", "Déposé"
    IN_INSTRUCTION = "in_instruction", "En instruction"
    CORRECTIONS_REQUESTED = "corrections_requested", "En attente de corrections"
    INELIGIBLE = "ineligible", "Irrecevable"
    CLOSED_WITHOUT_FOLLOW_UP = "closed_without_follow_up", "Classé sans suite"
    WITHDRAWN = "withdrawn", "Retiré"
    INSTRUCTED = "instructed", "Instruit"
    IN_COMMITTEE = "in_committee", "En comité"
    APPROVED = "approved", "Accordé"
    WAITLISTED = "waitlisted", "Liste complémentaire"
    REJECTED = "rejected", "Refusé"
    LAPSED = "lapsed", "Caduc"
    AGREEMENT_SIGNED = "agreement_signed", "Convention acceptée"
    ADVANCE_PAID = "advance_paid", "Avance versée"
    REPORT_SUBMITTED = "report_submitted", "Rapport final déposé"
    RECOVERY_PENDING = "recovery_pending", "Reversement demandé"
    CLOSED = "closed", "Soldé"


#: statuses in which a dossier is finished (the process ends there)
FINAL_STATUSES = frozenset(
    {
        Status.INELIGIBLE,
        Status.CLOSED_WITHOUT_FOLLOW_UP,
        Status.WITHDRAWN,
        Status.REJECTED,
        Status.LAPSED,
        Status.CLOSED,
    }
)

#: statuses that do not count as a "live" dossier for E7 (one live dossier per commune and campaign)
NOT_LIVE_STATUSES = frozenset({Status.WITHDRAWN, Status.CLOSED_WITHOUT_FOLLOW_UP, Status.CLOSED})

#: statuses in which the porteur may edit the dossier's content
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.CORRECTIONS_REQUESTED})

SYSTEM_ROLE = "system"
