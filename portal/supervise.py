"""Running several processes as one: what `manage.py rundemo` uses for the web server, the
Celery worker and Celery beat.

Each child runs in its own session (and so its own process group), so that a Ctrl-C in the
terminal reaches only this supervisor, which then stops every child and everything the child
started (gunicorn's workers, for example) in order: SIGTERM to the group, a wait, then
SIGKILL for what is left. If one child dies, the others are stopped and the run fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Child:
    name: str  # shown in messages, e.g. "Celery worker"
    argv: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class ChildDied(Exception):
    def __init__(self, child: Child) -> None:
        code = child.process.returncode if child.process else None
        super().__init__(f"{child.name} stopped unexpectedly (exit code {code})")
        self.child = child


class Supervisor:
    def __init__(
        self,
        children: list[Child],
        *,
        env: dict[str, str],
        cwd: str,
        stop_timeout: float = 10.0,
        say: Callable[[str], None] = print,
    ) -> None:
        self.children = children
        self.env = env
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.say = say
        self._stop_requested: int | None = None
        self._hurry = False

    def run(self, *, ready: Callable[[], bool], on_ready: Callable[[], None]) -> None:
        """Start every child and watch them until a stop signal (returns) or until one
        of them dies (raises ChildDied). Every child is stopped either way."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            self._start_all()
            self._watch(ready, on_ready)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._stop_requested is not None:
            self._hurry = True  # a second Ctrl-C: stop waiting for a graceful end
        self._stop_requested = signum

    def _start_all(self) -> None:
        for child in self.children:
            if self._stop_requested is not None:
                return
            child.process = subprocess.Popen(
                child.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # own process group; the terminal's Ctrl-C skips it
            )
            self.say(f"started {child.name} (pid {child.pid})")

    def _watch(self, ready: Callable[[], bool], on_ready: Callable[[], None]) -> None:
        is_ready = False
        while self._stop_requested is None:
            for child in self.children:
                if child.process is not None and not child.running():
                    raise ChildDied(child)
            if not is_ready and ready():
                is_ready = True
                on_ready()
            time.sleep(0.2)
        self.say(f"received {signal.Signals(self._stop_requested).name}: stopping everything")

    def stop_all(self) -> None:
        """SIGTERM to every child's process group, wait, then SIGKILL what is left."""
        started = [child for child in self.children if child.process is not None]
        for child in started:
            _signal_group(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline and not self._hurry:
            if not any(_group_alive(child) for child in started):
                break
            time.sleep(0.1)
        for child in started:
            if _group_alive(child):
                self.say(f"{child.name} did not stop in time: killing it")
                _signal_group(child.pid, signal.SIGKILL)
        for child in started:
            assert child.process is not None
            child.process.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(pgid, sig)


def _group_alive(child: Child) -> bool:
    """True while the child or anything it started is still in its process group."""
    if child.running():
        return True
    try:
        os.killpg(child.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pgid now belongs to someone else's processes
        return False
    return True
