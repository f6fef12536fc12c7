"""Import portal/settings.py in a fresh interpreter with a given environment, because
settings are read once, at import: this is how a test sees what production would get."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(
    tmp_path: Path, env: dict[str, str], names: list[str]
) -> subprocess.CompletedProcess[str]:
    """Run `import portal.settings` with `env` on top of a minimal testing environment;
    stdout holds the JSON of the named settings if the import succeeded."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KAIRAN_", "DJANGO_"))}
    base.pop("DATABASE_URL", None)
    base.pop("REDIS_URL", None)
    base.update({"KAIRAN_TESTING": "1", "KAIRAN_VAR_DIR": str(tmp_path / "var")})
    base.update(env)
    code = (
        "import json, portal.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def settings_values(tmp_path: Path, env: dict[str, str], names: list[str]) -> dict:
    done = load_settings(tmp_path, env, names)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
