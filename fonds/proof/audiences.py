"""Who reads which version of the complete dossier. The audience decides what the PDF holds:
the committee's version has no private notes of the instructors; the auditor's holds everything,
down to the audit events of those notes (their fingerprints, never their text elsewhere)."""

from __future__ import annotations

from enum import StrEnum

from fonds.accounts.roles import Role, roles_of


class Audience(StrEnum):
    INSTRUCTEUR = "instructeur"
    COMITE = "comite"
    AUDITEUR = "auditeur"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def private_notes(self) -> bool:
        """The instructors' private notes (never the committee's reading)."""
        return self in (Audience.INSTRUCTEUR, Audience.AUDITEUR)

    @property
    def confidential_opinions(self) -> bool:
        """Expert opinions kept for the fund; the committee reads only those shared with it."""
        return self in (Audience.INSTRUCTEUR, Audience.AUDITEUR)

    @property
    def note_events(self) -> bool:
        """The audit events of the private notes (they are about the note, not the dossier)."""
        return self is Audience.AUDITEUR


LABELS = {
    Audience.INSTRUCTEUR: "version de l'instruction",
    Audience.COMITE: "version du comité (sans les notes internes)",
    Audience.AUDITEUR: "version de l'audit (intégrale)",
}

#: the roles that may ask for and download each version (the administrator reads them all)
READERS = {
    Audience.INSTRUCTEUR: frozenset({Role.INSTRUCTEUR, Role.ADMIN}),
    Audience.COMITE: frozenset({Role.COMITE, Role.ADMIN}),
    Audience.AUDITEUR: frozenset({Role.AUDITEUR, Role.ADMIN}),
}


def audience_or_none(value: str) -> Audience | None:
    try:
        return Audience(value)
    except ValueError:
        return None


def may_read(user, audience: Audience) -> bool:
    return bool(roles_of(user) & READERS[audience])


def audiences_for(user) -> list[Audience]:
    """The versions ``user`` may have, in a stable order (the dossier page lists them)."""
    return [audience for audience in Audience if may_read(user, audience)]
