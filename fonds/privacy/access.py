"""Who may see minors' data, the one rule of every screen, PDF, export and the API: the porteur
of the commune and the fund's services that need them (instructors, finance, auditors,
administrators); not the committee, which sees counts. Pages ask ``{% may_see_minors_data
dossier as show_ages %}``; the API blanks the fields with ``redact_ages``."""

from fonds.accounts.roles import Role, has_role

MINORS_DATA_ROLES = (Role.INSTRUCTEUR, Role.FINANCE, Role.AUDITEUR, Role.ADMIN)

#: the participants' ages a dossier and a final report hold (what ``redact_ages`` blanks)
AGE_FIELDS = ("youth_ages", "leader_ages")


def may_see_minors_data(user, dossier) -> bool:
    """May ``user`` see the participants' ages and the signed participant list of ``dossier``?"""
    if has_role(user, *MINORS_DATA_ROLES):
        return True
    commune_id = getattr(user, "commune_id", None)
    return has_role(user, Role.PORTEUR) and commune_id is not None and commune_id == dossier.commune_id


def redact_ages(user, dossier, data: dict) -> dict:
    """``data`` (a serialised dossier or report) with the ages set to None when ``user`` may not
    see them: the counts stay (the API gives them beside)."""
    if user is None or not may_see_minors_data(user, dossier):
        for name in AGE_FIELDS:
            if name in data:
                data[name] = None
    return data
