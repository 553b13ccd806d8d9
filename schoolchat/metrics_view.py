"""GET /metrics: this process's figures (observability.metrics) and the installation's state,
in Prometheus' text format (docs/operations.md, "Metrics and alerts").

Only for the monitoring system (:mod:`schoolchat.monitoring`: an address in
``SCHOOLCHAT_METRICS_NETWORKS`` or the bearer token). Everyone else gets the site's 404, as for a
page that does not exist.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import redis
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from archive.models import PURGE_KIND, Record
from observability import metrics
from records import backup
from schoolchat import health
from schoolchat.monitoring import allowed

# The Celery queues the worker reads (Makefile's worker, docker-compose.yml's worker).
QUEUES = ("celery", "push")
# kombu's Redis transport keeps a queue's priorities in lists named queue + this + level.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_LEVELS = (3, 6, 9)
BACKUP_STATES = ("ok", "failed", "missing", "not configured")


def queue_length(queue: str) -> int | None:
    """Jobs waiting in a Celery queue (None when the broker cannot be read)."""
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2,
                                          socket_connect_timeout=2)
            try:
                names = [queue, *(f"{queue}{_PRIORITY_SEPARATOR}{n}" for n in _PRIORITY_LEVELS)]
                return sum(int(client.llen(name)) for name in names)
            finally:
                client.close()
        except redis.RedisError:
            metrics.REDIS_ERRORS.labels("metrics").inc()
            return None
    folder = Path(settings.SCHOOLCHAT_CELERY_DIR) / "queue"
    try:
        return sum(1 for entry in os.scandir(folder) if entry.name.endswith(f".{queue}.msg"))
    except OSError:
        return None


class StateCollector(Collector):
    """What the installation as a whole is in, read when Prometheus asks (the same answer
    from every process)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        database_up = health.database_state() == "ok"
        yield GaugeMetricFamily("schoolchat_database_up", "1 when this process can query "
                                "the database.", value=int(database_up))
        redis_state = health.redis_state()
        if redis_state != "not configured":
            yield GaugeMetricFamily("schoolchat_redis_up", "1 when this process can reach Redis.",
                                    value=int(redis_state == "ok"))
        waiting = GaugeMetricFamily("schoolchat_celery_queue_length",
                                    "Jobs waiting in a Celery queue.", labels=["queue"])
        for queue in QUEUES:
            length = queue_length(queue)
            if length is not None:
                waiting.add_metric([queue], length)
        yield waiting
        if database_up:
            yield from self._archive_state()

    def _archive_state(self) -> Iterator[GaugeMetricFamily]:
        state = backup.status()
        states = GaugeMetricFamily("schoolchat_backup_state", "1 for the backups' current "
                                   "state (records.backup.status).", labels=["state"])
        for name in BACKUP_STATES:
            states.add_metric([name], int(state.state == name))
        yield states
        if state.last_good_backup is not None:
            yield GaugeMetricFamily("schoolchat_backup_last_success_timestamp_seconds",
                                    "When the newest good backup finished.",
                                    value=state.last_good_backup.finished_at.timestamp())
        # Uses index: archive_record_kind_time.
        purged = (Record.objects.filter(kind=PURGE_KIND).order_by("-created_at")
                  .values_list("created_at", flat=True).first())
        if purged is not None:
            yield GaugeMetricFamily("schoolchat_retention_last_purge_timestamp_seconds",
                                    "When retention last purged something.",
                                    value=purged.timestamp())


_state = CollectorRegistry(auto_describe=False)
_state.register(StateCollector())


def _counted() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@require_GET
@never_cache
def metrics_page(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    return HttpResponse(_counted() + generate_latest(_state), content_type=CONTENT_TYPE_LATEST)
