"""/healthz and /readyz: JSON for load balancers, container health checks and monitoring.

No login, and nothing in the answer but each check's name and "ok" or "fail": neither
counts, nor hosts, nor error messages (the library logs those for the operator). Both are
left out of the request's transaction (portal/request_transaction.py) and of the https
redirect (SECURE_REDIRECT_EXEMPT), so that a probe on the container's own port works.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from health_check.views import HealthCheckView

# (name shown, check): the names are the whole vocabulary of the answer.
READINESS = {
    "database": ("health_check.checks.Database", {"alias": "default"}),
    "cache": ("health_check.checks.Cache", {"alias": "default"}),
    "broker": ("portal.health.checks.Broker", {}),
    "beat": ("portal.health.checks.BeatHeartbeat", {}),
    "mail_queue": ("portal.health.checks.MailQueue", {}),
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answers; asks nothing of the database or the broker."""
    return JsonResponse({"status": "ok"})


class ReadinessView(HealthCheckView):
    """django-health-check runs the checks (concurrently, each with a timeout, an
    unexpected exception logged and counted as a failure); this answer is JSON whatever
    the Accept header, 200 when all pass, 503 when any fails."""

    checks = tuple(READINESS.values())
    http_method_names = ["get", "head"]

    def answer(self) -> JsonResponse:
        checks = {
            name: "fail" if result.error else "ok"
            for name, result in zip(READINESS, self.results, strict=True)
        }
        failed = "fail" in checks.values()
        return JsonResponse(
            {"status": "fail" if failed else "ok", "checks": checks}, status=503 if failed else 200
        )

    # Every format the library offers (HTML, text, JSON, feeds, OpenMetrics) answers the
    # same JSON: the feeds and the text would carry the checks' messages.
    def render_to_response(self, context: dict, **kwargs: object) -> JsonResponse:
        return self.answer()

    def render_to_response_json(self, status: int) -> JsonResponse:
        return self.answer()

    def render_to_response_text(self, status: int) -> JsonResponse:
        return self.answer()

    def render_to_response_atom(self) -> JsonResponse:
        return self.answer()

    def render_to_response_rss(self) -> JsonResponse:
        return self.answer()

    def render_to_response_openmetrics(self) -> JsonResponse:
        return self.answer()


readyz = ReadinessView.as_view()
