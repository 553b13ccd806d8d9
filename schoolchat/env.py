"""Typed readers for settings taken from the environment.

Each reader returns the default when the variable is unset. In production (``DEBUG`` off) a
reader called with ``required=True`` raises instead, so a missing secret stops the process at
start-up rather than running with a development value.
"""

from __future__ import annotations

import os


class ImproperlyConfiguredEnv(RuntimeError):
    """A variable is missing or cannot be parsed."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_required(name: str, *, production: bool, dev_default: str) -> str:
    """A value production must set; development falls back to ``dev_default``."""
    raw = os.environ.get(name, "")
    if raw:
        return raw
    if production:
        raise ImproperlyConfiguredEnv(f"{name} must be set when DEBUG is off")
    return dev_default


def weak_secret_key(key: str) -> bool:
    """The same test as Django's deploy check (security.W009): too short, too few distinct
    characters, or Django's generated development prefix."""
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")
