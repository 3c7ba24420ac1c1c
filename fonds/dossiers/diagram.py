"""The dossier state diagram, generated from the django-fsm-2 transitions (docs/states.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .models import Dossier
from .states import FINAL_STATUSES, SYSTEM_ROLE, Forum, Status

DOC_PATH = Path(settings.BASE_DIR) / "docs" / "states.md"
ROLE_LABELS = {
    "porteur": "porteur",
    "instructeur": "instructeur",
    "comite": "comité",
    "finance": "finance",
    "admin": "admin",
    SYSTEM_ROLE: "système",
}


def transitions():
    """(name, source, targets, forums, needs_motivation, label) in declaration order, one row per
    source; ``forums`` is ``{forum: roles}``."""
    rows = []
    for t in Dossier._meta.get_field("status").get_all_transitions(Dossier):
        target = t.target
        targets = list(getattr(target, "allowed_states", None) or [target])
        rows.append(
            (t.name, t.source, targets, t.custom["forums"], t.custom["needs_motivation"], t.custom["label"])
        )
    return rows


def forum_text(forums: dict) -> str:
    """« où : qui » for the table, e.g. « séance du comité (issue d'un vote) : comité »."""
    return " ; ".join(
        f"{Forum(forum).label} : {', '.join(ROLE_LABELS.get(r, r) for r in roles)}"
        for forum, roles in forums.items()
    )


def render() -> str:
    rows = transitions()
    lines = [
        "# Cycle de vie d'un dossier",
        "",
        "<!-- Généré par `python manage.py export_state_diagram` à partir des transitions django-fsm-2",
        "     de fonds/dossiers/models.py. "
        "Ne pas modifier à la main : un test vérifie la synchronisation. -->",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    for status in Status:
        lines.append(f"    {status.value} : {status.label}")
    lines.append(f"    [*] --> {Status.DRAFT.value}")
    for name, source, targets, _, _, _ in rows:
        for target in targets:
            lines.append(f"    {source} --> {target} : {name}")
    for status in Status:
        if status in FINAL_STATUSES:
            lines.append(f"    {status.value} --> [*]")
    lines += [
        "```",
        "",
        "Chaque transition a son **forum** : l'endroit d'où elle se déclenche, "
        "et qui peut l'y déclencher. Rien",
        "d'autre ne la déclenche (`perform(..., forum=...)` refuse, "
        "l'API répond 409 avec le code `forum_…`).",
        "",
        "| transition | libellé | de | vers | forum : qui | motivation |",
        "|---|---|---|---|---|---|",
    ]
    merged: dict[str, list] = {}
    for name, source, targets, forums, motivation, label in rows:
        entry = merged.setdefault(name, [label, [], targets, forums, motivation])
        entry[1].append(source)
    for name, (label, sources, targets, forums, motivation) in merged.items():
        lines.append(
            f"| `{name}` | {label} | {', '.join(sources)} | {' ou '.join(targets)} "
            f"| {forum_text(forums)} | {'obligatoire' if motivation else '—'} |"
        )
    lines += ["", "| statut | libellé | final |", "|---|---|---|"]
    for status in Status:
        lines.append(f"| `{status.value}` | {status.label} | {'oui' if status in FINAL_STATUSES else ''} |")
    return "\n".join(lines) + "\n"
