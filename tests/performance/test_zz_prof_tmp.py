import cProfile, pstats, time, statistics, os
import pytest
from django.urls import reverse
from bench.seed import LARGE, build, grow
from tests.performance.test_query_budgets import production_like  # noqa

pytestmark = pytest.mark.django_db


def test_prof(client, production_like, settings):
    settings.ROOT_URLCONF = "tests.performance.floor_urls"
    settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT = False
    from django.template.base import Template
    from django.test.utils import _TestState

    Template._render = _TestState.saved_data.template_render
    world = build(production_like, LARGE)
    client.force_login(production_like.secretariat)
    url = os.environ.get("PROF_URL") or reverse("circulation_tracking", args=[world.open.pk])
    floor = f"/bench/floor/{world.open.pk}/"
    for u in (url, floor):
        r = client.get(u)
        assert r.status_code == 200, (u, r.status_code)
    for u in (floor, url):
        times = []
        for _ in range(30):
            t = time.perf_counter()
            client.get(u)
            times.append(time.perf_counter() - t)
        print(u, f"median {statistics.median(times) * 1000:.1f} ms")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(10):
        client.get(url)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(
        "kairan|circulation/|portal/|render_to_string|loader_tags|aggregate|_fetch_all", 60
    )
