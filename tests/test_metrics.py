"""GET /metrics: Prometheus' text for the monitoring system, the site's 404 for everyone else."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from accounts.models import School, User
from messaging.models import Conversation
from tests.fault.chat_client import open_socket, session_cookie
from tests.live import daphne_servers

OUTSIDE = "203.0.113.5"
TOKEN = "s3cret-metrics-token-for-the-tests"


def scrape(client: Client, **extra: str) -> tuple[int, str]:
    response = client.get("/metrics", **extra)  # type: ignore[arg-type]
    return response.status_code, response.content.decode()


@pytest.mark.django_db
def test_the_monitoring_host_on_loopback_reads_the_figures(client: Client) -> None:
    status, text = scrape(client)  # the test client's REMOTE_ADDR is 127.0.0.1
    assert status == 200
    for name in ("schoolchat_sockets_open", "schoolchat_sends_total", "schoolchat_ack_seconds",
                 "schoolchat_fanout_seconds", "schoolchat_database_up 1.0",
                 'schoolchat_celery_queue_length{queue="push"}', "schoolchat_backup_state",
                 "schoolchat_push_results_total", "schoolchat_retention_runs_total",
                 "schoolchat_database_errors_total", "schoolchat_redis_errors_total"):
        assert name in text, name


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [None, "parent", "teacher", "admin", "dpo"])
def test_anyone_outside_the_configured_networks_gets_404(client: Client, persona: str | None,
                                                          request: pytest.FixtureRequest) -> None:
    """Signed in or not, whatever the role: the figures are not for people, and the answer
    is the same as for a page that does not exist."""
    if persona is not None:
        client.force_login(request.getfixturevalue(persona))
    status, text = scrape(client, REMOTE_ADDR=OUTSIDE)
    assert status == 404 and "schoolchat_" not in text


@pytest.mark.django_db
def test_a_bearer_token_lets_a_scraper_in_from_anywhere_and_a_wrong_one_does_not(
        client: Client, settings: Settings) -> None:
    settings.SCHOOLCHAT_METRICS_TOKEN = TOKEN
    assert scrape(client, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")[0] == 200
    for wrong in (f"Bearer {TOKEN}x", "Bearer ", TOKEN, f"Basic {TOKEN}"):
        assert scrape(client, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=wrong)[0] == 404, wrong
    settings.SCHOOLCHAT_METRICS_TOKEN = ""
    assert scrape(client, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ")[0] == 404


@pytest.mark.django_db
def test_configured_networks_replace_loopback(client: Client, settings: Settings) -> None:
    settings.SCHOOLCHAT_METRICS_NETWORKS = ["10.20.0.0/16"]
    assert scrape(client, REMOTE_ADDR="10.20.3.4")[0] == 200
    assert scrape(client, REMOTE_ADDR="10.21.3.4")[0] == 404
    assert scrape(client)[0] == 404  # loopback is no longer in the list


@pytest.mark.django_db
def test_a_visitor_through_a_proxy_on_loopback_is_not_taken_for_loopback(
        client: Client, settings: Settings) -> None:
    # The proxy is not trusted: what it says about the client is not believed, and its own
    # loopback address does not count either.
    assert scrape(client, HTTP_X_FORWARDED_FOR=OUTSIDE)[0] == 404
    # A trusted proxy: the client address it gives is what counts.
    settings.SCHOOLCHAT_TRUSTED_PROXIES = ["127.0.0.1"]
    assert scrape(client, HTTP_X_FORWARDED_FOR=OUTSIDE)[0] == 404
    settings.SCHOOLCHAT_METRICS_NETWORKS = ["10.20.0.0/16"]
    assert scrape(client, HTTP_X_FORWARDED_FOR="10.20.3.4")[0] == 200


def test_a_network_that_is_not_one_stops_the_server_with_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "SCHOOLCHAT_METRICS_NETWORKS": "10.0.0.0/33"},
        cwd=Path(__file__).resolve().parent.parent, check=False)
    assert result.returncode != 0
    assert "SCHOOLCHAT_METRICS_NETWORKS: '10.0.0.0/33' is not an address or network" in result.stderr


def sample(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def fetch(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_a_send_through_daphne_moves_the_counters(transactional_db: None, tmp_path: Path,
                                                  conversation_4b: Conversation,
                                                  teacher: User) -> None:
    School.objects.filter(pk=conversation_4b.school_id).update(post_burst=100)
    sessionid = session_cookie(teacher)
    # The server lets in the token only (its loopback is not in the list): the test checks
    # the denial on the real server too.
    extra = {"SCHOOLCHAT_METRICS_NETWORKS": "10.20.0.0/16", "SCHOOLCHAT_METRICS_TOKEN": TOKEN}
    with daphne_servers(1, tmp_path, extra) as (server,):
        url = f"{server.url}/metrics"
        assert fetch(url) == (404, "")
        status, before = fetch(url, TOKEN)
        assert status == 200

        async def send_one() -> tuple[str, dict[str, object]]:
            socket, _hello = await open_socket(server.port, sessionid)
            try:
                await socket.send(json.dumps({"type": "send", "conversation": conversation_4b.pk,
                                              "client_id": str(uuid.uuid4()), "body": "counted"}))
                while (answer := json.loads(await asyncio.wait_for(socket.recv(), 10)))["type"] != "ack":
                    pass
                # Read while the socket is open: it counts as one.
                return (await asyncio.to_thread(fetch, url, TOKEN))[1], answer
            finally:
                await socket.close()

        during, ack = asyncio.run(send_one())
    assert ack["type"] == "ack"
    acked = 'schoolchat_sends_total{result="acked"}'
    assert sample(during, acked) == sample(before, acked) + 1
    acks = "schoolchat_ack_seconds_count"
    assert sample(during, acks) == sample(before, acks) + 1
    assert sample(during, "schoolchat_sockets_open") == 1
