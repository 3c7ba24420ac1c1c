"""Who may see minors' data (the ages of the young participants, the signed participant list):
the porteur of the commune and the fund's services that need it — not the committee members, who
decide on counts, scores and amounts."""
from fonds.accounts.roles import Role, has_role

MINORS_DATA_ROLES = (Role.INSTRUCTEUR, Role.FINANCE, Role.AUDITEUR, Role.ADMIN)


def may_see_minors_data(user, dossier) -> bool:
    if has_role(user, *MINORS_DATA_ROLES):
        return True
    return has_role(user, Role.PORTEUR) and user.commune_id == dossier.commune_id
