import re
import subprocess
import sys
from pathlib import Path

import pytest

from schoolchat.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list


def test_env_readers_parse_and_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
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


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return subprocess.run([sys.executable, "manage.py", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_deploy_check() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     env={"SECRET_KEY": "k" * 30 + "x8Q!v2#Lp9@zR4$wT6^yU1&cN3*mB5",
                          "ALLOWED_HOSTS": "school.example"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_allowed_hosts() -> None:
    result = _manage("check", env={"SECRET_KEY": STRONG_KEY})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


@pytest.mark.parametrize("key", [
    "s" * 60,  # fewer than 5 distinct characters
    "x8Q!v2#Lp9@zR4$wT6^yU1&cN3*mB5",  # shorter than 50
    "django-insecure-" + "x8Q!v2#Lp9@zR4$wT6^yU1&cN3*mB5" * 2,  # Django's development prefix
])
def test_production_refuses_to_start_with_a_weak_secret_key(key: str) -> None:
    result = _manage("check", env={"SECRET_KEY": key, "ALLOWED_HOSTS": "school.example"})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def _show(setting: str, env: dict[str, str]) -> str:
    code = f"from django.conf import settings; print(settings.{setting})"
    result = _manage("shell", "-c", code, env={"SECRET_KEY": STRONG_KEY,
                                               "ALLOWED_HOSTS": "school.example", **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_hsts_covers_only_this_host_unless_switched_on() -> None:
    assert _show("SECURE_HSTS_INCLUDE_SUBDOMAINS", {}) == "False"
    assert _show("SECURE_HSTS_PRELOAD", {}) == "False"
    on = {"SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true"}
    assert _show("SECURE_HSTS_INCLUDE_SUBDOMAINS", on) == "True"
    assert _show("SECURE_HSTS_PRELOAD", on) == "True"
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     env={"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "school.example", **on})
    assert result.returncode == 0, result.stdout + result.stderr


ROOT = Path(__file__).resolve().parent.parent
SETTING_NAME = re.compile(r"\bSCHOOLCHAT_[A-Z0-9_]*[A-Z0-9]\b")


def _python_files() -> list[Path]:
    skip = {".venv", "var", "node_modules", ".git", "migrations"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def test_every_schoolchat_setting_used_is_declared_from_the_environment_and_documented() -> None:
    """A SCHOOLCHAT_* name read anywhere is assigned in settings.py from its own environment
    variable (no getattr with a default hiding a missing one) and has a row in the settings
    tables of docs/operations.md."""
    used = {name for path in _python_files() for name in SETTING_NAME.findall(path.read_text())}
    settings_text = (ROOT / "schoolchat" / "settings.py").read_text()
    declared = set(re.findall(r"^(SCHOOLCHAT_[A-Z0-9_]+) = env_\w+\(\s*\"\1\"", settings_text,
                              re.MULTILINE))
    docs = (ROOT / "docs" / "operations.md").read_text()
    rows = "\n".join(line for line in docs.splitlines() if line.startswith("|"))
    documented = set(SETTING_NAME.findall(rows))
    assert used - declared == set()
    assert used - documented == set()
    getattr_reads = [str(p.relative_to(ROOT)) for p in _python_files()
                     if re.search(r"getattr\(\s*settings\s*,\s*\"SCHOOLCHAT_", p.read_text())]
    assert getattr_reads == [], "read declared settings as settings.X"


def test_the_installations_language_comes_from_the_environment() -> None:
    assert _show("LANGUAGE_CODE", {}) == "en"
    assert _show("LANGUAGE_CODE", {"LANGUAGE_CODE": "nl"}) == "nl"
    result = _manage("check", env={"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "school.example",
                                   "LANGUAGE_CODE": "fr"})
    assert result.returncode != 0 and "LANGUAGE_CODE='fr' is not one of en, nl, ru" in result.stderr
