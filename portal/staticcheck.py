"""Whether `collectstatic` has to run again: `make demo` skips it when nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

# collectstatic's own default: these are never collected, so never missing.
IGNORED = ["CVS", ".*", "*~"]


def static_files_stale() -> bool:
    """True when the collected files (and whitenoise's manifest) miss a source file or are
    older than one."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    try:
        collected = set(json.loads(manifest.read_text())["paths"])
        collected_at = manifest.stat().st_mtime
    except (OSError, ValueError, KeyError):
        return True
    for finder in finders.get_finders():
        for path, storage in finder.list(IGNORED):
            if path not in collected or Path(storage.path(path)).stat().st_mtime > collected_at:
                return True
    return False
