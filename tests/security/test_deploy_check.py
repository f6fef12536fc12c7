"""`manage.py check --deploy --fail-level WARNING` passes with production settings, and
fails when a protection is missing — run in a fresh interpreter, as production starts."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "SECRET_KEY": "",  # filled per run: long and random, as check --deploy wants
    "ALLOWED_HOSTS": "kairan.city.example.jp",
    "SITE_URL": "https://kairan.city.example.jp",
    "EMAIL_HOST": "smtp.city.example.jp",
    "KAIRAN_HSTS_SECONDS": "31536000",
    "KAIRAN_SSL_REDIRECT": "1",
}


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("KAIRAN_", "DJANGO_")) and k not in ("DATABASE_URL", "REDIS_URL",
                                                                     "DEBUG")}  # fmt: skip
    base.update(PRODUCTION, SECRET_KEY=secrets.token_urlsafe(64),
                KAIRAN_VAR_DIR=str(tmp_path / "var"))  # fmt: skip
    base.update(env)
    base = {k: v for k, v in base.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=base, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("decision", ["1", "0"])
def test_production_settings_pass_once_hsts_scope_is_decided(tmp_path, decision):
    done = deploy_check(tmp_path, KAIRAN_HSTS_INCLUDE_SUBDOMAINS=decision,
                        KAIRAN_HSTS_PRELOAD=decision)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_an_undecided_hsts_scope_keeps_the_reminder(tmp_path):
    done = deploy_check(tmp_path)
    assert done.returncode != 0
    assert "security.W005" in done.stderr and "security.W021" in done.stderr


@pytest.mark.parametrize(
    ("missing", "warning"),
    [
        ({"KAIRAN_HSTS_SECONDS": "0"}, "security.W004"),
        ({"KAIRAN_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SITE_URL": "http://kairan.city.example.jp"}, "security.W012"),  # insecure cookies
    ],
)
def test_the_check_fails_when_a_protection_is_missing(tmp_path, missing, warning):
    done = deploy_check(tmp_path, KAIRAN_HSTS_INCLUDE_SUBDOMAINS="0", KAIRAN_HSTS_PRELOAD="0",
                        **missing)  # fmt: skip
    assert done.returncode != 0
    assert warning in done.stderr


def test_preload_without_subdomains_stops_the_portal(tmp_path):
    done = deploy_check(tmp_path, KAIRAN_HSTS_PRELOAD="1")
    assert done.returncode != 0
    assert "KAIRAN_HSTS_INCLUDE_SUBDOMAINS" in done.stderr
