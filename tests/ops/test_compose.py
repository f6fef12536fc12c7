"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the services that
production needs, the commands they run, Redis that never evicts Celery's keys, health
checks, one environment that the settings accept, and an image built from files that exist."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def command(service: dict) -> str:
    value = service["command"]
    return " ".join(value) if isinstance(value, list) else value


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with `given` as the shell."""

    def one(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3) or ""
        if name in given:
            return given[name]
        if op == ":?":
            raise AssertionError(f"{name} is required: {default}")
        return default

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, str(value))


def test_every_service_production_needs_is_there(services):
    assert set(services) >= {"postgres", "redis", "migrate", "web", "worker", "beat", "mailpit"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert any(str(port).endswith(":8025") for port in services["mailpit"]["ports"])


def test_web_worker_and_beat_run_the_right_programs(services):
    assert command(services["web"]).startswith("gunicorn portal.wsgi")
    assert command(services["migrate"]) == (
        "sh -c python manage.py migrate --noinput"
        " && python manage.py grant_app_role kairan_app --create"
    )
    worker = command(services["worker"])
    assert worker.startswith("celery -A portal worker")
    assert "--prefetch-multiplier 1" in worker
    assert command(services["beat"]).startswith("celery -A portal beat")
    assert "--schedule /var/lib/kairan/" in command(services["beat"])  # on the data volume


def test_redis_never_evicts_celery_keys_and_keeps_them_across_restarts(services):
    redis = command(services["redis"])
    assert "--maxmemory-policy noeviction" in redis
    assert "--appendonly yes" in redis
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])


def test_databases_have_health_checks_and_the_portal_waits_for_them(services):
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        needs = services[name]["depends_on"]
        assert needs["postgres"]["condition"] == "service_healthy", name
        assert needs["redis"]["condition"] == "service_healthy", name
        assert needs["migrate"]["condition"] == "service_completed_successfully", name


def test_every_portal_process_has_the_same_environment_from_one_anchor(compose, services):
    env = compose["x-env"]
    for name in APP_SERVICES:
        own = dict(services[name]["environment"])
        if name == "migrate":
            # The migrations run as the owner of the tables, and grant the portal's role.
            assert own.pop("DATABASE_URL").startswith("postgres://kairan:${POSTGRES_PASSWORD:?")
            assert own.pop("KAIRAN_APP_DB_PASSWORD") == (
                "${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD}"
            )
            own["DATABASE_URL"] = env["DATABASE_URL"]
        assert own == env, name
        assert services[name]["image"] == services["web"]["image"], name
    # The portal itself logs in as the role with only SELECT and INSERT on the audit log.
    assert env["DATABASE_URL"].startswith("postgres://kairan_app:${POSTGRES_APP_PASSWORD:?")
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # from the operator, never a default
    assert env["EMAIL_HOST"] == "${EMAIL_HOST:-mailpit}"
    assert env["EMAIL_PORT"] == "${EMAIL_PORT:-1025}"
    for required in ("ALLOWED_HOSTS", "SITE_URL"):
        assert required in env


def test_every_variable_in_the_environment_is_one_the_portal_reads(compose):
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    read_elsewhere = {"WEB_CONCURRENCY"}  # gunicorn's own
    for name in compose["x-env"]:
        assert f'"{name}"' in settings_source or name in read_elsewhere, name


def test_the_settings_accept_the_compose_environment(compose, tmp_path):
    shell = {"SECRET_KEY": "s" * 64, "POSTGRES_APP_PASSWORD": "secret"}
    env = {name: interpolate(value, shell) for name, value in compose["x-env"].items()}
    env.update(
        PATH=os.environ.get("PATH", ""),
        KAIRAN_VAR_DIR=str(tmp_path),  # the container's /var/lib/kairan
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, s.EMAIL_HOST, s.EMAIL_PORT)"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["postgres", "redis://redis:6379/0", "mailpit", "1025"]


def test_the_compose_file_refuses_to_start_without_a_secret_key(compose):
    with pytest.raises(AssertionError, match="SECRET_KEY is required"):
        interpolate(compose["x-env"]["SECRET_KEY"], {})


def test_clamav_is_an_optional_profile_and_off_unless_chosen(compose, services):
    assert services["clamav"]["profiles"] == ["clamav"]
    assert services["clamav"]["image"].startswith("clamav/clamav")
    assert interpolate(compose["x-env"]["CLAMD_HOST"], {}) == ""  # no scan by default
    assert "profiles" not in services["web"]


def test_the_data_volume_is_shared_by_every_portal_process(compose, services):
    for name in APP_SERVICES:
        assert "kairan-data:/var/lib/kairan" in services[name]["volumes"], name
    assert set(compose["volumes"]) >= {"postgres-data", "redis-data", "kairan-data"}


def test_the_image_installs_the_locked_dependencies_with_hashes(dockerfile):
    assert dockerfile[0] == ("FROM", "python:3.11-slim")
    installs = [args for op, args in dockerfile if op == "RUN" and "pip install" in args]
    assert len(installs) == 1
    assert "--require-hashes" in installs[0]
    lock = re.search(r"-r (\S+)", installs[0]).group(1)
    assert (ROOT / lock).is_file()
    assert any(op == "COPY" and args.split()[0] == lock for op, args in dockerfile)
    locked = (ROOT / lock).read_text()
    for package in ("django==", "gunicorn==", "celery==", "psycopg==", "whitenoise=="):
        assert package in locked.lower(), package


def test_the_image_runs_as_an_unprivileged_user_and_collects_static_files(dockerfile):
    users = [args for op, args in dockerfile if op == "USER"]
    assert users and users[-1] not in {"root", "0"}
    steps = [op for op, _ in dockerfile]
    collect = next(i for i, (op, args) in enumerate(dockerfile) if "collectstatic" in args)
    assert steps.index("USER") < collect  # collected files belong to the app's user


def test_the_image_command_starts_gunicorn_on_the_wsgi_application(dockerfile):
    (cmd,) = [args for op, args in dockerfile if op == "CMD"]
    argv = json.loads(cmd)
    assert argv[:2] == ["gunicorn", "portal.wsgi:application"]
    assert "application = " in (ROOT / "portal" / "wsgi.py").read_text()
    assert not [op for op, _ in dockerfile if op == "ENTRYPOINT"]


def test_the_build_context_keeps_the_code_and_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for needed in ("portal", "circulation", "templates", "static", "manage.py", "requirements"):
        assert needed not in ignored, needed
        assert (ROOT / needed).exists(), needed
    assert {".venv", "var", ".git"} <= set(ignored)
