import subprocess
import sys

import pytest

from schoolchat.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list


def test_env_readers_parse_and_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 1) == 12
    assert env_list("X_LIST") == ["a.example", "b.example"]
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ImproperlyConfiguredEnv):
        env_bool("X_BOOL")
    with pytest.raises(ImproperlyConfiguredEnv):
        env_int("X_INT", 1)


STRONG_KEY = "k" * 30 + "x8Q!v2#Lp9@zR4$wT6^yU1&cN3*mB5"


def _manage(*args, env):
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return subprocess.run([sys.executable, "manage.py", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     env={"SECRET_KEY": "k" * 30 + "x8Q!v2#Lp9@zR4$wT6^yU1&cN3*mB5",
                          "ALLOWED_HOSTS": "school.example"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", env={"SECRET_KEY": STRONG_KEY})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


@pytest.mark.parametrize("key", [
    "s" * 60,  # fewer than 5 distinct characters
    "x8Q!v2#Lp9@zR4$wT6^yU1&cN3*mB5",  # shorter than 50
    "django-insecure-" + "x8Q!v2#Lp9@zR4$wT6^yU1&cN3*mB5" * 2,  # Django's development prefix
])
def test_production_refuses_to_start_with_a_weak_secret_key(key):
    result = _manage("check", env={"SECRET_KEY": key, "ALLOWED_HOSTS": "school.example"})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def _show(setting, env):
    code = f"from django.conf import settings; print(settings.{setting})"
    result = _manage("shell", "-c", code, env={"SECRET_KEY": STRONG_KEY,
                                               "ALLOWED_HOSTS": "school.example", **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_hsts_covers_only_this_host_unless_switched_on():
    assert _show("SECURE_HSTS_INCLUDE_SUBDOMAINS", {}) == "False"
    assert _show("SECURE_HSTS_PRELOAD", {}) == "False"
    on = {"SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true"}
    assert _show("SECURE_HSTS_INCLUDE_SUBDOMAINS", on) == "True"
    assert _show("SECURE_HSTS_PRELOAD", on) == "True"
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     env={"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "school.example", **on})
    assert result.returncode == 0, result.stdout + result.stderr
