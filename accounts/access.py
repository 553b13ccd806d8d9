"""The one entry point for permission questions: ``can(user, action, obj)``.

Each app declares its rules in its own ``access.py`` with :func:`rule`; views, consumers,
templates, exports and tasks ask :func:`can`, never the rules directly. An action nobody
declared is denied, as is every action of an inactive or anonymous user.

The actions are the :data:`Action` literal type, so that mypy refuses a misspelt action in a
``can(...)`` or ``@rule(...)`` call instead of the call silently denying. Each app's
``access.py`` keeps the one-object check and its queryset twin (the same answer for a list)
next to each other, as permission policies do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

Action = Literal[
    # accounts/rules.py
    "school.manage",
    "school.dashboard",
    "school.print_letters",
    "roster_import.view",
    "person.manage",
    "user.see_contact",
    "membership.list",
    "membership.add",
    "membership.remove",
    # messaging/access.py
    "conversation.read",
    "conversation.post",
    "conversation.manage_members",
    "conversation.start_direct",
    "message.edit",
    "message.retract",
    "message.receipts",
    "message.acknowledgements",
    "message.acknowledge",
    "message.pin",
    "message.post_urgent",
    "message.request_ack",
    "message.remind",
    "message.schedule",
    "office_hours.set",
    "person.block",
    "message.mark_sensitive",
    "message.react",
    "message.reactions",
    "message.mention",
    # consent/access.py
    "consent.decide",
    "consent.record_paper",
    "consent.view_pupil",
    "consent.request",
    "consent.view_coverage",
    "consent.edit_forms",
    # records/access.py
    "archive.search",
    "archive.export",
    "archive.hold",
    "archive.audit_log",
    "archive.integrity",
    "archive.retention_report",
    "archive.retention_policy",
    "archive.erase",
    "archive.paperwork",
    "archive.release",
    "archive.review_export",
    # notifications/access.py
    "notifications.mute",
    "notifications.remove_device",
    # safeguarding/access.py
    "message.report",
    "person.report",
    "safeguarding.review",
    "safeguarding.view_conversation",
    "safeguarding.remove",
    "safeguarding.restrict",
    "safeguarding.case_note",
    "safeguarding.oversight",
    "safeguarding.settings",
    # polls/access.py
    "poll.create",
    "poll.vote",
    "poll.results",
    "poll.close",
    # agenda/access.py
    "agenda.view",
    "agenda.holidays",
    # sso/access.py
    "sso.configure",
    # absence/access.py
    "absence.report",
    "absence.view",
    "absence.view_reason",
    "absence.acknowledge",
    "absence.mark_missing",
    "absence.list",
    "absence.export",
    "absence.settings",
    # api/access.py
    "api_token.manage",
    # meetings/access.py
    "meetings.publish",
    "meetings.view_round",
    "meetings.book",
    "meetings.cancel",
    "meetings.view_booking",
    "meetings.manage_slot",
    "meetings.schedule",
    "meetings.calendar_feed",
    # activities/access.py
    "activity.create",
    "activity.view",
    "activity.reply",
    "activity.sign",
    "activity.manage",
]
ACTIONS: frozenset[str] = frozenset(get_args(Action))

# A rule is given an active, signed-in user (can() has turned everyone else away) and the
# object asked about, of whatever kind the caller passed: each rule checks the kind it decides.
Rule = Callable[["User", Any], bool]
_RULES: dict[str, Rule] = {}


def rule(action: Action) -> Callable[[Rule], Rule]:
    """Register the function deciding ``action``; one function per action."""
    if action not in ACTIONS:  # for a caller mypy does not see (a string built at run time)
        raise RuntimeError(f"{action!r} is not an Action")

    def register(func: Rule) -> Rule:
        if action in _RULES and _RULES[action] is not func:
            raise RuntimeError(f"a rule for {action!r} is already registered")
        _RULES[action] = func
        return func

    return register


def can(user: User | AnonymousUser | None, action: Action, obj: object = None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    decide = _RULES.get(action)
    if decide is None:
        return False
    return bool(decide(user, obj))


def known_actions() -> frozenset[str]:
    """The actions that have a rule: after the apps are ready, exactly :data:`ACTIONS`."""
    return frozenset(_RULES)
