"""Structured logs: one JSON object per line, per request and per Celery task.

``JsonFormatter`` (one JSON line), ``ClientErrorFilter`` (a 4xx is one short line, no traceback),
``RedactFilter`` (IBANs and secret fields masked), ``RequestLogMiddleware`` (one line per request
on ``fonds.request``, with user and dossier ids and a request id) and the Celery signal handlers
(one line per task on ``fonds.task``, connected by ``OpsConfig.ready``).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from celery.signals import task_postrun, task_prerun, worker_ready

from fonds.celery import app

IBAN_RE = re.compile(r"\b([A-Z]{2})(\d{2})((?:\s?[A-Z0-9]){8,30})\b")
SECRET_KEYS = ("password", "passwd", "token", "secret", "iban", "authorization", "cookie")
_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def mask_iban(text: str) -> str:
    def repl(match):
        raw = (match.group(1) + match.group(2) + match.group(3)).replace(" ", "")
        if not any(c.isdigit() for c in match.group(3)):
            return match.group(0)  # a plain word, not an account number
        return f"{raw[:2]}**…{raw[-4:]}"

    return IBAN_RE.sub(repl, text)


def _clean(value):
    if isinstance(value, str):
        return mask_iban(value)
    if isinstance(value, dict):
        return {
            k: ("[masqué]" if any(s in str(k).lower() for s in SECRET_KEYS) else _clean(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return mask_iban(str(value))


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = mask_iban(message), ()
        for key, value in list(vars(record).items()):
            if key in _STANDARD:
                continue
            setattr(record, key, "[masqué]" if any(s in key.lower() for s in SECRET_KEYS) else _clean(value))
        return True


class ClientErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not isinstance(status, int) or not 400 <= status < 500:
            return True
        if record.name == "django.request":
            return False
        record.exc_info, record.exc_text = None, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = mask_iban(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


request_logger = logging.getLogger("fonds.request")
task_logger = logging.getLogger("fonds.task")
DOSSIER_KWARGS = ("dossier_id", "dossier_pk", "dossier")
DOSSIER_PK_ROUTE = re.compile(r"dossiers?/(<int:pk>|\(\?P<pk>)")


def _dossier_id(request) -> int | None:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    for key in DOSSIER_KWARGS:
        if key in match.kwargs:
            return _as_int(match.kwargs[key])
    # routes whose ``pk`` is a dossier: ``…dossiers/<int:pk>/…`` (web, depot, instruction, contrôle,
    # API), ``paiements/dossier/<int:pk>/…`` and every ``suivi`` page;
    # never ``seances/<pk>/dossiers/<item_pk>``
    if "pk" in match.kwargs and (DOSSIER_PK_ROUTE.search(match.route or "") or match.namespace == "suivi"):
        return _as_int(match.kwargs["pk"])
    return None


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = (request.headers.get("X-Request-ID") or "")[:64] or uuid.uuid4().hex
        request.request_id = request_id
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "dossier_id": _dossier_id(request),
            },
        )
        response["X-Request-ID"] = request_id
        return response


_task_started: dict[str, float] = {}


def _task_dossier(args, kwargs):
    if kwargs and "dossier_id" in kwargs:
        return _as_int(kwargs["dossier_id"])
    if args and isinstance(args[0], int):
        return args[0]
    return None


def on_task_prerun(task_id=None, task=None, args=None, kwargs=None, **_):
    _task_started[task_id] = time.perf_counter()


def on_task_postrun(task_id=None, task=None, args=None, kwargs=None, state=None, **_):
    started = _task_started.pop(task_id, None)
    task_logger.info(
        "%s %s",
        getattr(task, "name", "?"),
        state,
        extra={
            "task": getattr(task, "name", "?"),
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "dossier_id": _task_dossier(args, kwargs),
        },
    )


def on_worker_ready(sender=None, **_):
    """A worker that just started beats at once (the beat schedule then does it every minute)."""
    app.tasks["fonds.ops.tasks.heartbeat"].delay()  # by name: this module is loaded with the settings


def connect_celery_signals() -> None:
    task_prerun.connect(on_task_prerun, weak=False, dispatch_uid="fjj-task-prerun")
    task_postrun.connect(on_task_postrun, weak=False, dispatch_uid="fjj-task-postrun")
    worker_ready.connect(on_worker_ready, weak=False, dispatch_uid="fjj-worker-ready")
