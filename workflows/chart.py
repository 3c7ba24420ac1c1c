"""Render the dossier flow for ``docs/``: an SVG chart (viewflow's layout) and a Markdown page.

Both are pure functions of ``workflows/flows.py`` and of the dossier state machine, so they can be
regenerated in memory and compared with the committed files (``tests/workflows/test_chart.py``).
``python manage.py export_flow_chart`` writes them.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.loader import get_template
from viewflow.workflow.chart import calc_layout_data
from viewflow.workflow.nodes import Function, StartHandle

from fonds.accounts.roles import Role
from fonds.dossiers.states import SYSTEM_ROLE, Status

from .flows import DossierFlow
from .nodes import QUEUE_LABELS, Ending, Route, Stage, fsm_exits

DOCS_DIR = Path(settings.BASE_DIR) / "docs"
GENERATED = (
    "Généré par « python manage.py export_flow_chart » depuis workflows/flows.py : ne pas modifier à la main."
)


def outputs() -> dict[Path, str]:
    """``{path: content}`` of every generated file."""
    return {DOCS_DIR / "flow.svg": render_svg(), DOCS_DIR / "flow.md": render_markdown()}


def render_svg() -> str:
    grid = calc_layout_data(DossierFlow)
    text = get_template("workflows/flow.svg").render({"grid": grid, "cells": grid.cells, "edges": grid.edges})
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip()) + "\n"


def ordered_nodes(flow_class=None) -> list:
    """Nodes in reading order: breadth-first from the start, branches in declaration order."""
    flow_class = flow_class or DossierFlow
    start = flow_class.start
    seen, queue = [start], [start]
    while queue:
        node = queue.pop(0)
        for edge in node._outgoing():
            if edge.dst not in seen:
                seen.append(edge.dst)
                queue.append(edge.dst)
    endings = [n for n in seen if isinstance(n, Ending)]
    others = [n for n in seen if not isinstance(n, Ending)]
    return others + endings


def _role_text(role: str) -> str:
    return "système" if role == SYSTEM_ROLE else Role(role).value


def _next_text(node) -> str:
    if isinstance(node, Ending):
        return f"fin ({node.outcome.label.lower()})"
    return f"`{node.name}`"


def _mermaid_id(node) -> str:
    # "end" is a keyword of Mermaid: ending ids are written in capitals
    return node.name.upper() if isinstance(node, Ending) else node.name


def _mermaid_label(text: str) -> str:
    return str(text).replace('"', "#quot;")


def _mermaid_node(node) -> str:
    ident, title = _mermaid_id(node), _mermaid_label(node.task_title)
    if isinstance(node, StartHandle):
        return f'{ident}(("{title}"))'
    if isinstance(node, Function):
        return f'{ident}[["{title}"]]'
    if isinstance(node, Stage):
        queues = " / ".join(QUEUE_LABELS[role] for role in node.roles)
        return f'{ident}["{title}<br/><i>{_mermaid_label(queues)}</i>"]'
    if isinstance(node, Route):
        return f'{ident}{{"{title}"}}'
    if isinstance(node, Ending):
        return f'{ident}(["{title}"])'
    return f'{ident}["{title}"]'


def render_markdown() -> str:
    flow_class = DossierFlow
    nodes = ordered_nodes(flow_class)
    lines = [
        f"<!-- {GENERATED} -->",
        f"# Processus d'un dossier — {flow_class.process_title}",
        "",
        flow_class.process_description,
        "",
        "Le processus suit la machine à états du dossier (`fonds/dossiers/models.py`) : chaque étape humaine",
        "est un statut d'attente du dossier ; elle se termine quand une transition est exécutée par",
        "`fonds.dossiers.services.perform`, et l'aiguillage qui la suit lit le nouveau statut.",
        "Source : `workflows/flows.py`. Diagramme : [flow.svg](flow.svg).",
        "",
        "## Étapes humaines",
        "",
        "| étape | le dossier attend en statut | file (qui agit) | échéance "
        "| transition (rôle) → nouveau statut → suite |",
        "|---|---|---|---|---|",
    ]
    for stage in (n for n in nodes if isinstance(n, Stage)):
        route = stage._next
        targets = route.targets() if isinstance(route, Route) else {}
        exits = []
        for exit_ in fsm_exits(stage.waits_in):
            roles = ", ".join(_role_text(r) for r in exit_["roles"])
            for target in exit_["targets"]:
                nxt = targets.get(target)
                exits.append(
                    f"`{exit_['name']}` ({roles}) → {target.label} → "
                    f"{_next_text(nxt) if nxt else '**non routé**'}"
                )
        queues = " ; ".join(QUEUE_LABELS[role] for role in stage.roles)
        assigned = " (attribuée à l'instructeur du dossier)" if stage._assign_to else ""
        deadline = f"`{stage.deadline_field}`" if stage.deadline_field else "—"
        lines.append(
            f"| **{stage.task_title}** (`{stage.name}`) | {stage.waits_in.label} (`{stage.waits_in.value}`) "
            f"| {queues}{assigned} | {deadline} | {'<br>'.join(exits)} |"
        )
    lines += [
        "",
        "## Étapes système",
        "",
        f"- **{flow_class.start.task_title}** (`start`) : démarré par la transition `submit` "
        f"(statut « {Status.SUBMITTED.label} »).",
        f"- **{flow_class.check_eligibility.task_title}** (`check_eligibility`) : "
        f"{flow_class.check_eligibility.task_description}",
        "- **Échéances** : la tâche Celery horaire `workflows.tasks.expire_deadlines` "
        "exécute les transitions système",
        "  `expire_corrections` (après `corrections_due`) et `lapse` (après `agreement_due`).",
        "",
        "## Fins du processus",
        "",
    ]
    for ending in (n for n in nodes if isinstance(n, Ending)):
        lines.append(f"- `{ending.name}` : {ending.outcome.label} (`{ending.outcome.value}`)")
    lines += ["", "## Diagramme", "", "```mermaid", "flowchart TD"]
    for node in nodes:
        lines.append(f"    {_mermaid_node(node)}")
    for node in nodes:
        for edge in node._outgoing():
            label = f'|"{_mermaid_label(edge.label)}"|' if edge.label else ""
            lines.append(f"    {_mermaid_id(edge.src)} -->{label} {_mermaid_id(edge.dst)}")
    lines += ["```", ""]
    return "\n".join(lines)


def write(directory: Path | None = None) -> list[Path]:
    """Write the generated files (into ``directory`` instead of ``docs/`` if given)."""
    written = []
    for path, content in outputs().items():
        target = (directory / path.name) if directory else path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        written.append(target)
    return written
