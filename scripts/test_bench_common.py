"""Tests of bench/common.py: what lets bench scripts share a machine (free port, unique names,
cleanup at exit and on a signal, an empty Redis database, a PostgreSQL database dropped at exit).

The cleanup is exercised in a child process (a bench's life: resources taken, then a normal exit or
SIGTERM), so this test process keeps its own exit and signal handling.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402

CHILD_PRELUDE = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT / "bench")!r})
import common
"""


def _child(body: str, *, terminate: bool = False, env: dict | None = None) -> dict:
    """Run ``body`` in a child; it prints one JSON line of what it took, then exits (or waits for SIGTERM)."""
    code = CHILD_PRELUDE + body + ("\nsys.stdout.flush()\ntime.sleep(60)\n" if terminate else "")
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    line = proc.stdout.readline()
    if terminate:
        proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    proc.stdout.close()
    assert line, f"child printed nothing (exit {proc.returncode})"
    return {"taken": json.loads(line), "returncode": proc.returncode, "pid": proc.pid}


def test_free_port_can_be_bound():
    port = common.free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert sock.getsockname()[1] == port


def test_unique_names_differ_and_are_plain_identifiers():
    names = {common.unique_name("fjj_bench_x") for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert name.startswith(f"fjj_bench_x_{os.getpid()}_")
        assert name.isidentifier() and name == name.lower()


CREATE_FILES = """
folder = common.temp_dir("fjj-test-common")
(folder / "media").mkdir()
(folder / "media" / "letter.pdf").write_bytes(b"%PDF")
sqlite = common.temp_file("fjj_test_common", ".sqlite3")
import sqlite3
with sqlite3.connect(sqlite) as db:
    db.execute("CREATE TABLE t (x)")
kept = common.temp_dir("fjj-test-common-kept", keep=True)
print(json.dumps({"folder": str(folder), "sqlite": str(sqlite), "kept": str(kept)}))
"""


@pytest.mark.parametrize("terminate", [False, True], ids=["normal_exit", "sigterm"])
def test_cleanup_removes_temp_folder_and_sqlite_file(terminate):
    result = _child(CREATE_FILES, terminate=terminate)
    taken = result["taken"]
    kept = Path(taken["kept"])
    try:
        assert not Path(taken["folder"]).exists()
        assert not Path(taken["sqlite"]).exists()
        assert kept.is_dir()  # keep=True: left in place on purpose
        assert result["returncode"] == (128 + signal.SIGTERM if terminate else 0)
    finally:
        kept.rmdir()


def test_cleanup_never_removes_a_folder_given_that_already_exists(tmp_path):
    given = tmp_path / "data-set"
    given.mkdir()
    (given / "seed.sqlite3").write_bytes(b"")
    _child(f"""
folder = common.temp_dir("fjj-test-common", path={str(given)!r})
print(json.dumps({{"folder": str(folder)}}))
""")
    assert (given / "seed.sqlite3").exists()


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    finally:
        client.close()
    return redis


@pytest.mark.xdist_group("shared_redis")  # with the next test: both claim the highest free database
def test_free_redis_db_is_empty_not_the_settings_and_flushed_at_exit():
    redis = _redis_or_skip()
    result = _child(
        """
url = common.free_redis_db("redis://127.0.0.1:6379")
import redis
client = redis.Redis.from_url(url)
client.set("bench-key", "1")
client.close()
print(json.dumps({"url": url}))
""",
        terminate=True,
        env={"FJJ_BROKER_URL": "redis://127.0.0.1:6379/0", "FJJ_CACHE_URL": "redis://127.0.0.1:6379/1"},
    )
    url = result["taken"]["url"]
    db = int(url.rsplit("/", 1)[1])
    assert db not in (0, 1)
    client = redis.Redis.from_url(url)
    try:
        # Only this child's keys: another bench may claim the freed database right after the flush.
        assert client.exists("bench-key") == 0
        assert client.get(common.CLAIM_KEY) != str(result["pid"]).encode()
    finally:
        client.close()


@pytest.mark.xdist_group("shared_redis")
def test_two_benches_do_not_claim_the_same_redis_db():
    _redis_or_skip()
    body = """
url = common.free_redis_db("redis://127.0.0.1:6379")
print(json.dumps({"url": url}))
"""
    code = CHILD_PRELUDE + body + "\nsys.stdout.flush()\ntime.sleep(60)\n"
    first = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        taken_first = json.loads(first.stdout.readline())["url"]
        second = _child(body)["taken"]["url"]
        assert second != taken_first
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        first.stdout.close()


def _admin_url_or_skip() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):  # scripts/ has no conftest applying the marker
        pytest.skip("nécessite PostgreSQL (FJJ_DATABASE_URL=postgres://…)")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


@pytest.mark.postgres
def test_postgres_database_never_drops_an_existing_one():
    admin_url = _admin_url_or_skip()
    with pytest.raises(SystemExit, match="already exists"):
        common.postgres_database(admin_url, "postgres")


@pytest.mark.postgres
def test_postgres_database_is_dropped_on_sigterm():
    import psycopg

    admin_url = _admin_url_or_skip()
    result = _child(
        f"""
name = common.unique_name("fjj_test_common")
url = common.postgres_database({admin_url!r}, name)
import psycopg
with psycopg.connect(url) as conn:
    conn.execute("CREATE TABLE t (x int)")
print(json.dumps({{"name": name}}))
""",
        terminate=True,
    )
    name = result["taken"]["name"]
    deadline = time.monotonic() + 10
    with psycopg.connect(admin_url, autocommit=True) as conn:
        while True:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not found or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert not found, f"database {name} left behind"


def test_shared_cache_url_keeps_a_given_url_and_falls_back_only_when_optional():
    import argparse

    import redis

    given = argparse.Namespace(cache_url="", redis_server="redis://127.0.0.1:1", redis_db=None)
    assert common.shared_cache_url(given) == ""  # '' given: sessions in the database, no Redis asked
    absent = argparse.Namespace(cache_url=None, redis_server="redis://127.0.0.1:1", redis_db=None)
    assert common.shared_cache_url(absent, optional=True) == ""
    with pytest.raises(redis.exceptions.ConnectionError):
        common.shared_cache_url(absent)
