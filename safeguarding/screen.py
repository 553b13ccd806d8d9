"""The school's screen (registered with :mod:`messaging.screening`): which messages its
patterns match, and which of those wait for review.

Asked once per batch of sends, inside the batch's transaction: one read of the school's active
patterns and settings, then the patterns' programs on a linear-time engine (RE2, compiled
once per process, :mod:`safeguarding.engine`). A match
never blocks a message; it becomes a :class:`~safeguarding.models.Flag` after the commit
(:func:`safeguarding.actions.record_flags`), and a pupil's matching message is held as well
where the school chose to hold them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.models import Conversation
from messaging.screening import Draft, Verdict
from safeguarding import engine
from safeguarding.access import held_when_matched
from safeguarding.models import Flag, Pattern, SafeguardingSettings

logger = logging.getLogger(__name__)

# A link as people write it: with a scheme, or starting with www.
LINK = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"']+", re.IGNORECASE)
# Flags of this screen carry this key; other screens' flags are theirs.
MARK = "safeguarding"
# The screen's budget per message: at most this much of a text is read (a message is at most
# SCHOOLCHAT_MESSAGE_MAX_CHARS, 4,000 by default), by programs of at most
# engine.MAX_PROGRAM instructions on a linear-time engine, so no pattern makes a send slow
# (docs/safeguarding.md, "The engine and its budget").
MAX_SCREENED_CHARS = 10_000
# Past this time on one message the remaining patterns are not tried (and a warning says
# which school): a backstop for a school with very many large patterns, never reached by
# the defaults (about 0.1 ms a message).
BUDGET_SECONDS = 0.5


@dataclass(frozen=True)
class Rule:
    pattern_id: int
    category: str
    kind: str
    text: str


@lru_cache(maxsize=4096)
def compiled(kind: str, text: str) -> engine.Program | None:
    """The program of a pattern, on the linear-time engine: words as whole words in any case;
    None for one the engine cannot run (a broken expression, a backreference, lookaround,
    too large): it matches nothing rather than failing sends, and the lead's page says it
    is not running (:func:`not_running`)."""
    try:
        if kind == Pattern.Kind.WORDS:
            words = text.split()
            return engine.words_program(words) if words else None
        return engine.compile_program(text)
    except (re.error, engine.Unsupported, RecursionError, ValueError, OverflowError):
        return None


def not_running(kind: str, text: str) -> bool:
    """Whether a stored pattern is skipped by the screen (:func:`compiled` gives None)."""
    return compiled(kind, text) is None


def _allowed(host: str | None, hosts: Iterable[str]) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in hosts)


def without_allowed_links(text: str, hosts: Sequence[str]) -> str:
    """The text with every link to an allowed host blanked out: its digits are a meeting
    room or a page, not a phone number."""
    if not hosts:
        return text

    def blank(match: re.Match[str]) -> str:
        url = match.group(0)
        try:
            host = urlsplit(url if "://" in url else "http://" + url).hostname
        except ValueError:
            return url
        return " " * len(url) if _allowed(host, hosts) else url

    return LINK.sub(blank, text)


def _hits(text: str, rules: Sequence[Rule], *, hosts: Sequence[str], in_group: bool,
          first_per_category: bool) -> Iterator[tuple[Rule, str]]:
    """Each rule ``text`` matches, with what it matched; with ``first_per_category`` only the
    first of each category (the rest of that category is not tried). Personal data counts
    only where a group reads it (``in_group``) and never inside an allowed link."""
    seen: set[str] = set()
    text = text[:MAX_SCREENED_CHARS]
    plain: str | None = None
    deadline = time.monotonic() + BUDGET_SECONDS
    for each in rules:
        if first_per_category and each.category in seen:
            continue
        if time.monotonic() > deadline:
            logger.warning("Screen budget spent: pattern %s and those after it not tried",
                           each.pattern_id)
            return
        haystack = text
        if each.category == Flag.Category.PERSONAL_DATA:
            if not in_group:
                continue
            if plain is None:
                plain = without_allowed_links(text, hosts)
            haystack = plain
        program = compiled(each.kind, each.text)
        hit = program.search(haystack) if program is not None else None
        if hit is not None:
            seen.add(each.category)
            yield each, hit.strip()[:200]


def matches(text: str, rules: Sequence[Rule], *, hosts: Sequence[str] = (),
            in_group: bool = True) -> list[dict[str, Any]]:
    """The flags ``text`` raises: the first match of each category, as
    ``{"safeguarding": True, "pattern": id, "category": ..., "matched": ...}``."""
    return [{MARK: True, "pattern": rule.pattern_id, "category": rule.category,
             "matched": matched}
            for rule, matched in _hits(text, rules, hosts=hosts, in_group=in_group,
                                       first_per_category=True)]


# Everyday sentences no pattern may match: one that does would flag nearly every message.
ORDINARY = ("a", "e", "i", "o", "1", ".", "?", "ok", "hi", "Hello!",
            "Homework for Monday: read page 12 of the book.",
            "Het huiswerk voor maandag staat in de agenda.",
            "Домашнее задание на понедельник в дневнике.")


def engine_refusal(kind: str, text: str) -> str | None:
    """Why the linear-time engine will not run a pattern, in the lead's words."""
    try:
        if kind == Pattern.Kind.REGEX:
            engine.compile_program(text)
        else:
            engine.words_program(text.split())
    except re.error as exc:
        return str(_("This regular expression does not work: %(error)s.")
                   % {"error": exc.msg})
    except engine.Unsupported as exc:
        return str(REFUSALS.get(exc.reason, REFUSALS[engine.UNSUPPORTED]))
    return None


REFUSALS: dict[str, Any] = {
    engine.BACKREFERENCE: gettext_lazy(
        "This pattern refers back to an earlier group (such as \\1). The screen cannot run "
        "that safely: such patterns can take minutes on one message. Write the words out "
        "instead."),
    engine.LOOKAROUND: gettext_lazy(
        "This pattern looks ahead or behind (such as (?=…) or (?<!…)) in a way the screen "
        "cannot run safely. Only a lookbehind of fixed characters at the very start, or a "
        "lookahead of fixed characters at the very end, is possible."),
    engine.BOUNDARY: gettext_lazy(
        "This pattern has \\b or \\B next to something that may or may not be a letter, "
        "which the screen cannot check safely. Put it next to letters, digits, spaces or "
        "punctuation."),
    engine.TOO_LARGE: gettext_lazy(
        "This pattern is too large for the screen to run quickly on every message (a repeat "
        "over 1000, or too many parts). Make it shorter."),
    engine.UNSUPPORTED: gettext_lazy(
        "This pattern uses a part of regular expressions the screen cannot run safely "
        "(such as possessive repeats, atomic groups, or a class like [^\\W…]). Write it "
        "another way."),
}


def refusal(kind: str, text: str) -> str | None:
    """Why a pattern the school types would do harm, or None when it may be used: a regular
    expression that does not compile, one the linear-time engine cannot run (a
    backreference, lookaround, too large), or any pattern that matches the empty string or
    an everyday sentence (it would flag almost every message). The everyday sentences are
    matched on the same engine, so this check is as quick as the screen."""
    if not text.strip():
        return str(_("Type the words or the pattern."))
    problem = engine_refusal(kind, text)
    if problem is not None:
        return problem
    program = compiled(kind, text)
    if program is None:
        return str(_("Type the words or the pattern."))
    if program.search("") is not None:
        return str(_("This pattern matches an empty message, so it would flag every "
                     "message. Make it more precise."))
    broad = next((s for s in ORDINARY if program.search(s) is not None), None)
    if broad is not None:
        return str(_("This pattern matches everyday text such as “%(sample)s”, so it would "
                     "flag almost every message. Make it more precise.") % {"sample": broad})
    return None


def all_matches(text: str, rules: Sequence[Rule], *, hosts: Sequence[str] = (),
                in_group: bool = True) -> list[tuple[Rule, str]]:
    """Every rule ``text`` matches, with what it matched (the "try it" box: the screen itself
    keeps the first match of each category, :func:`matches`)."""
    return list(_hits(text, rules, hosts=hosts, in_group=in_group, first_per_category=False))


def rules_of(school_id: int) -> list[Rule]:
    return [Rule(pk, category, kind, text) for pk, category, kind, text in
            Pattern.objects.filter(school_id=school_id, active=True).order_by("pk")
            .values_list("pk", "category", "kind", "text")]


def screen(drafts: Sequence[Draft]) -> list[Verdict]:
    """A verdict per draft (a batch is one conversation, so one school)."""
    verdicts: list[Verdict] = []
    loaded: dict[int, tuple[list[Rule], SafeguardingSettings | None]] = {}
    for draft in drafts:
        school_id = draft.conversation.school_id
        if school_id not in loaded:
            loaded[school_id] = (rules_of(school_id),
                                 SafeguardingSettings.objects.filter(school_id=school_id).first())
        rules, settings = loaded[school_id]
        if not rules or not draft.body:
            verdicts.append(Verdict())
            continue
        flags = matches(draft.body, rules, hosts=settings.hosts() if settings else (),
                        in_group=draft.conversation.kind != Conversation.Kind.DIRECT)
        hold = bool(flags) and held_when_matched(
            draft.sender, settings is not None and settings.hold_pupil_messages)
        verdicts.append(Verdict(hold=hold, flags=list(flags)))
    return verdicts
