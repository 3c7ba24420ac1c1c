#!/usr/bin/env python3
"""Superviseur de développement : serveur web + worker Celery + Celery beat, arrêtés ensemble.

Lancé par ``make run`` (ou ``make serve``) avec le Python du virtualenv :

    .venv/bin/python scripts/run_dev.py [--addr 127.0.0.1:8000] [--pool solo]

* démarre ``manage.py runserver ADDR --noreload``, ``celery -A fonds worker`` et ``celery -A fonds beat``,
  chacun dans son propre groupe de processus (un Ctrl-C du terminal n'atteint que le superviseur,
  qui le relaie une seule fois à chaque enfant) ;
* SIGINT / SIGTERM : relaie SIGTERM à tous les enfants, les attend (``--grace`` secondes, puis
  SIGKILL du groupe entier) et sort avec le code 0 ;
* si un enfant s'arrête de lui-même, arrête les autres de la même façon et sort avec un code non nul ;
* si le superviseur est tué brutalement (SIGKILL), les enfants reçoivent SIGTERM (PR_SET_PDEATHSIG) ;
* environnement des enfants : ``FJJ_SITE_URL`` suit ``--addr`` (``http://ADDR``, liens des courriels
  et des PDF) et, en développement (``FJJ_DEBUG`` non désactivé), ``FJJ_SIRET`` prend le SIRET fictif
  de démonstration du fonds (export SCDL de la démo) — chacun seulement s'il n'est pas déjà défini.

``--child NOM=COMMANDE`` (répétable) remplace la liste des enfants : c'est ce qu'utilisent les
tests du superviseur (scripts/test_run_dev.py).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1
#: SIRET fictif du fonds pour la démonstration (SIREN 999 999 998 et NIC 9999x : à personne), valide
#: (14 chiffres, clé de Luhn) pour que l'export SCDL de la démo soit conforme ; jamais en production
#: (FJJ_DEBUG=0). La même valeur que fonds.demo.DEMO_FUND_SIRET (vérifié par tests/demo).
DEMO_FUND_SIRET = "99999999899995"


def log(message: str) -> None:
    print(f"[run_dev] {message}", file=sys.stderr, flush=True)


#: niveau de journal du worker et de beat : les avertissements et les erreurs, pas une ligne par tâche
#: (``FJJ_CELERY_LOG_LEVEL=info`` pour tout voir)
CELERY_LOG_LEVEL = os.environ.get("FJJ_CELERY_LOG_LEVEL", "warning")


def default_children(addr: str, pool: str) -> list[tuple[str, list[str]]]:
    """Le serveur web, le worker et beat ; Celery sans bannière (``-q``) et au niveau
    ``CELERY_LOG_LEVEL`` : la console garde l'adresse, les comptes et ce qui mérite d'être lu."""
    py = sys.executable
    celery = [py, "-m", "celery", "-A", "fonds", "-q"]
    return [
        ("web", [py, "manage.py", "runserver", addr, "--noreload"]),
        ("worker", [*celery, "worker", "-l", CELERY_LOG_LEVEL, f"--pool={pool}", "-n", "dev@%h"]),
        ("beat", [*celery, "beat", "-l", CELERY_LOG_LEVEL]),
    ]


# Run once before the children start. With the embedded broker (kombu ``sqla+sqlite://``) the first
# process to use a queue creates its row: a worker, beat and the web server doing so at the same
# moment on a fresh var/ race, and the loser dies on ``UNIQUE constraint failed: kombu_queue.name``.
# Declaring the queues (and touching a ``db+`` result backend, which creates its tables) here, alone,
# removes the race. Harmless and idempotent on Redis or RabbitMQ.
PREPARE_BROKER = """
from fonds.celery import app
with app.connection_for_write() as conn:
    conn.ensure_connection(max_retries=5)
    channel = conn.default_channel
    for queue in app.amqp.queues.values():
        queue(channel).declare()
app.AsyncResult("run-dev-warm-up").state
"""


def child_environment(addr: str, environ=None) -> dict:
    """L'environnement des processus lancés : ``FJJ_SITE_URL`` suit l'adresse servie, ``FJJ_SIRET``
    le SIRET de démonstration en développement ; une valeur déjà définie est gardée."""
    env = dict(os.environ if environ is None else environ, PYTHONUNBUFFERED="1")
    env.setdefault("FJJ_SITE_URL", f"http://{addr}")
    if env.get("FJJ_DEBUG", "1").strip().lower() in {"1", "true", "yes", "on"}:
        env.setdefault("FJJ_SIRET", DEMO_FUND_SIRET)
    return env


def prepare_broker() -> None:
    subprocess.run(
        [sys.executable, "-c", PREPARE_BROKER], cwd=ROOT, check=True, timeout=120, stdin=subprocess.DEVNULL
    )


def _child_setup() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:  # not Linux: best effort only
        pass
    # Children inherit the supervisor's ignored/handled signals as defaults.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Supervisor:
    def __init__(self, children: list[tuple[str, list[str]]], grace: float, env: dict | None = None) -> None:
        self.specs = children
        self.grace = grace
        self.env = env if env is not None else dict(os.environ, PYTHONUNBUFFERED="1")
        self.procs: dict[str, subprocess.Popen] = {}
        self.stop_requested: int | None = None

    def _on_signal(self, signum, _frame) -> None:
        if self.stop_requested is None:
            self.stop_requested = signum

    def start(self) -> None:
        for name, argv in self.specs:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_child_setup,
            )
            self.procs[name] = proc
            log(f"{name} démarré (pid {proc.pid}) : {shlex.join(argv)}")

    def _signal_all(self, sig: int) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    # the whole process group: also reaches a pool's own children
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass

    def stop_all(self) -> None:
        alive = [n for n, p in self.procs.items() if p.poll() is None]
        if alive:
            log(f"arrêt de : {', '.join(alive)}")
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and any(p.poll() is None for p in self.procs.values()):
            time.sleep(0.1)
        stubborn = [n for n, p in self.procs.items() if p.poll() is None]
        if stubborn:
            log(f"toujours en vie après {self.grace:.0f} s, SIGKILL : {', '.join(stubborn)}")
            self._signal_all(signal.SIGKILL)
            for p in self.procs.values():
                p.wait()
        # leftovers in the children's process groups (e.g. a prefork pool) die with them
        for p in self.procs.values():
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGHUP, self._on_signal)
        try:
            self.start()
        except OSError as exc:
            log(f"impossible de démarrer un processus : {exc}")
            self.stop_all()
            return 1
        while True:
            if self.stop_requested is not None:
                log(f"signal {signal.Signals(self.stop_requested).name} reçu")
                self.stop_all()
                log("tout est arrêté")
                return 0
            for name, proc in self.procs.items():
                code = proc.poll()
                if code is not None:
                    log(f"{name} s'est arrêté de lui-même (code {code}) : arrêt des autres processus")
                    self.stop_all()
                    return code if code > 0 else 1
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--addr",
        default=os.environ.get("FJJ_RUN_ADDR", "127.0.0.1:8000"),
        help="adresse du serveur web (défaut 127.0.0.1:8000)",
    )
    parser.add_argument(
        "--pool",
        default=os.environ.get("FJJ_WORKER_POOL", "solo"),
        help="pool du worker Celery : solo (défaut) ou threads",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=20.0,
        help="secondes laissées aux processus pour s'arrêter avant SIGKILL",
    )
    parser.add_argument(
        "--child",
        action="append",
        default=[],
        metavar="NOM=COMMANDE",
        help="remplace les processus par défaut (tests)",
    )
    args = parser.parse_args(argv)
    if args.child:
        children = []
        for item in args.child:
            name, _, command = item.partition("=")
            children.append((name, shlex.split(command)))
    else:
        children = default_children(args.addr, args.pool)
        try:
            prepare_broker()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log(f"le broker Celery ne répond pas ({exc}) : rien n'est lancé")
            return 1
        log(
            f"Fonds Jumelages Jeunesse : http://{args.addr}/ — worker et beat Celery lancés ; Ctrl-C pour "
            "tout arrêter"
        )
    return Supervisor(children, args.grace, child_environment(args.addr)).run()


if __name__ == "__main__":
    sys.exit(main())
