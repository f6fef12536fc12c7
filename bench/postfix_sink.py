"""Postfix's own `smtp-sink` as the fan-out benchmark's relay: the test server Postfix ships for
measuring mail throughput, written in C, with PIPELINING.

The relay of a production deployment runs on a host of its own; on this benchmark's machine it
shares the cores with PostgreSQL, Redis and the workers, so a relay that spends little CPU per
message measures the workers rather than itself. The lean sink (bench/lean_sink.py) is Python
and costs a noticeable share of a core at 1,000+ messages a second; `smtp-sink` costs a small
fraction of that, as Postfix itself would.

Found at $KAIRAN_BENCH_SMTP_SINK, as `smtp-sink` on PATH or in /usr/sbin, or in var/postfix,
where `make bench-sink` unpacks Debian's `postfix` package without installing (and starting)
an MTA (its libraries are found next to it, in ../lib/postfix).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.lean_sink import wait_for

_COUNTER = re.compile(rb"mesg=(\d+)")
_UNPACKED = Path(__file__).resolve().parent.parent / "var/postfix/usr/sbin/smtp-sink"


def smtp_sink_path() -> Path | None:
    configured = os.environ.get("KAIRAN_BENCH_SMTP_SINK")
    if configured:
        return Path(configured)
    found = shutil.which("smtp-sink") or shutil.which("smtp-sink", path="/usr/sbin:/usr/bin")
    if found:
        return Path(found)
    return _UNPACKED if _UNPACKED.exists() else None


class PostfixSink:
    """`with PostfixSink() as sink:` … `sink.port`, `sink.count()`; it answers at once."""

    def __init__(self) -> None:
        path = smtp_sink_path()
        if path is None or not path.exists():
            raise FileNotFoundError("smtp-sink (Postfix) not found; see bench/postfix_sink.py")
        self.path = path
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # `-c` prints running counters after every message ("… mesg=N\r"); written to a file,
        # the count is the last one in its tail, read only when asked for.
        self._counters = Path(tempfile.mkstemp(prefix="kairan-smtp-sink-", suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None

    def _environment(self) -> dict[str, str]:
        environment = dict(os.environ)
        libraries = self.path.resolve().parent.parent / "lib" / "postfix"
        if libraries.is_dir():
            environment["LD_LIBRARY_PATH"] = ":".join(
                part for part in (str(libraries), environment.get("LD_LIBRARY_PATH", "")) if part
            )
        return environment

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def count(self) -> int:
        with self._counters.open("rb") as counters:
            counters.seek(0, os.SEEK_END)
            counters.seek(max(0, counters.tell() - 64))
            found = _COUNTER.findall(counters.read())
        return int(found[-1]) if found else 0

    def wait_for(self, predicate: Any, timeout: float, what: str) -> None:
        wait_for(predicate, timeout, what)

    def __enter__(self) -> PostfixSink:
        command = [str(self.path), "-c", f"127.0.0.1:{self.port}", "256"]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "nobody"]  # it refuses to run as root without it
        with self._counters.open("wb") as counters:
            self._process = subprocess.Popen(
                command, stdout=counters, stderr=subprocess.PIPE, env=self._environment()
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self._process.poll() is not None:
                    error = self._process.stderr.read().decode() if self._process.stderr else ""
                    raise RuntimeError(f"smtp-sink did not start: {error.strip()}") from None
                time.sleep(0.05)
        raise RuntimeError("smtp-sink did not listen within 10 s")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(5)
        self._counters.unlink(missing_ok=True)
