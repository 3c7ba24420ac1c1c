"""Sharing a machine politely: what every bench script uses for ports, names, Redis and temp folders.

Several benches (and test suites, and other people's benches) run side by side on one machine, so a
bench never takes a fixed resource by default:

* ``free_port()`` — a TCP port the kernel says is free (bind to port 0);
* ``unique_name(prefix)`` — ``<prefix>_<pid>_<random>``: PostgreSQL databases, SQLite files, folders;
* ``temp_dir(prefix)`` / ``temp_file(prefix)`` — created now, removed at exit;
* ``postgres_database(admin_url, name)`` — created now, dropped at exit (``WITH (FORCE)``);
* ``free_redis_db(url)`` — a Redis database (from the highest number down) that is empty and not
  used by this project's settings
  (``FJJ_BROKER_URL``, ``FJJ_RESULT_BACKEND``, ``FJJ_CACHE_URL``), claimed with a marker key so that
  a second bench does not pick it too, flushed at exit (it was empty when we took it).

Cleanup runs once, in the process that registered it, at normal exit (``atexit``), on an exception,
and on SIGINT / SIGTERM / SIGHUP (turned into ``SystemExit`` so that ``finally`` blocks run too).
``keep=True`` leaves a resource in place on purpose (``--keep``): the script says so.
``add_options(parser, …)`` gives every bench the same options (``--port``, ``--db-name``,
``--redis-db``, ``--cache-url``, ``--tmp``, ``--keep``) and ``report()`` prints what a run used.
"""

from __future__ import annotations

import atexit
import gc
import os
import resource
import secrets
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse, urlunparse

REDIS_DATABASES = 16  # Redis' default `databases` setting
CLAIM_KEY = "fjj:bench:claimed-by"
SETTINGS_REDIS_VARIABLES = ("FJJ_BROKER_URL", "FJJ_RESULT_BACKEND", "FJJ_CACHE_URL")

_cleanups: list[tuple[str, Callable[[], None]]] = []
_used: list[tuple[str, str]] = []
_owner_pid: int | None = None


# --- cleanup on exit -------------------------------------------------------------------------------


def _on_signal(signum, frame):  # noqa: ARG001
    if os.getpid() != _owner_pid:  # a forked child (multiprocessing): die as it would have
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise SystemExit(128 + signum)


def _install() -> None:
    global _owner_pid
    if _owner_pid == os.getpid():
        return
    _owner_pid = os.getpid()
    atexit.register(cleanup)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(sig, _on_signal)
        except ValueError:  # not the main thread: atexit still applies
            pass


def on_exit(label: str, action: Callable[[], None]) -> None:
    """Run ``action`` at exit (last registered, first run)."""
    _install()
    _cleanups.append((label, action))


def cleanup() -> list[str]:
    """Run the registered actions now (idempotent; a forked child never runs its parent's)."""
    done = []
    if _owner_pid != os.getpid():
        return done
    while _cleanups:
        label, action = _cleanups.pop()
        try:
            action()
            done.append(label)
        except Exception as exc:  # noqa: BLE001 — clean up the rest, say what was left
            print(f"bench cleanup: {label} left behind ({exc})", flush=True)
    return done


def used(what: str, value: str) -> None:
    """Note a resource taken by this run, printed by ``report()``."""
    _used.append((what, value))


def report() -> None:
    for what, value in _used:
        print(f"bench uses  : {what} {value}", flush=True)


# --- names and ports -------------------------------------------------------------------------------


def unique_name(prefix: str) -> str:
    """``<prefix>_<pid>_<6 hex>``: a valid unquoted PostgreSQL identifier if the prefix is one."""
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}".lower()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now on ``host`` (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# --- files and folders -----------------------------------------------------------------------------


def temp_dir(prefix: str, path: str | None = None, keep: bool = False) -> Path:
    """A new folder (``path`` if given and absent, else a unique one under the temp folder), removed at exit.

    A ``path`` that already exists is used as is and never removed (the caller's data set)."""
    if path:
        folder = Path(path)
        if folder.exists():
            used("folder (given, kept)", str(folder))
            return folder
        folder.mkdir(parents=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-"))
    if keep:
        used("folder (kept)", str(folder))
    else:
        used("folder", str(folder))
        on_exit(f"folder {folder}", lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


def temp_file(prefix: str, suffix: str = "", keep: bool = False) -> Path:
    """A unique file name under the temp folder (not created), removed at exit if it exists."""
    path = Path(tempfile.gettempdir()) / f"{unique_name(prefix)}{suffix}"
    if not keep:
        on_exit(f"file {path}", lambda: path.unlink(missing_ok=True))
    return path


# --- PostgreSQL ------------------------------------------------------------------------------------


def database_url(admin_url: str, name: str) -> str:
    return urlunparse(urlparse(admin_url)._replace(path=f"/{name}"))


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001 — Django not set up: nothing to close
        pass
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_database(admin_url: str, name: str, keep: bool = False, reuse: bool = False) -> str:
    """Create database ``name`` on the server of ``admin_url`` (``reuse``: an existing one is used as
    is); drop it at exit unless ``keep`` or ``reuse``. Return its URL.

    An existing database is never dropped to make room: somebody else's data set may bear that name."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            raise SystemExit(f"database {name} already exists: choose another --db-name, or drop it first")
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    if keep or reuse:
        used("PostgreSQL database (kept)", name)
    else:
        used("PostgreSQL database", name)
        on_exit(f"database {name}", lambda: drop_database(admin_url, name))
    return database_url(admin_url, name)


# --- Redis -----------------------------------------------------------------------------------------


def _redis_db_of(url: str) -> tuple[str, int] | None:
    parsed = urlparse(url or "")
    if parsed.scheme not in ("redis", "rediss"):
        return None
    try:
        db = int(parsed.path.strip("/") or 0)
    except ValueError:
        db = 0
    return f"{parsed.hostname or 'localhost'}:{parsed.port or 6379}", db


def settings_redis_dbs(server: str) -> set[int]:
    """Redis databases of ``server`` (host:port) this project's settings point at (environment)."""
    dbs = set()
    for variable in SETTINGS_REDIS_VARIABLES:
        found = _redis_db_of(os.environ.get(variable, ""))
        if found and found[0] == server:
            dbs.add(found[1])
    return dbs


def redis_url(server_url: str, db: int) -> str:
    return urlunparse(urlparse(server_url)._replace(path=f"/{db}"))


def free_redis_db(
    server_url: str = "redis://127.0.0.1:6379", db: int | None = None, keep: bool = False
) -> str:
    """The URL of a Redis database for this run.

    ``db`` given: used as is, never flushed (the caller chose it). Otherwise the highest-numbered
    database that is empty and not one of the settings' is claimed (``SET NX`` of a marker key, so
    two benches starting together do not share one) and flushed at exit — only that one, and only
    because it was empty."""
    import redis

    if db is not None:
        used("Redis database (given, not flushed)", str(db))
        return redis_url(server_url, db)
    server = _redis_db_of(server_url)
    if server is None:
        raise ValueError(f"not a redis:// URL: {server_url}")
    taken = settings_redis_dbs(server[0])
    count = REDIS_DATABASES
    probe = redis.Redis.from_url(redis_url(server_url, 0))
    try:
        count = int(probe.config_get("databases").get("databases", count))
    except redis.exceptions.ResponseError:  # CONFIG disabled: Redis' default
        pass
    finally:
        probe.close()
    for candidate in reversed(range(count)):  # from the top: applications use the low ones
        if candidate in taken:
            continue
        url = redis_url(server_url, candidate)
        client = redis.Redis.from_url(url)
        try:
            if client.dbsize() != 0:
                continue
            if not client.set(CLAIM_KEY, f"{os.getpid()}", nx=True):
                continue
            if client.dbsize() != 1:  # someone wrote meanwhile: not ours to flush
                client.delete(CLAIM_KEY)
                continue
        finally:
            client.close()
        if keep:
            used("Redis database (kept)", str(candidate))
        else:
            used("Redis database", str(candidate))
            on_exit(f"Redis database {candidate}", lambda u=url: _flush(u))
        return url
    raise SystemExit(f"no empty Redis database on {server[0]}: pass --redis-db")


def shared_cache_url(args, *, optional: bool = False) -> str:
    """``FJJ_CACHE_URL`` of a run as the production profile has it (shared cache and sessions in
    Redis): ``--cache-url`` as given (``''``: sessions in the database), else an empty database of
    ``--redis-server`` claimed with ``free_redis_db``. ``optional``: where Redis does not answer,
    ``''`` and a line saying so, instead of the error."""
    import redis

    if args.cache_url is not None:
        return args.cache_url
    try:
        return free_redis_db(args.redis_server, args.redis_db)
    except redis.exceptions.ConnectionError as error:
        if not optional:
            raise
        print(f"# no Redis at {args.redis_server} ({error}): sessions in the database")
        return ""


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# --- the same options everywhere -------------------------------------------------------------------


def add_options(
    parser,
    *,
    port: bool = False,
    db_name: bool = False,
    redis_db: bool = False,
    cache_url: bool = False,
    tmp: bool = False,
    keep: bool = True,
) -> None:
    """``--port``, ``--db-name``, ``--redis-db``, ``--cache-url`` (with ``--redis-server``; read by
    ``shared_cache_url``), ``--tmp``, ``--keep`` with free defaults."""
    if port:
        parser.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    if db_name:
        parser.add_argument(
            "--db-name", default=None, help="PostgreSQL database to create (default: a unique name)"
        )
    if redis_db:
        parser.add_argument(
            "--redis-db",
            type=int,
            default=None,
            help="Redis database number (default: an empty one not used by the settings, flushed at exit)",
        )
    if cache_url:
        parser.add_argument(
            "--cache-url",
            default=None,
            help=(
                "shared cache and sessions of the production profile (FJJ_CACHE_URL); default: an "
                "empty Redis database of --redis-server, flushed at exit; empty: sessions in the database"
            ),
        )
        parser.add_argument("--redis-server", default="redis://127.0.0.1:6379")
    if tmp:
        parser.add_argument(
            "--tmp", default=None, help="working folder (default: a new temp folder removed at exit)"
        )
    if keep and not any(a.dest == "keep" for a in parser._actions):
        parser.add_argument("--keep", action="store_true", help="leave what the run created in place")


if __name__ == "__main__":  # `make bench` runs bench/*.py: this module has nothing to measure
    print("bench/common.py: shared helpers of the bench scripts (nothing to measure)")


# --------------------------------------------------------------------------------------------
# Measuring one step in this process
# --------------------------------------------------------------------------------------------


def proc_status(field: str) -> int:
    """A ``/proc/self/status`` size field (``VmRSS``, ``VmHWM``) in bytes; 0 where absent."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    """Reset the process's peak RSS (Linux ``clear_refs``); False where it cannot be."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Measure:
    """``with Measure() as m:`` — wall and CPU seconds of the block, its peak RSS and the peak
    above the RSS at its start (``extra``; lifetime peak where the peak cannot be reset)."""

    def __enter__(self):
        gc.collect()
        self.reset = _reset_peak()
        self.rss0 = proc_status("VmRSS")
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        self.peak = (
            proc_status("VmHWM") if self.reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        )
        self.extra = max(0, self.peak - self.rss0)
        return False

    def as_dict(self, **extra) -> dict:
        return {
            "wall_s": round(self.wall, 3),
            "cpu_s": round(self.cpu, 3),
            "extra_rss_mb": round(self.extra / 2**20, 1),
            **extra,
        }
