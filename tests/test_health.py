import pytest
from django.test import Client
from django.utils import timezone
from pyrage import x25519
from pytest_django.fixtures import Settings

from records.models import BackupRun


@pytest.mark.django_db
def test_healthz_reports_the_database_and_redis(client: Client, settings: Settings) -> None:
    response = client.get("/healthz")
    body = response.json()
    assert body["database"] == "ok"
    if settings.REDIS_URL:
        assert body["redis"] == "ok"
    else:
        assert body["redis"] == "not configured"
    assert response.status_code == 200 and body["status"] == "ok"


@pytest.mark.django_db
def test_healthz_says_when_redis_is_down(client: Client, settings: Settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


@pytest.mark.django_db
def test_healthz_answers_plain_http_where_pages_redirect_to_https(client: Client, settings: Settings) -> None:
    """A load balancer's probe inside the network gets an answer, not a redirect."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    login = client.get("/login/")
    assert login.status_code == 301 and login["Location"].startswith("https://")


# --- What the public sees, and what only the monitoring system sees -------------------------

OUTSIDE = "203.0.113.9"  # not in SCHOOLCHAT_METRICS_NETWORKS
TOKEN = "health-and-metrics-token-0123456789"
LEAKY_ERROR = "[Errno 13] Permission denied: '/srv/schoolchat/backups/.schoolchat-1.partial'"


@pytest.fixture
def failed_backup(settings: Settings) -> None:
    """The newest backup failed with an error that names a server path."""
    settings.SCHOOLCHAT_BACKUP_RECIPIENTS = [str(x25519.Identity.generate().to_public())]
    settings.SCHOOLCHAT_METRICS_TOKEN = TOKEN
    BackupRun.objects.create(kind=BackupRun.Kind.BACKUP, ok=False, error=LEAKY_ERROR,
                             finished_at=timezone.now())


@pytest.mark.django_db
def test_the_public_gets_only_ok_and_no_details(client: Client, failed_backup: None) -> None:
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert b"/srv/" not in response.content and b"Permission" not in response.content
    # A forwarded-for header from an untrusted proxy does not make the caller "loopback".
    forwarded = client.get("/healthz", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert forwarded.json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_monitoring_token_sees_the_backup_error(client: Client, failed_backup: None) -> None:
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["backup"] == f"failed: {LEAKY_ERROR}"
    wrong = client.get("/healthz", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert wrong.json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_public_learns_only_failing_when_redis_is_down(client: Client,
                                                           settings: Settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 503
    assert response.json() == {"status": "failing"}
