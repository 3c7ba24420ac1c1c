"""The cosmic-ray session that scripts/mutation.py configures: one process, or http workers."""

from __future__ import annotations

import tomllib

import mutation


def test_one_worker_runs_the_mutants_in_the_sessions_own_process():
    config = tomllib.loads(mutation.config_text(mutation.module_by_name("quorum")))
    assert config["cosmic-ray"]["distributor"] == {"name": "local"}
    assert config["cosmic-ray"]["timeout"] == mutation.TIMEOUT


def test_several_workers_are_asked_over_http_within_the_clients_own_time_limit():
    urls = ["http://127.0.0.1:4001", "http://127.0.0.1:4002"]
    config = tomllib.loads(mutation.config_text(mutation.module_by_name("quorum"), urls))
    assert config["cosmic-ray"]["distributor"] == {"name": "http", "http": {"worker-urls": urls}}
    assert config["cosmic-ray"]["timeout"] == mutation.WORKER_TIMEOUT < 300  # aiohttp's default


def test_a_modules_own_time_limit_holds_in_both_modes():
    audit = mutation.module_by_name("audit")
    assert tomllib.loads(mutation.config_text(audit))["cosmic-ray"]["timeout"] == audit.timeout
    with_workers = tomllib.loads(mutation.config_text(audit, ["http://127.0.0.1:4001"]))
    assert with_workers["cosmic-ray"]["timeout"] == audit.timeout < mutation.WORKER_TIMEOUT


def test_workers_start_in_their_own_tree_and_stop_on_exit(tmp_path, monkeypatch):
    started = []

    class FakeWorker:
        returncode = None

        def __init__(self, args, cwd, **kwargs):
            self.args, self.cwd, self.stopped = args, cwd, False
            started.append(self)

        def poll(self):
            return None

        def terminate(self):
            self.stopped = True

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(mutation, "copy_tree", lambda dest: dest.mkdir(parents=True))
    monkeypatch.setattr(mutation.subprocess, "Popen", FakeWorker)
    monkeypatch.setattr(mutation, "_wait_for_port", lambda port, worker: None)
    with mutation.http_workers(tmp_path, 2, {}) as urls:
        assert len(urls) == 2 and len(set(urls)) == 2
    assert [w.cwd for w in started] == [tmp_path / "worker-1", tmp_path / "worker-2"]
    assert all(w.args[1:3] == ["http-worker", "--port"] and w.stopped for w in started)
    with mutation.http_workers(tmp_path, 1, {}) as urls:
        assert urls is None
