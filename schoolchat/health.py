"""GET /healthz: can this process serve, and (for the monitoring system) why not.

The database or Redis failing is an error (503: this process cannot serve). A failed or missing
backup is ``"status": "degraded"`` with 200: people can still chat, but an operator must look.

Anyone (a load balancer, a container's health check) gets only ``{"status": "ok"}`` (200) or
``{"status": "failing"}`` (503). The parts and their errors (a backup's error names server
paths and what went wrong) go only to the monitoring system, as for ``/metrics``
(:mod:`schoolchat.monitoring`: an address in ``SCHOOLCHAT_METRICS_NETWORKS`` or the token).
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from records import backup
from schoolchat import monitoring


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is reported, not raised: this is the health page
        return f"error: {type(exc).__name__}"
    return "ok"


def redis_state() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def _backup_state() -> str:
    try:
        state = backup.status()
    except Exception as exc:  # reported, not raised, as above
        return f"error: {type(exc).__name__}"
    if state.state == "failed" and state.last_backup is not None:
        return f"failed: {state.last_backup.error}"
    return state.state


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_state(), "redis": redis_state()}
    healthy = all(state in {"ok", "not configured"} for state in checks.values())
    code = 200 if healthy else 503
    if not monitoring.allowed(request):
        return JsonResponse({"status": "ok" if healthy else "failing"}, status=code)
    backups = _backup_state() if checks["database"] == "ok" else "unknown"
    status = "error" if not healthy else "ok" if backups in {"ok", "not configured"} else "degraded"
    return JsonResponse({"status": status, **checks, "backup": backups}, status=code)
