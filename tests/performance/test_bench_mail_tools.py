"""The fan-out benchmark's measuring tools: the busy-cores reading, Postfix's sink counter and
the per-worker CPU budget (bench/cpu_budget.py, bench/postfix_sink.py)."""

from __future__ import annotations

import os
import smtplib
import time

import pytest

from bench import cpu_budget, postfix_sink
from bench.mail_fanout import _rows


def test_busy_cores_reads_a_spinning_process_as_about_one_core():
    with cpu_budget.BusyCores() as busy:
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            pass
    # One core spun; the rest of the machine may add to it, never more than every core.
    assert 0.5 <= busy.cores <= (os.cpu_count() or 1)


def test_busy_cores_reads_a_sleeping_process_as_less_than_a_spinning_one():
    # The reading is the whole machine's: other tests running beside this one (pytest -n)
    # can fill every core for a moment. Three tries, alternating; one clear reading is enough.
    readings = []
    for _attempt in range(3):
        with cpu_budget.BusyCores() as idle:
            time.sleep(0.5)
        with cpu_budget.BusyCores() as spinning:
            until = time.monotonic() + 0.5
            while time.monotonic() < until:
                pass
        readings.append((idle.cores, spinning.cores))
        if idle.cores < spinning.cores:
            return
    pytest.fail(f"sleeping never read less busy than spinning: {readings}")


def test_the_postfix_sinks_count_is_the_last_counter_it_printed(tmp_path, monkeypatch):
    monkeypatch.setenv("KAIRAN_BENCH_SMTP_SINK", str(tmp_path / "smtp-sink"))
    (tmp_path / "smtp-sink").write_text("")
    sink = postfix_sink.PostfixSink()
    sink._counters.write_bytes(
        b"sess=0 quit=0 mesg=1\rsess=0 quit=0 mesg=2\r" + b"sess=0 quit=0 mesg=1999\r" * 3
        + b"sess=1 quit=1 mesg=2000\r"
    )  # fmt: skip
    assert sink.count() == 2000
    sink._counters.write_bytes(b"")
    assert sink.count() == 0
    sink.__exit__()


def test_without_smtp_sink_the_postfix_sink_says_where_to_get_it(monkeypatch):
    monkeypatch.setenv("KAIRAN_BENCH_SMTP_SINK", "/nonexistent/smtp-sink")
    with pytest.raises(FileNotFoundError, match=r"bench/postfix_sink\.py"):
        postfix_sink.PostfixSink()


@pytest.mark.skipif(postfix_sink.smtp_sink_path() is None, reason="no smtp-sink: make bench-sink")
def test_the_postfix_sink_counts_what_smtplib_sends():
    with postfix_sink.PostfixSink() as sink:
        with smtplib.SMTP("127.0.0.1", sink.port) as client:
            for index in range(3):
                message = b"Subject: x\r\n\r\nx\r\n"
                client.sendmail("a@example.jp", [f"m{index}@example.jp"], message)
        sink.wait_for(lambda: sink.count() == 3, 5, "three messages")


def test_a_cpu_budget_needs_a_writable_cgroup_or_says_why(monkeypatch, tmp_path):
    monkeypatch.setattr(cpu_budget, "_V1", tmp_path / "absent")
    monkeypatch.setattr(cpu_budget, "_V2", tmp_path / "absent-too")
    assert cpu_budget.unavailable() == "no cgroup cpu controller is mounted"
    with pytest.raises(RuntimeError, match="no cgroup cpu controller"):
        cpu_budget.CpuBudget("w0", 0.3)


def test_a_cpu_budget_writes_its_quota_in_the_cgroup_version_found(monkeypatch, tmp_path):
    v1 = tmp_path / "cpu"
    v1.mkdir()
    (v1 / "cpu.cfs_quota_us").write_text("-1")
    monkeypatch.setattr(cpu_budget, "_V1", v1)
    monkeypatch.setattr(cpu_budget, "_V2", tmp_path / "no-v2")
    budget = cpu_budget.CpuBudget("w0", 0.3)
    assert (budget.path / "cpu.cfs_period_us").read_text() == "10000"
    assert (budget.path / "cpu.cfs_quota_us").read_text() == "3000"

    v2 = tmp_path / "unified"
    v2.mkdir()
    (v2 / "cgroup.controllers").write_text("cpuset cpu io memory pids")
    monkeypatch.setattr(cpu_budget, "_V2", v2)
    assert cpu_budget.CpuBudget("w1", 0.5).path.joinpath("cpu.max").read_text() == "5000 10000"


def test_the_report_names_the_budget_and_the_machines_ceiling():
    worker = {"per_second": 1000.0, "busy_cores": 1.25, "send_request_seconds": 0.6}
    run = {
        "sink": "postfix",
        "relay_ms": 0.0,
        "worker_cpu_budget_cores": 0.3,
        "raw_smtplib": {
            "per_second": 2000.0,
            "separate_process_per_second": 2000.0,
        },
        "one_worker": worker,
        "two_workers": {**worker, "per_second": 1900.0},
        "one_worker_vs_raw": 0.5,
        "one_worker_vs_raw_separate_process": 0.5,
        "two_vs_one": 1.9,
        "cores": 2,
        "two_vs_one_ceiling": 1.6,
    }
    rows = dict(_rows(run))
    label = "[postfix sink, DATA answered after 0 ms, each worker capped at 0.3 core]"
    two_workers = rows[f"{label} outbox + 2 workers"]
    assert "1.9× one worker; this machine allows at most 1.6×" in two_workers
    assert "1.25 of 2 cores busy" in rows[f"{label} outbox + 1 worker"]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs at least 2 cores")
def test_splitting_the_cores_moves_the_infrastructure_to_one_half_and_back():
    before = os.sched_getaffinity(0)
    cpus = sorted(before)
    with cpu_budget.split_cores(services=()) as for_workers:
        assert os.sched_getaffinity(0) == set(cpus[: len(cpus) // 2])
        assert for_workers == set(cpus[len(cpus) // 2 :])
    assert os.sched_getaffinity(0) == before
