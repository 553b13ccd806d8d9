"""Answering a poll: a family's or a person's ballot, changed until the poll closes."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain, scopes
from messaging import cards
from polls.access import ballot_key
from polls.models import Ballot, Poll, Vote


def vote(user: User, poll: Poll, option_ids: Sequence[int]) -> Ballot:
    """Cast (or change) the user's answer; in a per-family poll, their family's.

    Raises ``PermissionDenied`` for someone who may not answer, and ``ValidationError`` with a
    sentence for a closed poll, no choice, several choices where one is asked, or an option of
    another poll. The archive records who voted and, unless the poll is anonymous, what.
    """
    if not can(user, "poll.vote", poll):
        raise PermissionDenied(_("You cannot answer this poll."))
    chosen = sorted(set(option_ids))
    with transaction.atomic():
        # One answer at a time per poll: two guardians of a family never both create a ballot.
        locked = Poll.objects.select_for_update(of=("self",)).select_related("message").get(pk=poll.pk)
        now = timezone.now()
        if locked.is_closed(now):
            raise ValidationError(_("This poll has closed: answers can no longer be given or "
                                    "changed."), code="closed")
        options = {o.pk: o for o in locked.options.all()}
        if not chosen:
            raise ValidationError(_("Choose an answer."), code="required")
        if any(pk not in options for pk in chosen):
            raise ValidationError(_("That answer is not one of this poll's."), code="invalid")
        if len(chosen) > 1 and not locked.multiple:
            raise ValidationError(_("Choose one answer."), code="one")
        key = ballot_key(user, locked)
        ballot = Ballot.objects.filter(poll=locked, key=key).first()
        changed = ballot is not None
        if ballot is None:
            ballot = Ballot.objects.create(poll=locked, key=key, voter=user, cast_at=now)
        else:
            ballot.voter, ballot.cast_at = user, now
            ballot.save(update_fields=["voter", "cast_at"])
            ballot.votes.all().delete()
        Vote.objects.bulk_create([Vote(ballot=ballot, option_id=pk) for pk in chosen])
        payload: dict[str, object] = {"poll": locked.pk, "question": locked.question,
                                      "changed": changed}
        if not locked.anonymous:
            payload["options"] = [options[pk].text for pk in chosen]
        chain.record("poll.voted", scope=scopes.polls(locked.school_id), actor=user,
                     subjects=[user], payload=payload)
        if locked.message is not None:
            cards.changed(locked.message)
    return ballot
