"""The one entry point for permission questions: ``can(user, action, obj)``.

Each app declares its rules in its own ``access.py`` with :func:`rule`; views, consumers,
templates, exports and tasks ask :func:`can`, never the rules directly. An action nobody
declared is denied, as is every action of an inactive or anonymous user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the function deciding ``action``; one function per action."""

    def register(func: Rule) -> Rule:
        if action in _RULES and _RULES[action] is not func:
            raise RuntimeError(f"a rule for {action!r} is already registered")
        _RULES[action] = func
        return func

    return register


def can(user: Any, action: str, obj: Any = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    decide = _RULES.get(action)
    if decide is None:
        return False
    return bool(decide(user, obj))


def known_actions() -> frozenset[str]:
    return frozenset(_RULES)
