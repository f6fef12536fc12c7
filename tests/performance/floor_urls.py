"""The portal's URLs plus the benchmark's floor, as a server started with
KAIRAN_BENCH_FLOOR=1 has them (tests/performance/test_bench.py)."""

from bench.floor import urlpatterns as floor_patterns
from portal.urls import urlpatterns as portal_patterns

urlpatterns = [*portal_patterns, *floor_patterns]
