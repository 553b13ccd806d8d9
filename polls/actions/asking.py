"""Asking a poll and closing it: the staff side."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain, scopes
from messaging import cards
from messaging.actions import send
from messaging.models import Conversation
from polls import results
from polls.models import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    OPTION_MAX_CHARS,
    QUESTION_MAX_CHARS,
    Poll,
    PollOption,
)

CARD = "poll"
# A poll runs for at most a school year's term of this length.
LONGEST = timedelta(days=366)


def _clean_question(question: str) -> str:
    text = " ".join(question.split())
    if not text:
        raise ValidationError(_("Write the question."), code="required")
    if len(text) > QUESTION_MAX_CHARS:
        raise ValidationError(_("The question is too long (at most %(n)d characters).")
                              % {"n": QUESTION_MAX_CHARS}, code="too_long")
    return text


def _clean_options(options: Sequence[str]) -> list[str]:
    texts = [" ".join(o.split()) for o in options]
    texts = [t for t in texts if t]
    if len(texts) < MIN_OPTIONS:
        raise ValidationError(_("Give at least %(n)d options.") % {"n": MIN_OPTIONS},
                              code="too_few")
    if len(texts) > MAX_OPTIONS:
        raise ValidationError(_("Give at most %(n)d options.") % {"n": MAX_OPTIONS},
                              code="too_many")
    if any(len(t) > OPTION_MAX_CHARS for t in texts):
        raise ValidationError(_("An option is too long (at most %(n)d characters).")
                              % {"n": OPTION_MAX_CHARS}, code="too_long")
    if len({t.casefold() for t in texts}) < len(texts):
        raise ValidationError(_("Two options are the same."), code="duplicate")
    return texts


def _clean_closing(closes_at: datetime, now: datetime) -> datetime:
    if closes_at <= now:
        raise ValidationError(_("The closing time has passed: choose a later one."),
                              code="past")
    if closes_at > now + LONGEST:
        raise ValidationError(_("A poll can run for at most a year."), code="too_far")
    return closes_at


def _announcement(question: str, options: list[str]) -> str:
    """The announcing message's text: what pushes, digests, search and exports show."""
    lines = [_("Poll: %(question)s") % {"question": question}]
    lines += [f"\N{BULLET} {text}" for text in options]
    return "\n".join(lines)


def create_poll(user: User, conversation: Conversation, *, question: str,
                options: Sequence[str], closes_at: datetime, multiple: bool = False,
                anonymous: bool = False, per_family: bool = True,
                results_shown: str = Poll.Results.AFTER_VOTE) -> Poll:
    """Ask ``conversation`` a question; the poll is announced there by a message with its card.

    Raises ``PermissionDenied`` when the user may not ask there and ``ValidationError`` (each
    with a sentence) for a missing question, too few, too many or repeated options, or a closing
    time that has passed.
    """
    if not can(user, "poll.create", conversation):
        raise PermissionDenied(_("You cannot ask a poll here."))
    now = timezone.now()
    text = _clean_question(question)
    choices = _clean_options(options)
    closing = _clean_closing(closes_at, now)
    if results_shown not in Poll.Results.values:
        raise ValidationError(_("Choose who sees the results."), code="invalid")
    with transaction.atomic():
        poll = Poll.objects.create(
            school_id=conversation.school_id, conversation=conversation, asker=user,
            question=text, multiple=multiple, anonymous=anonymous, per_family=per_family,
            results=results_shown, closes_at=closing, created_at=now)
        PollOption.objects.bulk_create([PollOption(poll=poll, position=n, text=t)
                                        for n, t in enumerate(choices, start=1)])
        # Asking is deliberate: the form says whom it reaches, so no second confirmation.
        message, _created = send.post_message(
            user, conversation, _announcement(text, choices), confirm=True,
            card=cards.ref(CARD, poll.pk))
        poll.message = message
        poll.save(update_fields=["message"])
        chain.record("poll.created", scope=scopes.polls(conversation.school_id), actor=user,
                     subjects=[user], payload={
                         "poll": poll.pk, "conversation": conversation.pk,
                         "message": message.pk, "question": text, "options": choices,
                         "multiple": multiple, "anonymous": anonymous,
                         "per_family": per_family, "results": results_shown,
                         "closes_at": closing.isoformat()})
    return poll


def _count(poll: Poll, actor: User | None, now: datetime) -> None:
    """Archive the closing counts once (who chose what is never in them)."""
    tally = results.counts(poll)
    poll.counted_at = now
    poll.save(update_fields=["closed_at", "counted_at"])
    chain.record("poll.closed", scope=scopes.polls(poll.school_id), actor=actor,
                 subjects=[actor] if actor is not None else [], payload={
                     "poll": poll.pk, "question": poll.question,
                     "counts": {o.text: tally[o.pk] for o in poll.options.all()},
                     "ballots": poll.ballots.count(), "early": poll.closed_at is not None})
    if poll.message_id is not None:
        assert poll.message is not None
        cards.changed(poll.message)


def close_poll(user: User, poll: Poll) -> bool:
    """Close ``poll`` now (the asker or a manager). False when it was already closed."""
    if not can(user, "poll.close", poll):
        raise PermissionDenied(_("You cannot close this poll."))
    with transaction.atomic():
        locked = Poll.objects.select_for_update(of=("self",)).select_related("message").get(pk=poll.pk)
        now = timezone.now()
        if locked.is_closed(now):
            return False
        locked.closed_at = now
        _count(locked, user, now)
    poll.refresh_from_db()
    return True


def count_closed(now: datetime | None = None) -> int:
    """Archive the counts of polls whose closing time has passed (the closing task)."""
    moment = now or timezone.now()
    done = 0
    for pk in Poll.objects.filter(counted_at__isnull=True, closes_at__lte=moment).values_list(
            "pk", flat=True):
        with transaction.atomic():
            poll = (Poll.objects.select_for_update(of=("self",)).select_related("message")
                    .filter(pk=pk, counted_at__isnull=True).first())
            if poll is not None:
                _count(poll, None, moment)
                done += 1
    return done
