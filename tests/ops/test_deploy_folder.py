"""The deployment to copy (deploy/, issue 23): the compose file describes what the runbook says
(two web containers behind a proxy, one worker group per queue, exactly one beat, object storage),
and every command of the systemd units starts against the local services.

``docker compose config`` validates the file where the Compose plugin exists; the structural checks
below run everywhere. The commands are started by ``make test-services`` (PostgreSQL, Redis).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from fonds.ops.models import BeatLease
from fonds.ops.queues import QUEUE_NAMES
from tests.services.harness import free_port, private_redis, wait  # noqa: F401, F811 — fixture
from tests.services.processes import child_env, running

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS = (ROOT / "fonds" / "settings.py").read_text()


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def commands() -> dict[str, list[str]]:
    return {name: service.get("command", []) for name, service in compose()["services"].items()}


def test_compose_has_two_web_containers_behind_the_proxy():
    services = compose()["services"]
    webs = [name for name, cmd in commands().items() if cmd[:1] == ["gunicorn"]]
    assert len(webs) == 2
    conf = (DEPLOY / "nginx.conf").read_text()
    assert all(f"server {name}:8000;" in conf for name in webs)
    assert set(webs) <= set(services["proxy"]["depends_on"])


def test_compose_has_a_worker_per_queue_and_exactly_one_beat():
    celery = {name: cmd for name, cmd in commands().items() if cmd[:3] == ["celery", "-A", "fonds"]}
    queues = sorted(cmd[cmd.index("-Q") + 1] for cmd in celery.values() if "-Q" in cmd)
    assert queues == sorted(QUEUE_NAMES)
    beats = [name for name, cmd in celery.items() if cmd[3] == "beat"]
    assert beats == ["beat"] and "deploy" not in compose()["services"]["beat"]  # no replicas


def test_compose_keeps_files_in_the_bucket_and_only_known_settings():
    app = compose()["x-app"]
    assert app["environment"]["FJJ_S3_BUCKET"] and "objects" in app["depends_on"]
    names = set(app["environment"]) | {
        line.split("=", 1)[0] for line in (DEPLOY / "env.example").read_text().splitlines() if "=" in line
    }
    unknown = {name for name in names if name.startswith("FJJ_") and f'"{name}"' not in SETTINGS}
    assert not unknown, f"variables inconnues de fonds/settings.py : {sorted(unknown)}"


def compose_command() -> list[str] | None:
    """``docker compose`` (plugin) or ``docker-compose`` (Debian's package), whichever is here."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_validates_with_docker_compose(tmp_path):
    command = compose_command()
    if command is None:
        pytest.skip("ni docker compose ni docker-compose ici (make system-deps l'installe)")
    env = {"PATH": "/usr/bin:/bin", "POSTGRES_PASSWORD": "x", "FJJ_S3_ACCESS_KEY_ID": "x"}
    env["FJJ_S3_SECRET_ACCESS_KEY"] = "x"
    folder = tmp_path / "deploy"
    shutil.copytree(DEPLOY, folder)
    (folder / "env").write_text("")  # the operator's secrets file, absent from the repository
    validate = [*command, "-f", str(folder / "compose.yaml"), "config", "-q"]
    result = subprocess.run(validate, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    broken = (folder / "compose.yaml").read_text().replace("services:", "servicez:", 1)
    (folder / "compose.yaml").write_text(broken)
    result = subprocess.run(validate, capture_output=True, text=True, env=env)
    assert result.returncode != 0  # the validation can fail


def unit_command(unit: str, instance: str = "") -> list[str]:
    """A unit's ExecStart, for this checkout: its virtualenv, the instance and host substituted."""
    text = (DEPLOY / "systemd" / unit).read_text()
    line = re.search(r"^ExecStart=(.+)$", text, re.M).group(1)
    line = line.replace("${FJJ_WORKER_CONCURRENCY}", "1").replace("%i", instance).replace("%%H", "%h")
    line = line.replace("/var/lib/fjj/", "{var}/")
    argv = line.split()
    argv[0] = str(Path(sys.executable).with_name(Path(argv[0]).name))
    return argv


def test_units_start_the_documented_processes():
    worker = unit_command("fjj-worker@.service", "bulk")
    assert worker[worker.index("-Q") + 1] == "bulk"
    assert "beat" in unit_command("fjj-beat.service")
    assert unit_command("fjj-web@.service", "8000")[1] == "fonds.wsgi"
    target = (DEPLOY / "systemd" / "fjj.target").read_text()
    assert all(f"fjj-worker@{queue}.service" in target for queue in QUEUE_NAMES)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_unit_commands_start_against_the_local_services(tmp_path, private_redis):  # noqa: F811
    """Each unit's ExecStart (paths of this checkout) starts: a worker per queue says ready, beat
    takes the lease, gunicorn answers the health page."""
    env = child_env(tmp_path, private_redis.url(0), FJJ_DEBUG="0", FJJ_SECRET_KEY="s" * 60)
    env.update(FJJ_ALLOWED_HOSTS="127.0.0.1", FJJ_SSL_REDIRECT="0", FJJ_SECURE_COOKIES="0")
    port = free_port()
    for queue in QUEUE_NAMES:
        log = tmp_path / f"worker-{queue}.log"
        with running(unit_command("fjj-worker@.service", queue)[3:], env, log):
            wait(lambda log=log: log.exists() and " ready." in log.read_text(), 120, f"le worker {queue}")
    beat = [arg.replace("{var}", str(tmp_path)) for arg in unit_command("fjj-beat.service")[3:]]
    with running(beat, env, tmp_path / "beat.log"):
        wait(lambda: BeatLease.objects.filter(pk=1).exists(), 60, "le bail pris par beat")
    web = unit_command("fjj-web@.service", str(port))
    with (tmp_path / "web.log").open("ab") as log:
        proc = subprocess.Popen(web, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:

            def answers():
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/sante/", timeout=2) as response:
                        return response.status
                except urllib.error.HTTPError as error:
                    return error.code  # 503 while no worker beats: gunicorn and Django answered
                except OSError:
                    return None

            assert wait(answers, 60, "la page /sante/ servie par gunicorn") in (200, 503)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
