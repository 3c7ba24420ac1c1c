"""Real Celery processes for the several-hosts tests (issue 23): a worker or a beat started as a
subprocess on the test database, in its own process group, killed whatever happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database (``test_…``) as a ``FJJ_DATABASE_URL`` for a child process."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (
        ":" + quote(s["PASSWORD"], safe="") if s.get("PASSWORD") else ""
    )
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{s['NAME']}"


def child_env(tmp_path: Path, broker: str, **extra: str) -> dict:
    """A child's environment: the test database, the given broker, its own var/ and media folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FJJ_S3_")}
    env.update(
        FJJ_DATABASE_URL=database_url(),
        FJJ_BROKER_URL=broker,
        FJJ_RESULT_BACKEND=broker.rsplit("/", 1)[0] + "/1",
        FJJ_VAR_DIR=str(tmp_path),
        FJJ_MEDIA_ROOT=str(tmp_path / "media"),
        FJJ_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        FJJ_CELERY_LOG_LEVEL="info",
    )
    env.update(extra)
    return env


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """``celery -A fonds ARGS`` in its own process group, output to ``log``."""
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "fonds", *args],
        cwd=str(ROOT),
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """The process and its children (prefork pool), then wait for it."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def running(args: list[str], env: dict, log: Path):
    proc = start(args, env, log)
    try:
        yield proc
    finally:
        kill(proc)


def worker_args(name: str, queues: str | None = None, concurrency: int = 1) -> list[str]:
    args = ["worker", "-P", "prefork", "-c", str(concurrency), "-l", "INFO", "-n", f"{name}@%h"]
    args += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return args + (["-Q", queues] if queues else [])
