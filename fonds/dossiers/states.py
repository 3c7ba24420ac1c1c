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
    RENOUNCED = "renounced", "Renoncé"


class Forum(models.TextChoices):
    """Where a transition may be fired. A role says who may act; the forum says where: nothing
    else can fire the transition (``fonds.dossiers.services.perform(..., forum=...)``)."""

    DOSSIER = "dossier", "les écrans et l'API du dossier"
    COMMITTEE_SITTING = "committee_sitting", "une séance du comité, comme issue d'un vote"
    WAITING_LIST = "waiting_list", "la liste complémentaire, dans l'ordre du classement"
    PAYMENTS = "payments", "les services de paiement"
    SYSTEM = "system", "le système (échéances et commandes d'exploitation)"


#: where each forum's transitions are done, for the refusal a wrong entry point gets
FORUM_WHERE = {
    Forum.DOSSIER: "Cette action se fait depuis la page du dossier ou l'API du dossier.",
    Forum.COMMITTEE_SITTING: (
        "Cette décision ne se prend qu'en séance du comité, comme issue d'un vote sur le point de "
        "l'ordre du jour : page « Comité » › la séance en cours › le dossier."
    ),
    Forum.WAITING_LIST: (
        "La promotion depuis la liste complémentaire est automatique, strictement dans l'ordre du "
        "classement, dès que l'enveloppe le permet (page « Comité » › « Enveloppes et liste "
        "complémentaire »)."
    ),
    Forum.PAYMENTS: "Cela se constate dans l'espace « Paiements » (lots de virements, solde, reversements).",
    Forum.SYSTEM: (
        "Cela ne se fait que par le système : les échéances automatiques du fonds "
        "et ses commandes d'exploitation auditées."
    ),
}


#: statuses in which a dossier is finished (the process ends there)
FINAL_STATUSES = frozenset(
    {
        Status.INELIGIBLE,
        Status.CLOSED_WITHOUT_FOLLOW_UP,
        Status.WITHDRAWN,
        Status.REJECTED,
        Status.LAPSED,
        Status.CLOSED,
        Status.RENOUNCED,
    }
)

#: statuses that do not count as a "live" dossier for E7 (one live dossier per commune and campaign)
NOT_LIVE_STATUSES = frozenset({Status.WITHDRAWN, Status.CLOSED_WITHOUT_FOLLOW_UP, Status.CLOSED})

#: statuses in which the porteur may edit the dossier's content
EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.CORRECTIONS_REQUESTED})

SYSTEM_ROLE = "system"
