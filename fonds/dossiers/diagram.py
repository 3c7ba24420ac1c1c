"""The dossier state diagram, generated from the django-fsm-2 transitions (docs/states.md)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .models import Dossier
from .states import FINAL_STATUSES, SYSTEM_ROLE, Status

DOC_PATH = Path(settings.BASE_DIR) / "docs" / "states.md"
ROLE_LABELS = {"porteur": "porteur", "instructeur": "instructeur", "comite": "comité", "finance": "finance", "admin": "admin", SYSTEM_ROLE: "système"}


def transitions():
    """(name, source, targets, roles, needs_motivation) in declaration order, one row per source."""
    rows = []
    for t in Dossier._meta.get_field("status").get_all_transitions(Dossier):
        target = t.target
        targets = list(getattr(target, "allowed_states", None) or [target])
        rows.append((t.name, t.source, targets, t.custom["roles"], t.custom["needs_motivation"], t.custom["label"]))
    return rows


def render() -> str:
    rows = transitions()
    lines = [
        "# Cycle de vie d'un dossier",
        "",
        "<!-- Généré par `python manage.py export_state_diagram` à partir des transitions django-fsm-2",
        "     de fonds/dossiers/models.py. Ne pas modifier à la main : un test vérifie la synchronisation. -->",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    for status in Status:
        lines.append(f"    {status.value} : {status.label}")
    lines.append(f"    [*] --> {Status.DRAFT.value}")
    for name, source, targets, roles, _, _ in rows:
        for target in targets:
            lines.append(f"    {source} --> {target} : {name}")
    for status in Status:
        if status in FINAL_STATUSES:
            lines.append(f"    {status.value} --> [*]")
    lines += ["```", "", "| transition | libellé | de | vers | qui | motivation |", "|---|---|---|---|---|---|"]
    merged: dict[str, list] = {}
    for name, source, targets, roles, motivation, label in rows:
        entry = merged.setdefault(name, [label, [], targets, roles, motivation])
        entry[1].append(source)
    for name, (label, sources, targets, roles, motivation) in merged.items():
        who = ", ".join(ROLE_LABELS.get(r, r) for r in roles)
        lines.append(f"| `{name}` | {label} | {', '.join(sources)} | {' ou '.join(targets)} | {who} | {'obligatoire' if motivation else '—'} |")
    lines += ["", "| statut | libellé | final |", "|---|---|---|"]
    for status in Status:
        lines.append(f"| `{status.value}` | {status.label} | {'oui' if status in FINAL_STATUSES else ''} |")
    return "\n".join(lines) + "\n"
