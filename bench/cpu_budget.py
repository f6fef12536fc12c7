"""How busy the machine's cores are during a measurement, and a CPU budget per worker.

Two workers can be at most `cores / busy cores with one worker` times one worker: whatever one
worker leaves idle is all a second can use, when PostgreSQL, Redis, the SMTP sink and the
kernel share the same cores. `BusyCores` measures that from /proc/stat, so the benchmark
reports the ceiling its own machine puts on the ratio.

`CpuBudget` puts each worker (its whole process group) in a cgroup of its own, capped at a
fraction of a core, and `split_cores` keeps PostgreSQL, Redis, the sink and the benchmark on
one half of the cores and the workers on the other: a model of the production topology, where
each worker runs on a host of its own and the database and the relay on theirs, so that the
workers, not the machine, are what runs out (on 2 shared cores, every message's round trips to
PostgreSQL and the sink wait for a core as soon as two workers keep them busy). It needs a
writable cgroup `cpu` controller (v1 at /sys/fs/cgroup/cpu, or v2 with `cpu` enabled), which a
container may not offer, and at least 2 cores; `unavailable()` says why in one line.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

_V1 = Path("/sys/fs/cgroup/cpu")
_V2 = Path("/sys/fs/cgroup")
_PERIOD_US = 10_000  # a short period: throttling in small steps, not 100 ms stalls


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return total - idle, total


class BusyCores:
    """`with BusyCores() as busy:` … `busy.cores`: cores busy on average while inside (or
    between `start()` and `stop()`)."""

    cores = 0.0

    def start(self) -> None:
        self._start = _cpu_ticks()

    def __enter__(self) -> BusyCores:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        busy, total = _cpu_ticks()
        spent = total - self._start[1]
        share = (busy - self._start[0]) / spent if spent else 0.0
        self.cores = round(share * (os.cpu_count() or 1), 2)


def _root() -> tuple[Path, str] | None:
    if (_V2 / "cgroup.controllers").exists():
        if "cpu" in (_V2 / "cgroup.controllers").read_text().split():
            return _V2, "v2"
        return None
    if (_V1 / "cpu.cfs_quota_us").exists():
        return _V1, "v1"
    return None


def unavailable() -> str | None:
    """None if budgets can be set here, else the reason in one line."""
    if len(os.sched_getaffinity(0)) < 2:
        return "needs at least 2 cores"
    root = _root()
    if root is None:
        return "no cgroup cpu controller is mounted"
    if not os.access(root[0], os.W_OK):
        return f"{root[0]} is not writable (needs root or a delegated cgroup)"
    return None


class CpuBudget:
    """A cgroup capped at `cores` of CPU; `admit(pgid)` moves a process group into it."""

    def __init__(self, name: str, cores: float) -> None:
        found = _root()
        if found is None:
            raise RuntimeError(unavailable() or "no cgroup cpu controller")
        root, self.version = found
        self.path = root / f"kairan-bench-{name}-{os.getpid()}"
        self.path.mkdir(exist_ok=True)
        quota = max(1000, int(cores * _PERIOD_US))
        if self.version == "v1":
            (self.path / "cpu.cfs_period_us").write_text(str(_PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (self.path / "cpu.max").write_text(f"{quota} {_PERIOD_US}")

    def admit(self, process_group: int, cpus: Iterable[int] | None = None) -> int:
        """Move every process of the group (a worker and its pool) in, and onto `cpus` if
        given; returns how many."""
        moved = 0
        for pid in _process_group(process_group):
            try:
                (self.path / "cgroup.procs").write_text(str(pid))
                for thread in _threads(pid) if cpus is not None else []:
                    os.sched_setaffinity(thread, set(cpus or ()))
                moved += 1
            except OSError:
                continue  # it ended meanwhile
        return moved

    def remove(self) -> None:
        """Give the processes back to the root and delete the cgroup."""
        procs = self.path / "cgroup.procs"
        for pid in procs.read_text().split() if procs.exists() else []:
            with contextlib.suppress(OSError):
                (self.path.parent / "cgroup.procs").write_text(pid)
        for _attempt in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)  # processes still leaving


def _process_group(group: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with suppress(OSError):
                if os.getpgid(int(entry)) == group:
                    found.append(int(entry))
    return found


def _threads(pid: int) -> list[int]:
    try:
        return [int(thread) for thread in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def _pids_named(*names: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with suppress(OSError), open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() in names:
                    found.append(int(entry))
    return found


@contextmanager
def split_cores(
    extra_pids: Iterable[int] = (), services: tuple[str, ...] = ("postgres", "redis-server")
) -> Iterator[set[int]]:
    """PostgreSQL (every process: new backends inherit the postmaster's cores), Redis, the
    given processes (the sink, the benchmark) on the first half of the cores while inside;
    yields the other half, for the workers. Everything moved is put back afterwards."""
    cpus = sorted(os.sched_getaffinity(0))
    infrastructure, workers = set(cpus[: len(cpus) // 2]), set(cpus[len(cpus) // 2 :])
    moved: dict[int, set[int]] = {}
    for pid in [*_pids_named(*services), *extra_pids, os.getpid()]:
        for thread in _threads(pid):  # affinity is per thread (Redis and aiosmtpd have several)
            with suppress(OSError):
                moved[thread] = os.sched_getaffinity(thread)
                os.sched_setaffinity(thread, infrastructure)
    try:
        yield workers
    finally:
        for pid, before in moved.items():
            with suppress(OSError):
                os.sched_setaffinity(pid, before)
