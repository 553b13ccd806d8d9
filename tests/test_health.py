import pytest
from django.test import Client
from pytest_django.fixtures import Settings


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
