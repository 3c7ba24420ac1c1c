"""Tests of the development supervisor (scripts/run_dev.py) that `make run` relies on.

Collected by `make test` / `make test-services` (they pass `tests scripts` to pytest).
The last test starts the real stack — runserver, Celery worker, Celery beat — on the embedded
profile (SQLite + kombu sqla broker in a temporary FJJ_VAR_DIR), whatever profile the suite itself
runs under.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DEV = ROOT / "scripts" / "run_dev.py"
SLEEPER = f"{sys.executable} -c 'import time; time.sleep(600)'"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie not yet reaped by init counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _child_pids(log: Path, expected: int, timeout: float = 30) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = dict(re.findall(r"\[run_dev\] (\w+) démarré \(pid (\d+)\)", log.read_text()))
        if len(found) == expected:
            return {name: int(pid) for name, pid in found.items()}
        time.sleep(0.05)
    raise AssertionError(f"le superviseur n'a pas démarré {expected} enfants :\n{log.read_text()}")


def _start(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, str(RUN_DEV), *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _wait_gone(pids, timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_sigint_stops_every_child(tmp_path):
    log = tmp_path / "run_dev.log"
    sup = _start(["--child", f"a={SLEEPER}", "--child", f"b={SLEEPER}", "--child", f"c={SLEEPER}"], log)
    pids = _child_pids(log, 3)
    assert all(_alive(p) for p in pids.values())
    sup.send_signal(signal.SIGINT)
    assert sup.wait(timeout=15) == 0, log.read_text()
    assert _wait_gone(pids.values()) == []


def test_sigterm_stops_every_child(tmp_path):
    log = tmp_path / "run_dev.log"
    sup = _start(["--child", f"a={SLEEPER}", "--child", f"b={SLEEPER}"], log)
    pids = _child_pids(log, 2)
    sup.terminate()
    assert sup.wait(timeout=15) == 0, log.read_text()
    assert _wait_gone(pids.values()) == []


def test_a_dying_child_stops_the_others_and_fails(tmp_path):
    log = tmp_path / "run_dev.log"
    dying = f"{sys.executable} -c 'import time, sys; time.sleep(0.5); sys.exit(3)'"
    sup = _start(["--child", f"a={SLEEPER}", "--child", f"b={dying}", "--child", f"c={SLEEPER}"], log)
    pids = _child_pids(log, 3)
    assert sup.wait(timeout=15) == 3, log.read_text()
    assert "b s'est arrêté de lui-même (code 3)" in log.read_text()
    assert _wait_gone(pids.values()) == []


def test_a_child_exiting_zero_still_fails(tmp_path):
    log = tmp_path / "run_dev.log"
    sup = _start(["--child", f"a={SLEEPER}", "--child", "b=true"], log)
    assert sup.wait(timeout=15) == 1, log.read_text()


def test_a_child_ignoring_sigterm_is_killed_after_grace(tmp_path):
    log = tmp_path / "run_dev.log"
    stubborn = (
        f"{sys.executable} -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        'print("ready", flush=True); time.sleep(600)\''
    )
    sup = _start(["--grace", "1", "--child", f"a={stubborn}", "--child", f"b={SLEEPER}"], log)
    pids = _child_pids(log, 2)
    deadline = time.monotonic() + 10
    while "ready" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    sup.send_signal(signal.SIGINT)
    assert sup.wait(timeout=15) == 0, log.read_text()
    assert "SIGKILL" in log.read_text()
    assert _wait_gone(pids.values()) == []


def test_supervisor_killed_outright_takes_its_children_along(tmp_path):
    log = tmp_path / "run_dev.log"
    sup = _start(["--child", f"a={SLEEPER}", "--child", f"b={SLEEPER}"], log)
    pids = _child_pids(log, 2)
    sup.kill()
    sup.wait(timeout=15)
    assert _wait_gone(pids.values()) == []


SHOW_ENV = (
    f'{sys.executable} -c \'import os; print("URL=" + os.environ.get("FJJ_SITE_URL", ""), '
    f'"SIRET=" + os.environ.get("FJJ_SIRET", ""), flush=True)\''
)


def _env_without(*names: str) -> dict:
    return {k: v for k, v in os.environ.items() if k not in names}


def test_children_links_follow_the_address_and_the_demo_has_the_fund_siret(tmp_path):
    """`make run ADDR=127.0.0.1:8080`: links in emails and PDFs point to http://127.0.0.1:8080, and the
    SCDL export has the demonstration SIRET of the fund."""
    log = tmp_path / "run_dev.log"
    env = _env_without("FJJ_SITE_URL", "FJJ_SIRET", "FJJ_DEBUG")
    sup = _start(["--addr", "127.0.0.1:8080", "--child", f"a={SHOW_ENV}"], log, env=env)
    assert sup.wait(timeout=15) == 1, log.read_text()  # the child's exit stops the supervisor
    assert "URL=http://127.0.0.1:8080 SIRET=99999999899995" in log.read_text()


def test_a_site_url_already_set_is_kept_and_production_gets_no_demo_siret(tmp_path):
    log = tmp_path / "run_dev.log"
    env = dict(_env_without("FJJ_SIRET"), FJJ_SITE_URL="https://jumelages.example.fr", FJJ_DEBUG="0")
    sup = _start(["--addr", "127.0.0.1:8080", "--child", f"a={SHOW_ENV}"], log, env=env)
    assert sup.wait(timeout=15) == 1, log.read_text()
    assert "URL=https://jumelages.example.fr SIRET=\n" in log.read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_stack_serves_consumes_a_task_and_stops_on_ctrl_c(tmp_path):
    """`make run`'s stack on the embedded profile: an HTTP answer, a task consumed, then Ctrl-C."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "FJJ_DATABASE_URL",
            "FJJ_BROKER_URL",
            "FJJ_RESULT_BACKEND",
            "FJJ_CELERY_EAGER",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    env.update(FJJ_VAR_DIR=str(tmp_path / "var"), FJJ_DEBUG="1", PYTHONUNBUFFERED="1")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    port = _free_port()
    log = tmp_path / "run_dev.log"
    sup = _start(["--addr", f"127.0.0.1:{port}"], log, env=env)
    try:
        pids = _child_pids(log, 3)
        assert set(pids) == {"web", "worker", "beat"}

        # the web server answers (any status: the UI may not route "/" yet)
        status = None
        deadline = time.monotonic() + 60
        while status is None and time.monotonic() < deadline:
            assert sup.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    status = resp.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                time.sleep(0.3)
        assert status is not None, log.read_text()

        # the worker consumes a task sent through the embedded broker and stores its result
        sender = (
            "from fonds.celery import app; "
            "r = app.send_task('celery.accumulate', args=('pong',), kwargs={'index': 0}); "
            "print(r.get(timeout=90))"
        )
        out = subprocess.run(
            [sys.executable, "-c", sender], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert out.stdout.strip() == "pong", out.stderr + log.read_text()

        sup.send_signal(signal.SIGINT)
        assert sup.wait(timeout=60) == 0, log.read_text()
        assert _wait_gone(pids.values()) == []
        text = log.read_text()
        # quiet consoles: no Celery banner, no line per task, no WeasyPrint chatter
        assert "[queues]" not in text and "beat: Starting" not in text and "succeeded in" not in text
        assert " INFO weasyprint" not in text and " INFO celery" not in text
    finally:
        if sup.poll() is None:
            sup.kill()
            sup.wait()
