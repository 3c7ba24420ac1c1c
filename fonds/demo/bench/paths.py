"""The statuses of a campaign's dossiers, in the proportions of a real campaign, and the path of
transitions (from the draft) that leads to each: the audit events of its life."""

from __future__ import annotations

from fonds.accounts.roles import Role
from fonds.dossiers.states import Status as S

_INSTRUCTED = ["submit", "start_instruction", "complete_instruction"]
_APPROVED = [*_INSTRUCTED, "schedule", "approve"]
_PAID = [*_APPROVED, "accept_agreement", "pay_advance"]
#: status → (weight, path of transitions from the draft)
PATHS = {
    S.DRAFT: (8, []),
    S.SUBMITTED: (30, ["submit"]),
    S.IN_INSTRUCTION: (14, ["submit", "start_instruction"]),
    S.CORRECTIONS_REQUESTED: (5, ["submit", "start_instruction", "request_corrections"]),
    S.INELIGIBLE: (3, ["submit", "declare_ineligible"]),
    S.CLOSED_WITHOUT_FOLLOW_UP: (
        1,
        ["submit", "start_instruction", "request_corrections", "expire_corrections"],
    ),
    S.WITHDRAWN: (2, ["submit", "withdraw"]),
    S.INSTRUCTED: (9, _INSTRUCTED),
    S.IN_COMMITTEE: (4, [*_INSTRUCTED, "schedule"]),
    S.APPROVED: (4, _APPROVED),
    S.WAITLISTED: (2, [*_INSTRUCTED, "schedule", "waitlist"]),
    S.REJECTED: (5, [*_INSTRUCTED, "schedule", "reject"]),
    S.LAPSED: (1, [*_APPROVED, "lapse"]),
    S.AGREEMENT_SIGNED: (3, [*_APPROVED, "accept_agreement"]),
    S.ADVANCE_PAID: (4, _PAID),
    S.REPORT_SUBMITTED: (2, [*_PAID, "submit_report"]),
    S.RECOVERY_PENDING: (1, [*_PAID, "submit_report", "settle"]),
    S.CLOSED: (2, [*_PAID, "submit_report", "settle"]),
}

ROLE_OF = {
    "submit": Role.PORTEUR,
    "withdraw": Role.PORTEUR,
    "accept_agreement": Role.PORTEUR,
    "submit_report": Role.PORTEUR,
    "approve": Role.COMITE,
    "reject": Role.COMITE,
    "waitlist": Role.COMITE,
    "pay_advance": Role.FINANCE,
    "settle": Role.FINANCE,
    "recover": Role.FINANCE,
    "expire_corrections": "system",
    "lapse": "system",
}

TARGETS = {
    "submit": S.SUBMITTED,
    "start_instruction": S.IN_INSTRUCTION,
    "request_corrections": S.CORRECTIONS_REQUESTED,
    "complete_instruction": S.INSTRUCTED,
    "schedule": S.IN_COMMITTEE,
    "approve": S.APPROVED,
    "accept_agreement": S.AGREEMENT_SIGNED,
    "pay_advance": S.ADVANCE_PAID,
    "submit_report": S.REPORT_SUBMITTED,
    "settle": S.RECOVERY_PENDING,  # when "recover" follows
}

#: statuses whose dossier the committee granted (an approved amount, a decision letter)
GRANTED = {
    S.APPROVED,
    S.LAPSED,
    S.AGREEMENT_SIGNED,
    S.ADVANCE_PAID,
    S.REPORT_SUBMITTED,
    S.RECOVERY_PENDING,
    S.CLOSED,
}
#: statuses whose advance was paid
ADVANCED = {S.ADVANCE_PAID, S.REPORT_SUBMITTED, S.RECOVERY_PENDING, S.CLOSED}
OUTCOME_OF = {"approve": "approved", "reject": "rejected", "waitlist": "waitlisted"}

TITLES = [
    "Échange de jeunes avec notre ville jumelle",
    "Semaine sportive franco-allemande",
    "Chantier de jeunes européens",
    "Festival de musique des villes jumelles",
    "Découverte du patrimoine partagé",
    "Rencontre théâtrale des jeunes",
    "Séjour linguistique croisé",
]
