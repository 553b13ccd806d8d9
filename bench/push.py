"""`make bench`'s push phase: one announcement to DEVICES subscribed devices.

The push service is bench/push_service.py in its own process on 127.0.0.1 (it checks each
request's VAPID token and decrypts each payload, as the tests' one does). The sender is one
real Celery worker process (``celery worker -Q push --pool solo``) on the Redis broker, running
the push tasks as in production: the teacher's urgent message (urgent: it reaches everyone,
whatever the time of day the bench runs) is posted through ``post_message``, its commit queues
``notifications.notify_messages``, which picks the devices and queues one
``notifications.deliver`` per device; each encrypts (RFC 8291), posts with the worker's
per-origin ``requests.Session`` and records the success.

Measured: from just before the post to the moment the push service accepted the last push.
The reference: a plain loop posting the same number of already-encrypted requests (same
headers, same sizes) through a ``requests.Session`` with the same connection pool, to the same
push service, so the service's own work is in both and the ratio is the sender's cost. The
sender posts over up to ``POOL_SIZE`` connections at once, so the same POSTs from that many
threads are measured too (``ratio_to_concurrent``: what the queue, the database, the
encryption and the bookkeeping add to the bare requests).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

DEVICES_PER_PARENT = 5
TARGET_RATIO = 2.0
THREADS = 10  # notifications.push.POOL_SIZE, without importing Django here


def _stats(origin: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{origin}/stats", timeout=10) as answer:
        return dict(json.loads(answer.read()))


def _reset(origin: str) -> None:
    request = urllib.request.Request(f"{origin}/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _wait_for(origin: str, count: int, timeout: float, process: Any = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats = _stats(origin)
        if stats["accepted"] >= count:
            return stats
        if process is not None and process.poll() is not None:
            raise RuntimeError("the Celery worker exited")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{stats['accepted']} of {count} pushes accepted in {timeout}s; "
                               f"refused: {stats['refused'][:3]}")
        time.sleep(0.01)


def _start_service(out: Path, port: int, devices: int) -> tuple[subprocess.Popen[bytes], str,
                                                                  list[dict[str, Any]]]:
    subscriptions = out / "push_subscriptions.json"
    subscriptions.unlink(missing_ok=True)
    logfile = (out / "push_service.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("push_service.py")), "--port", str(port),
         "--devices", str(devices), "--subscriptions", str(subscriptions)],
        stdout=logfile, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not subscriptions.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the push service did not start; see {out / 'push_service.log'}")
        time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}", json.loads(subscriptions.read_text())


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _plain_loop(origin: str, subscriptions: list[dict[str, Any]], authorization: str,
                topic: str, body: bytes) -> tuple[float, float]:
    """Seconds for a plain loop of POSTs of the same encrypted requests, one Session with the
    sender's pool settings; and for the same POSTs from ``POOL_SIZE`` threads."""
    import requests
    from django.conf import settings
    from pywebpush import WebPusher
    from requests.adapters import HTTPAdapter

    from notifications import push

    prepared = []
    for subscription in subscriptions:
        params = WebPusher(subscription)._prepare_send_data(
            body, {"Authorization": authorization, "Urgency": "high", "Topic": topic},
            settings.SCHOOLCHAT_PUSH_TTL, "aes128gcm")
        prepared.append(params)
    session = requests.Session()
    session.mount(origin, HTTPAdapter(pool_connections=1, pool_maxsize=push.POOL_SIZE))
    # One request first, as the worker's warm-up: both start with an open connection.
    session.post(prepared[0]["endpoint"], data=prepared[0]["data"],
                 headers=prepared[0]["headers"], timeout=push.TIMEOUT)

    def post(params: dict[str, Any]) -> None:
        answer = session.post(params["endpoint"], data=params["data"], headers=params["headers"],
                              timeout=push.TIMEOUT)
        if answer.status_code != 201:
            raise RuntimeError(f"the push service answered the plain loop {answer.status_code}")

    _reset(origin)
    start = time.time()
    for params in prepared:
        post(params)
    elapsed = time.time() - start
    # The same POSTs from as many threads as the pool has connections, as the sender posts.
    _reset(origin)
    start = time.time()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(post, prepared))
    concurrent = time.time() - start
    session.close()
    return elapsed, concurrent


def measure(*, out: Path, env: dict[str, str], devices: int, conversation_id: int,
            port: int) -> dict[str, Any]:
    """Run the phase (Django is set up, the bench school exists); the result row."""
    from django.conf import settings

    from accounts.models import Role, User
    from messaging.actions import membership
    from messaging.actions.send import post_message
    from messaging.models import Conversation
    from notifications import push, recipients, vapid
    from notifications.models import Device

    assert push.POOL_SIZE == THREADS, "the reference's threads follow the sender's pool"
    key_file = out / "push_vapid.pem"
    vapid.create_key_file(key_file)
    settings.SCHOOLCHAT_VAPID_PRIVATE_KEY = ""
    settings.SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE = str(key_file)
    vapid.server_key.cache_clear()
    push.reset()
    service, origin, subscriptions = _start_service(out, port, devices + 1)
    # The worker checks every endpoint against the allow-list before it posts.
    worker_env = {**env, "SCHOOLCHAT_VAPID_PRIVATE_KEY": "",
                  "SCHOOLCHAT_VAPID_PRIVATE_KEY_FILE": str(key_file),
                  "SCHOOLCHAT_PUSH_SERVICES": origin}
    worker: subprocess.Popen[bytes] | None = None
    try:
        conversation = Conversation.objects.get(pk=conversation_id)
        teacher = User.objects.get(username="bench-teacher")
        admin = User.objects.get(username="bench-admin")
        school = teacher.school
        assert school is not None
        parents = list(User.objects.filter(
            role=Role.PARENT, memberships__conversation=conversation,
            memberships__ended_at__isnull=True).order_by("pk"))
        owners = [parents[n // DEVICES_PER_PARENT] for n in range(devices)]
        # A separate person and group for the warm-up push, so the worker has its connection
        # and VAPID header before the measured one, as a long-running worker does.
        warm_parent = User.objects.create(username="bench-push-warmup", role=Role.PARENT,
                                          school=school, display_name="Warm-up")
        warm_group = Conversation.objects.create(school=school,
                                                 kind=Conversation.Kind.GROUP, title="Warm-up")
        membership.add_member(warm_group, teacher, actor=admin, manager=True)
        membership.add_member(warm_group, warm_parent, actor=admin)
        Device.objects.filter(user__school=school).delete()
        rows = [Device(user=user, endpoint=s["endpoint"], p256dh=s["keys"]["p256dh"],
                       auth=s["keys"]["auth"], label="Bench browser")
                for user, s in zip([warm_parent, *owners], subscriptions, strict=True)]
        Device.objects.bulk_create(rows)

        logfile = (out / "celery_push.log").open("ab")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "schoolchat", "worker", "-Q", "push",
             "--pool", "solo", "--without-heartbeat", "--without-gossip", "--without-mingle",
             "--loglevel", "WARNING"],
            cwd=out.parent.parent, env=worker_env, stdout=logfile, stderr=subprocess.STDOUT)

        # post_message commits, and its commit queues the push job (on_commit).
        post_message(teacher, warm_group, "Warm-up", urgent=True, confirm=True)
        _wait_for(origin, 1, 120, worker)
        _reset(origin)

        start = time.time()
        message, _created = post_message(
            teacher, conversation, "Bench announcement: school closes at noon on Friday",
            urgent=True, confirm=True)
        stats = _wait_for(origin, devices, 300, worker)
        pushed = stats["last_accepted_at"] - start
        body = json.dumps(recipients.payload(message)).encode()
        # The worker's own Authorization header, as signed for this origin.
        authorization = push._for(origin).authorization
        plain, concurrent = _plain_loop(origin, subscriptions[1:], authorization,
                            recipients.topic(conversation.pk), body)
        delivered = Device.objects.filter(user__in=set(owners),
                                          last_success_at__isnull=False).count()
    finally:
        _stop(worker)
        _stop(service)
        with contextlib.suppress(Exception):
            push.reset()
    return {"devices": devices, "people": len(set(owners)), "accepted": stats["accepted"],
            "marked_delivered": delivered, "seconds": round(pushed, 3),
            "per_second": round(devices / pushed, 1), "plain_seconds": round(plain, 3),
            "plain_per_second": round(devices / plain, 1), "ratio": round(pushed / plain, 2),
            "concurrent_seconds": round(concurrent, 3),
            "ratio_to_concurrent": round(pushed / concurrent, 2)}
