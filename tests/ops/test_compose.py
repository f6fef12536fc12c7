"""docker-compose.yml, .env.example and the Dockerfile, checked without a Docker engine: the
services production needs and the profiles of the optional ones, what is published on the
host, the commands they run, Redis that never evicts Celery's keys, health checks, every
setting through the env file, named volumes, and an image built from files that exist."""

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


def published(service: dict, shell: dict[str, str] | None = None) -> list[str]:
    return [interpolate(port, shell or {}) for port in service.get("ports", [])]


def env_example() -> dict[str, str | None]:
    """NAME -> value for each `NAME=value` line, None for each commented `# NAME=…` line."""
    names: dict[str, str | None] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        found = re.fullmatch(r"(# )?([A-Z][A-Z0-9_]*)=(.*)", line)
        if found:
            names[found.group(2)] = None if found.group(1) else found.group(3)
    return names


def settings_reads() -> set[str]:
    """Every environment variable portal/settings.py reads."""
    source = (ROOT / "portal" / "settings.py").read_text()
    readers = r"(?:env_str|env_bool|env_int|env_list|os\.environ\.get)\(\s*\"([A-Z0-9_]+)\""
    return set(re.findall(readers, source)) | set(re.findall(r'"(KAIRAN_HSTS_\w+)"', source))


# Read by docker-compose.yml itself, by gunicorn, or by `make demo` / rundemo.
READ_OUTSIDE_SETTINGS = {
    "POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD", "KAIRAN_BIND", "KAIRAN_PORT", "MAILPIT_PORT",
    "WORKER_CONCURRENCY", "KAIRAN_IMAP_INTERVAL", "WEB_CONCURRENCY", "PORT",
}  # fmt: skip


def test_every_service_production_needs_is_there(services):
    assert set(services) >= {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis", *APP_SERVICES):
        assert "profiles" not in services[name], f"{name} must start without a profile"


def test_the_mail_catcher_runs_only_in_the_staging_profile_and_only_on_localhost(services):
    mailpit = services["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit")
    assert mailpit["profiles"] == ["staging"]
    assert published(mailpit) == ["127.0.0.1:8025:8025"]


def test_the_web_server_is_published_on_localhost_unless_configured(services):
    assert published(services["web"]) == ["127.0.0.1:8000:8000"]
    assert published(services["web"], {"KAIRAN_BIND": "0.0.0.0", "KAIRAN_PORT": "80"}) == [
        "0.0.0.0:80:8000"
    ]
    # Nothing else reaches the host's network: PostgreSQL, Redis, worker, beat stay inside.
    for name, service in services.items():
        if name not in {"web", "mailpit"}:
            assert "ports" not in service, name


def test_the_imap_poller_runs_in_its_own_profile(services):
    imap = services["imap"]
    assert imap["profiles"] == ["imap"]
    assert command(imap).startswith("python manage.py poll_imap --loop --interval")
    assert interpolate(command(imap), {}).endswith("--interval 60")
    assert (ROOT / "circulation/management/commands/poll_imap.py").is_file()
    assert imap["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


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


def test_every_long_running_process_has_a_health_check(services):
    def check(name: str) -> str:
        return " ".join(services[name]["healthcheck"]["test"])

    assert "pg_isready" in check("postgres")
    assert "redis-cli ping" in check("redis")
    assert check("web") == "CMD python manage.py probe web"  # /readyz through gunicorn
    assert "celery -A portal inspect ping --destination celery@$$HOSTNAME" in check("worker")
    assert check("beat") == "CMD python manage.py probe beat"  # beat's heartbeat age
    assert (ROOT / "portal/management/commands/probe.py").is_file()


def test_the_portal_waits_for_the_databases_and_the_migration(services):
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat", "imap"):
        needs = services[name]["depends_on"]
        assert needs["postgres"]["condition"] == "service_healthy", name
        assert needs["redis"]["condition"] == "service_healthy", name
        assert needs["migrate"]["condition"] == "service_completed_successfully", name


def test_every_portal_process_gets_every_setting_from_the_env_file(services):
    env = services["web"]["environment"]
    for name in (*APP_SERVICES, "imap"):
        assert services[name]["env_file"] == [".env"], name
        own = dict(services[name]["environment"])
        if name == "migrate":  # as the owner of the tables (test below)
            own.pop("KAIRAN_APP_DB_PASSWORD")
            own["DATABASE_URL"] = env["DATABASE_URL"]
        assert own == env, name
        assert services[name]["image"] == services["web"]["image"], name
    # Only what the compose file itself decides: its own database, Redis and volume.
    assert set(env) == {"DATABASE_URL", "REDIS_URL", "KAIRAN_VAR_DIR"}
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")


def test_env_example_lists_every_setting_the_portal_reads():
    listed = env_example()
    missing = sorted(settings_reads() - set(listed))
    assert missing == [], "add these to .env.example"
    unknown = sorted(set(listed) - settings_reads() - READ_OUTSIDE_SETTINGS)
    assert unknown == [], ".env.example lists variables nobody reads"


def test_every_setting_in_env_example_is_explained_by_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.fullmatch(r"(# )?[A-Z][A-Z0-9_]*=.*", line):
            above = lines[number - 1]
            assert above.startswith("#"), f"line {number + 1} ({line}) has no comment above"


def test_the_required_settings_are_left_for_the_operator_to_fill():
    listed = env_example()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD", "EMAIL_HOST"):
        assert listed[name] == "", name  # present, empty: the services refuse to start


def test_the_settings_accept_the_compose_environment(services, tmp_path):
    shell = {"POSTGRES_PASSWORD": "secret", "POSTGRES_APP_PASSWORD": "secret2"}
    env = {name: value for name, value in env_example().items() if value is not None}
    env.update(SECRET_KEY="s" * 64, EMAIL_HOST="smtp.city.example.jp", POSTGRES_PASSWORD="secret")
    env.update({k: interpolate(v, shell) for k, v in services["web"]["environment"].items()})
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
    assert result.stdout.split() == [
        "postgres",
        "redis://redis:6379/0",
        "smtp.city.example.jp",
        "587",
    ]


def test_the_compose_file_refuses_to_start_without_a_database_password(services):
    with pytest.raises(AssertionError, match="POSTGRES_APP_PASSWORD is required"):
        interpolate(services["web"]["environment"]["DATABASE_URL"], {})
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD is required"):
        interpolate(services["migrate"]["environment"]["DATABASE_URL"], {})


def test_the_portal_logs_in_as_the_role_that_cannot_change_the_audit_log(services):
    web = services["web"]["environment"]["DATABASE_URL"]
    assert web.startswith("postgres://kairan_app:${POSTGRES_APP_PASSWORD:?")
    # The migrations run as the owner of the tables, and grant the portal's role its rights.
    migrate = services["migrate"]["environment"]
    assert migrate["DATABASE_URL"].startswith("postgres://kairan:${POSTGRES_PASSWORD:?")
    assert migrate["KAIRAN_APP_DB_PASSWORD"].startswith("${POSTGRES_APP_PASSWORD:?")


def test_clamav_is_an_optional_profile_and_off_unless_chosen(compose, services):
    assert services["clamav"]["profiles"] == ["clamav"]
    assert services["clamav"]["image"].startswith("clamav/clamav")
    assert env_example()["CLAMD_HOST"] in ("", None)  # no scan by default
    assert "profiles" not in services["web"]


def test_data_lives_in_named_volumes_shared_by_every_portal_process(compose, services):
    declared = set(compose["volumes"])
    assert declared >= {"postgres-data", "redis-data", "kairan-data"}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source in declared, f"{name}: {volume} is not a named volume"
    for name in (*APP_SERVICES, "imap"):
        assert "kairan-data:/var/lib/kairan" in services[name]["volumes"], name


def test_the_readme_says_which_compose_is_needed():
    readme = (ROOT / "README.md").read_text()
    assert "Docker Compose v2" in readme
    assert "Docker Compose v2" in (ROOT / "docker-compose.yml").read_text()


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
