"""The supervisor behind `make demo`: one stop signal ends every process it started, and
everything those started; a process that dies takes the others down with it."""

from __future__ import annotations

import signal
import sys

import pytest

from portal.supervise import Child, ChildDied, Supervisor
from tests.ops.processes import alive, in_sessions, wait_for

SLEEPER = "import time; time.sleep(60)"
# Starts a grandchild that ignores SIGTERM, writes its pid, then sleeps (SIGTERM ends it).
PARENT_OF_STUBBORN = """
import subprocess, sys, time
stubborn = subprocess.Popen([sys.executable, "-c",
    "import os, pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    "pathlib.Path(sys.argv[1]).write_text(str(os.getpid())); time.sleep(60)", sys.argv[1]])
time.sleep(60)
"""


def supervisor(children: list[Child], tmp_path, *, stop_timeout: float = 5.0) -> Supervisor:
    return Supervisor(
        children, env={}, cwd=str(tmp_path), stop_timeout=stop_timeout, say=lambda _: None
    )


def test_a_stop_signal_ends_every_child(tmp_path):
    children = [Child("one", [sys.executable, "-c", SLEEPER]), Child("two", ["sleep", "60"])]
    sup = supervisor(children, tmp_path)

    # SIGTERM arrives once everything runs, as from `kill` or a service manager.
    sup.run(ready=lambda: True, on_ready=lambda: signal.raise_signal(signal.SIGTERM))

    assert [child.process.returncode for child in children] == [-signal.SIGTERM] * 2
    assert in_sessions(child.pid for child in children) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is given back


def test_a_child_that_dies_stops_the_others_and_fails_the_run(tmp_path):
    sleeper = Child("web server", [sys.executable, "-c", SLEEPER])
    dying = Child("Celery beat", [sys.executable, "-c", "import sys; sys.exit(3)"])
    sup = supervisor([sleeper, dying], tmp_path)

    with pytest.raises(ChildDied, match=r"Celery beat stopped unexpectedly \(exit code 3\)"):
        sup.run(ready=lambda: False, on_ready=lambda: None)

    assert not alive(sleeper.pid)
    assert in_sessions([sleeper.pid, dying.pid]) == []


def test_what_ignores_sigterm_is_killed_after_the_timeout_grandchildren_included(tmp_path):
    marker = tmp_path / "stubborn.pid"
    parent = Child("worker", [sys.executable, "-c", PARENT_OF_STUBBORN, str(marker)])
    sup = supervisor([parent], tmp_path, stop_timeout=1.0)

    def stop_once_the_grandchild_runs() -> None:
        sup._on_signal(signal.SIGINT, None)

    sup.run(ready=marker.exists, on_ready=stop_once_the_grandchild_runs)

    stubborn = int(marker.read_text())
    wait_for(lambda: not alive(stubborn), 5, "the grandchild to be reaped")
    assert in_sessions([parent.pid]) == []
