"""Every follow-up task of a change leaves through the transactional outbox; tasks are acknowledged
late; a visibility timeout is set by default (issue 14, point 3).

The scan reads fonds/ and workflows/ as syntax trees (so a call split over lines or wrapped in a
lambda is found): a ``transaction.on_commit`` that sends a task is refused everywhere; a direct
``.delay`` / ``.apply_async`` / ``send_task`` only where ``ALLOWED`` says why.
"""

from __future__ import annotations

import ast
import re
import runpy
from pathlib import Path

import pytest

from fonds.celery import app

ROOT = Path(__file__).resolve().parents[2]
SENDS = {"delay", "apply_async", "send_task"}
REDIS = "redis://127.0.0.1:6379/0"  # a URL only: nothing connects to it
#: (file, enclosing function) → why sending directly is right there (one line each)
ALLOWED = {
    (
        "fonds/ops/outbox.py",
        "_publish",
    ): "the outbox itself: it sends what enqueue recorded in the change's transaction",
    (
        "fonds/ops/logging.py",
        "on_worker_ready",
    ): "a new worker's first heartbeat: no change behind it, beat sends one every minute",
}


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def scan(source: str) -> dict[str, list]:
    """``{"on_commit": [(line, function)], "sends": [(line, function, method)],
    "enqueued": [(line, literal task name or None)]}``."""
    found: dict[str, list] = {"on_commit": [], "sends": [], "enqueued": []}

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        if isinstance(node, ast.Call):
            name = _name(node.func)
            # a call of .delay(…) or a reference to it (on_commit(task.delay), partial(task.delay, pk))
            inside = [n for arg in node.args for n in ast.walk(arg)]
            if name == "on_commit" and any(isinstance(n, ast.Attribute) and n.attr in SENDS for n in inside):
                found["on_commit"].append((node.lineno, function))
            if name in SENDS and isinstance(node.func, ast.Attribute):
                found["sends"].append((node.lineno, function, name))
            if name == "enqueue":
                first = node.args[0] if node.args else None
                literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                found["enqueued"].append((node.lineno, first.value if literal else None))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "<module>")
    return found


def _sources():
    for folder in ("fonds", "workflows"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_the_scan_finds_on_commit_sends_written_any_way():
    source = """
def close(pks):
    transaction.on_commit(
        lambda: [generate_decision_letter.delay(pk) for pk in pks],
        robust=True,
    )
    on_commit(partial(task.apply_async, (1,)))  # a reference, not a call: still a task sent on commit
    transaction.on_commit(lambda: app.send_task("x"))
    notify.delay(3)
    outbox.enqueue("fonds.comite.tasks.notify_promotion", 3)
    outbox.enqueue(name, 3)
"""
    found = scan(source)
    assert found["on_commit"] == [(3, "close"), (7, "close"), (8, "close")]
    assert found["sends"] == [(4, "close", "delay"), (8, "close", "send_task"), (9, "close", "delay")]
    assert found["enqueued"] == [(10, "fonds.comite.tasks.notify_promotion"), (11, None)]


def test_no_follow_up_task_sent_on_commit_or_directly_outside_the_outbox():
    on_commit, direct, grep = [], [], []
    used = set()
    for path, source in _sources():
        found = scan(source)
        on_commit += [f"{path}:{line} ({function})" for line, function in found["on_commit"]]
        for line, function, method in found["sends"]:
            if (path, function) in ALLOWED:
                used.add((path, function))
            else:
                direct.append(f"{path}:{line} {function}: .{method}(…)")
        # the plain grep of the issue, for the record: no on_commit line names .delay
        lines = enumerate(source.splitlines(), 1)
        grep += [
            f"{path}:{n}" for n, text in lines if re.search(r"on_commit\(.*\.(delay|apply_async)\(", text)
        ]
    assert not on_commit, (
        "on_commit(… .delay) : passez par fonds.ops.outbox.enqueue dans la transaction :\n"
        + ("\n".join(on_commit))
    )
    assert not grep, grep
    assert not direct, (
        "tâche envoyée hors de la boîte d'envoi (si c'est légitime : ALLOWED, avec sa raison) :\n"
        + ("\n".join(direct))
    )
    assert used == set(ALLOWED), f"entrées d'ALLOWED sans objet : {set(ALLOWED) - used}"


def test_every_enqueued_task_is_a_registered_task_named_literally():
    app.loader.import_default_modules()
    wrong = []
    for path, source in _sources():
        if path == "fonds/ops/outbox.py":
            continue  # its docstring's example and its own definition
        for line, task in scan(source)["enqueued"]:
            if task is None or task not in app.tasks:
                wrong.append(f"{path}:{line} {task!r}")
    assert not wrong, "enqueue nomme une tâche Celery enregistrée, en toutes lettres :\n" + "\n".join(wrong)


def _our_tasks():
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if name.startswith(("fonds.", "workflows."))}
    assert len(tasks) >= 15, sorted(tasks)
    return tasks


def test_tasks_are_acknowledged_late_and_given_back_when_their_worker_dies():
    assert app.conf.task_acks_late is True and app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    early = [
        name
        for name, task in _our_tasks().items()
        if task.acks_late is not True or task.reject_on_worker_lost is False
    ]
    assert not early, f"tâches acquittées avant d'être faites : {early}"


def _settings(monkeypatch, **env) -> dict:
    for name in ("FJJ_BROKER_URL", "FJJ_BROKER_VISIBILITY_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "fonds" / "settings.py"))


def test_redis_visibility_timeout_is_set_by_default_above_every_retry_countdown(monkeypatch):
    options = _settings(monkeypatch, FJJ_BROKER_URL=REDIS)["CELERY_BROKER_TRANSPORT_OPTIONS"]
    visibility = options["visibility_timeout"]
    assert visibility == 900  # kombu's default, 1 hour, made a dead worker's tasks wait that long
    # a retried task waits for its countdown in the worker, unacknowledged: it must not come back meanwhile
    # (Celery's autoretry reads retry_backoff / retry_backoff_max from the task, 600 s by default)
    countdowns = {
        name: max(
            getattr(task, "retry_backoff_max", 600) if getattr(task, "retry_backoff", False) else 0,
            task.default_retry_delay or 0,
        )
        for name, task in _our_tasks().items()
    }
    assert max(countdowns.values()) < visibility, countdowns
    tls = _settings(monkeypatch, FJJ_BROKER_URL="rediss://redis.example:6380/0")
    assert tls["CELERY_BROKER_TRANSPORT_OPTIONS"] == options


def test_visibility_timeout_follows_the_environment_and_only_for_redis(monkeypatch):
    options = _settings(monkeypatch, FJJ_BROKER_URL=REDIS, FJJ_BROKER_VISIBILITY_TIMEOUT="1200")
    assert options["CELERY_BROKER_TRANSPORT_OPTIONS"] == {"visibility_timeout": 1200.0}
    rabbitmq = _settings(monkeypatch, FJJ_BROKER_URL="amqp://guest@127.0.0.1//")
    assert "CELERY_BROKER_TRANSPORT_OPTIONS" not in rabbitmq


@pytest.mark.parametrize("doc", ["README.md", "docs/runbook.md"])
def test_the_visibility_timeout_is_documented(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert "FJJ_BROKER_VISIBILITY_TIMEOUT" in text and "consumer_timeout" in text
