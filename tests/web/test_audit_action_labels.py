"""Every audit action the code writes has a French label (the ``action_label`` filter): no page
shows « campaign_window_opened ». The action names are collected from the source of ``fonds/``
(AST): the first argument (or ``action=``) of ``audit.append`` / ``chain.append``, the
``"action"`` of the entries given to ``append_many``, the transition named to ``perform``, and
the literals handed to any function or class of ``fonds/`` that takes an ``action`` /
``audit_action`` / ``audit`` parameter (``store_once(audit=…)``, ``transition_audited``…)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fonds.ui.templatetags.fjj import action_label

ROOT = Path(__file__).resolve().parents[2] / "fonds"
PARAMS = ("action", "audit_action", "audit")
ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")
MODULES = sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def _literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _takers(trees) -> tuple[dict[str, tuple[int | None, str]], set]:
    """Functions and classes of fonds/ taking an action parameter: name → (positional index,
    parameter), and the literal defaults of those parameters (``action="ruleset_published"``)."""
    found, defaults = {}, set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                init = next(
                    (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
                )
                if init is not None:
                    found.update(_params(node.name, init, defaults))
            elif isinstance(node, ast.FunctionDef) and node.name not in ("__init__", "append", "append_many"):
                found.update(_params(node.name, node, defaults))
    return found, defaults


def _params(name: str, func: ast.FunctionDef, defaults: set) -> dict:
    args = func.args
    positional = args.posonlyargs + args.args
    names = [a.arg for a in positional]
    offset = 1 if names and names[0] in ("self", "cls") else 0
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    defaults.update(_literal(default) for arg, default in pairs if arg.arg in PARAMS)
    for param in PARAMS:
        if param in names or param in [a.arg for a in args.kwonlyargs]:
            return {name: (names.index(param) - offset if param in names else None, param)}
    return {}


def _actions_of(tree, takers, *, audits: bool) -> set[str]:
    """``audits``: the module imports the audit chain (its ``"action"`` dict keys are entries)."""
    actions = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _called_name(node)
            owner = (
                node.func.value.id
                if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                else None
            )
            if name == "append" and owner in ("audit", "chain"):
                actions.add(_literal(node.args[0]) if node.args else None)
                actions.update(_literal(k.value) for k in node.keywords if k.arg == "action")
            elif name in ("perform", "perform_many") and len(node.args) > 1:
                actions.add(_literal(node.args[1]))
            elif name == "dict" and audits:
                actions.update(_literal(k.value) for k in node.keywords if k.arg == "action")
            elif name in takers:
                index, param = takers[name]
                if index is not None and len(node.args) > index:
                    actions.add(_literal(node.args[index]))
                actions.update(_literal(k.value) for k in node.keywords if k.arg == param)
        elif isinstance(node, ast.Dict) and audits:
            for key, value in zip(node.keys, node.values, strict=True):
                if key is not None and _literal(key) == "action":
                    actions.add(_literal(value))
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            target = node.targets[0].id
            if target == "audit_action" or target.endswith("_ACTION"):
                actions.add(_literal(node.value))
    return actions


def written_actions() -> dict[str, str]:
    """Every literal action name of fonds/ → a module writing it."""
    sources = {path: path.read_text(encoding="utf-8") for path in MODULES}
    trees = {path: ast.parse(source) for path, source in sources.items()}
    takers, defaults = _takers(trees.values())
    found = {action: "a default argument" for action in defaults - {None} if ACTION_NAME.match(action)}
    for path, tree in trees.items():
        audits = "fonds.audit" in sources[path] or "import chain" in sources[path]
        for action in _actions_of(tree, takers, audits=audits) - {None}:
            if ACTION_NAME.match(action):
                found.setdefault(action, str(path.relative_to(ROOT.parent)))
    return found


def test_the_collector_finds_the_actions_written_in_every_way():
    found = written_actions()
    assert found["account_invited"] == "fonds/depot/account_admin/csv_import.py"  # audit.append(literal)
    assert "receipt_generated" in found  # store_once(audit=…)
    assert "recovery_received" in found  # transition_audited(locked, name, action)
    assert "login_locked_out" in found  # LOCKOUT_ACTION = …
    assert "comite_vote_refused" in found  # _Refusal(action, …)
    assert "submit" in found  # perform(dossier, "submit")
    assert "ruleset_published" in found  # def publish(..., action="ruleset_published")


def test_every_audit_action_written_by_the_code_has_a_french_label():
    missing = {action: where for action, where in written_actions().items() if action_label(action) == action}
    assert not missing, f"actions without a French label in fonds.ui.templatetags.fjj.EVENT_LABELS: {missing}"
