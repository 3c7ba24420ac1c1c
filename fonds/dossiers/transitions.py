"""The dossier's transition table, read from the model's ``@transition`` metadata: names, labels,
forums and the roles allowed there, and who may fire what (``acting_role``)."""

from __future__ import annotations

from fonds.accounts.roles import Role, roles_of
from fonds.refusals import Refused

from .models import Dossier
from .states import FORUM_WHERE, SYSTEM_ROLE, Forum, Status


class TransitionRefused(Refused):
    """A refused dossier transition (``fonds.refusals.Refused``: kind, French message, rules)."""


# ---- the transition table, read from the model ----------------------------------------------


def _collect():
    table = {}
    for t in Dossier._meta.get_field("status").get_all_transitions(Dossier):
        entry = table.setdefault(
            t.name, {"name": t.name, "sources": set(), "targets": set(), "custom": t.custom}
        )
        entry["sources"].add(t.source)
        # a status, or None when the transition decides it as it runs (``RETURN_VALUE``)
        entry["targets"].add(t.target if isinstance(t.target, str) else None)
    return table


TRANSITIONS: dict[str, dict] = _collect()


def transition_names() -> list[str]:
    return list(TRANSITIONS)


def transition_meta(name: str) -> dict:
    try:
        return TRANSITIONS[name]
    except KeyError:
        raise TransitionRefused("unknown", f"Transition inconnue : « {name} ».") from None


def fixed_target(name: str) -> str | None:
    """The status ``name`` always reaches, from any source; None when it decides as it runs
    (``settle``: closed, or recovery pending when the balance is negative)."""
    targets = transition_meta(name)["targets"]
    return next(iter(targets)) if len(targets) == 1 else None


def status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


def forums_of(name: str) -> dict:
    """``{forum: roles}``: where ``name`` may be fired, and by whom there."""
    return transition_meta(name)["custom"]["forums"]


def acting_role(user, name: str, dossier: Dossier, forum: str = Forum.DOSSIER) -> str | None:
    """The role under which ``user`` may fire ``name`` on ``dossier`` from ``forum`` (None: may not)."""
    allowed = forums_of(name).get(forum, ())
    if user is None:
        return SYSTEM_ROLE if SYSTEM_ROLE in allowed else None
    held = roles_of(user)
    for role in allowed:
        if role not in held:
            continue
        if role == Role.PORTEUR and user.commune_id != dossier.commune_id:
            continue
        if role == Role.COMITE and dossier.instructor_id == user.pk:
            continue  # never instruct and vote on the same dossier
        return role
    return None


def available_transitions(dossier: Dossier, user, forum: str = Forum.DOSSIER) -> list[dict]:
    """What this user may do now from ``forum`` (status, forum and role checked; conditions are
    checked on perform). The dossier's page and API list these, and nothing else."""
    result = []
    for name, entry in TRANSITIONS.items():
        if dossier.status in entry["sources"] and acting_role(user, name, dossier, forum):
            custom = entry["custom"]
            result.append(
                {
                    "name": name,
                    "label": custom["label"],
                    "needs_motivation": custom["needs_motivation"],
                    "confirm": custom["confirm"],
                }
            )
    return result


def forum_refusal(name: str, forum: str) -> TransitionRefused:
    """The refusal of ``name`` fired from ``forum`` when it belongs elsewhere: 409, with the code
    ``forum_<its forum>`` and where it is done, in French."""
    custom = transition_meta(name)["custom"]
    home = next(iter(custom["forums"]))
    return TransitionRefused(
        "forum",
        f"« {custom['label']} » ne se fait pas depuis {Forum(forum).label}. {FORUM_WHERE[home]}",
        code=f"forum_{home}",
    )


def require_forum(name: str, forum: str) -> None:
    """Refuse at once (before reading any input) a transition fired from a forum not its own."""
    if forum not in transition_meta(name)["custom"]["forums"]:
        raise forum_refusal(name, forum)
