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
