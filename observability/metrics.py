"""The figures a running installation exposes at ``/metrics`` (docs/operations.md, "Metrics
and alerts"), in Prometheus' text format through prometheus-client.

This module only defines them, and sits in the bottom package, so any app may count without
importing another app or ``schoolchat``; the page that reads them and the apps' state is
:mod:`schoolchat.metrics_view`, at the top. Counters and histograms live in the process that counts:
each daphne process answers ``/metrics`` with its own figures, and Prometheus adds them up over
its targets. With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty folder shared by the processes of
one machine, the web processes and the Celery worker alike, emptied at start), every process
writes its figures there and any process's ``/metrics`` answers for all of them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds; the send path acks in milliseconds, and anything past a few seconds is an outage.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

SOCKETS_OPEN = Gauge(
    "schoolchat_sockets_open", "Websockets open (signed-in browser tabs).",
    multiprocess_mode="livesum")
SENDS = Counter(
    "schoolchat_sends", "Messages sent over websockets, by answer: acked (stored), refused "
    "(a rule said no), unavailable (not stored yet; the client sends it again).", ["result"])
SEND_RETRIES = Counter(
    "schoolchat_send_retries", "Sends tried once more after their database connection broke.")
ACK_SECONDS = Histogram(
    "schoolchat_ack_seconds", "From a send reaching the server to its ack (stored, committed).",
    buckets=LATENCY_BUCKETS)
FANOUT_SECONDS = Histogram(
    "schoolchat_fanout_seconds", "From a message's creation to its hand-off to this process's "
    "sockets.", buckets=LATENCY_BUCKETS)
DATABASE_ERRORS = Counter(
    "schoolchat_database_errors", "Sends that failed on a database error, by error.", ["error"])
REDIS_ERRORS = Counter(
    "schoolchat_redis_errors", "Failed Redis calls of the real-time hub, by operation.",
    ["operation"])
PUSH_RESULTS = Counter(
    "schoolchat_push_results", "Web Push deliveries by outcome: sent, removed (the subscription "
    "is gone), retried (the push service was busy or unreachable; tried again later), refused, "
    "redirected (a 3xx, not followed), not_allowed (the push service is no longer on the "
    "allow-list), skipped (a retry of a message removed, retracted or marked sensitive since, or "
    "for a device no longer told).",
    ["result"])
RETENTION_RUNS = Counter(
    "schoolchat_retention_runs", "Retention runs of the Celery worker, by outcome.", ["result"])

__all__ = [
    "ACK_SECONDS", "DATABASE_ERRORS", "FANOUT_SECONDS", "PUSH_RESULTS", "REDIS_ERRORS",
    "RETENTION_RUNS", "SENDS", "SEND_RETRIES", "SOCKETS_OPEN",
]
