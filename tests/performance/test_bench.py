"""The benchmarks (bench/) are not tests and `make test` does not run them; this keeps their
code from rotting: the floor URL exists only when the benchmark asks for it, the seeded
council and the sessions the load generator uses really open the pages, and the result
handling works."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

import bench.__main__ as bench_main
from bench import common, download, inprocess, web
from bench.common import Environment
from portal import urls as portal_urls
from tests.performance.budgets import statements_of

pytestmark = pytest.mark.django_db


def test_the_floor_url_is_absent_unless_the_benchmark_asks_for_it(client, council, monkeypatch):
    monkeypatch.delenv("KAIRAN_BENCH_FLOOR", raising=False)
    assert portal_urls.bench_floor_patterns() == []
    with pytest.raises(NoReverseMatch):
        reverse("bench_floor", args=[1])
    client.force_login(council.members[0])
    assert client.get("/bench/floor/1/").status_code == 404
    monkeypatch.setenv("KAIRAN_BENCH_FLOOR", "1")
    assert [p.name for p in portal_urls.bench_floor_patterns()] == ["bench_floor"]


@pytest.fixture
def seeded(council, settings, tmp_path):
    """The benchmark's own council (10 recipients here), as `make bench` seeds it."""
    settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT = True
    settings.ROOT_URLCONF = "tests.performance.floor_urls"
    return web.seed(Environment(database_url="", var_dir=tmp_path, env={}), recipients=10)


def _client_of(slots) -> Client:
    browser = Client(enforce_csrf_checks=True)
    first = slots.slots[0]
    browser.cookies["sessionid"] = first.session
    browser.cookies["csrftoken"] = first.csrf
    return browser


def test_the_load_generators_sessions_open_every_benchmarked_page(seeded):
    for target in web.targets(seeded.circulation_id).values():
        if target.method == "GET":
            slots = seeded.secretariat_slots if target.who == "secretariat" else seeded.member_slots
            response = _client_of(slots).get(target.path)
            assert response.status_code == target.status, target.name


def test_the_reply_post_as_the_load_generator_sends_it_is_accepted(seeded):
    slots = seeded.member_slots
    slots.refresh()
    first = slots.slots[0]
    version = int(slots.path.read_text().splitlines()[0].split()[2])
    target = web.targets(seeded.circulation_id)["reply (POST)"]
    response = _client_of(slots).post(
        target.path,
        {
            "csrfmiddlewaretoken": first.csrf,
            "kind": "opinion",
            "opinion": "賛成します",
            "meeting_needed": "no",
            "base_version": str(version),
        },
    )
    assert response.status_code == 302
    slots.refresh()
    assert slots.path.read_text().splitlines()[0].split()[2] == str(version + 1)


def test_the_floor_runs_one_query_of_its_own_and_renders_one_line(seeded):
    browser = _client_of(seeded.member_slots)
    path = web.targets(seeded.circulation_id)["floor"].path
    browser.get(path)
    statements = statements_of(lambda: browser.get(path))
    own = [sql for sql in statements if "circulation_recipient" in sql]
    assert len(own) == 1
    # the session, the person, the MFA middleware's look at the person's memberships, the
    # floor's own look-up, the session's save
    assert len(statements) == 5
    body = browser.get(path).content.decode()
    assert body.count("\n") == 1


def test_a_big_material_is_added_for_the_download(seeded, tmp_path):
    environment = Environment(database_url="", var_dir=tmp_path, env={})
    original = download.SIZE_MB
    download.SIZE_MB = 1
    try:
        material_id = download.add_big_material(environment, seeded.circulation_id)
    finally:
        download.SIZE_MB = original
    browser = _client_of(seeded.member_slots)
    response = browser.get(f"/c/{seeded.circulation_id}/materials/{material_id}/download/")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) == 1024 * 1024


def test_wrk_results_become_ratios_to_the_floor_and_a_table():
    line = (
        'KAIRAN_RESULT {"requests": 500, "duration_us": 5000000, "p50_us": 8000, '
        '"p95_us": 12000, "p99_us": 15000, "mean_us": 8500.0, "max_us": 20000, '
        '"unexpected_status": 0, "connect_errors": 0, "read_errors": 0, "write_errors": 0, '
        '"timeouts": 0}'
    )
    result = web.parse_wrk(line)
    assert result["per_second"] == 100.0
    assert result["p50_ms"] == 8.0
    run = web._with_ratios("member home", 1, result, {"p50_ms": 4.0, "p95_ms": 8.0})
    assert run["ratio_p50"] == 2.0
    assert run["target_met"]
    tracking = web._with_ratios(
        "tracking page (1,000 recipients)", 16, result, {"p50_ms": 1.6, "p95_ms": 3.0}
    )
    assert not tracking["target_met"]
    text = web.report([{"page": "floor", "clients": 1, "per_second": 1, "p50_ms": 4.0,
                        "p95_ms": 8.0}, run, tracking])  # fmt: skip
    assert "MISSED" in text and "2.0x" in text


def test_make_bench_knows_its_parts():
    assert common.with_database("postgres://u@h:5432/x", "kairan_bench").endswith("/kairan_bench")
    assert all(name.startswith("bench.mail_") for name in bench_main.mail_modules())
    assert "cpus" in common.machine()


def test_the_in_process_harness_times_pages_against_the_floor(seeded):
    requests = inprocess.getters(seeded, ["floor", "tracking", "member"])
    times = inprocess.time_pages(requests, 3)
    assert {name: len(values) for name, values in times.items()} == {
        "floor": 3,
        "tracking": 3,
        "member": 3,
    }
    text = inprocess.report(times)
    assert "median/floor" in text and "tracking" in text
    assert "circulation_recipient" in inprocess.statements(requests["tracking"], requests=2)
    assert "function calls" in inprocess.profile(requests["floor"], 1, "cumulative")


def test_the_in_process_harness_refuses_others_databases(capsys):
    for name in ("test", "lead", "bench_mail"):
        with pytest.raises(SystemExit):
            inprocess.main(["--database", name])
