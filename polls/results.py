"""What a poll's results say (read side): counts per option, and, in a named poll, who chose
what, for those who may see it (``poll.results``; names for the asker and managers only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from accounts.models import User
from polls.models import Ballot, Poll, PollOption, Vote


@dataclass
class Row:
    option: PollOption
    count: int
    # Who chose it (a named poll, for the asker and managers); empty otherwise.
    voters: list[str] = field(default_factory=list)

    def percent(self, total: int) -> int:
        return round(100 * self.count / total) if total else 0


@dataclass
class Results:
    poll: Poll
    rows: list[Row]
    # Ballots cast: people, or families in a per-family poll.
    ballots: int

    @property
    def leading(self) -> int:
        return max((r.count for r in self.rows), default=0)


def counts(poll: Poll) -> dict[int, int]:
    """Votes per option id (every option, zero included)."""
    found = dict(Vote.objects.filter(ballot__poll=poll).values("option_id")
                 .annotate(n=Count("pk")).values_list("option_id", "n"))
    return {o.pk: found.get(o.pk, 0) for o in poll.options.all()}


def results(poll: Poll, *, with_names: bool) -> Results:
    """The poll's results; ``with_names`` only for a named poll's asker and managers."""
    per_option = counts(poll)
    names: dict[int, list[str]] = {}
    if with_names and not poll.anonymous:
        for option_id, voter_id in (Vote.objects.filter(ballot__poll=poll)
                                    .order_by("ballot__cast_at", "pk")
                                    .values_list("option_id", "ballot__voter_id")):
            names.setdefault(option_id, []).append(voter_id)  # type: ignore[arg-type]
        people = {u.pk: u.public_name for u in User.objects.filter(
            pk__in={v for ids in names.values() for v in ids})}
        named = {o: [people[v] for v in ids] for o, ids in names.items()}  # type: ignore[index]
    else:
        named = {}
    rows = [Row(o, per_option.get(o.pk, 0), named.get(o.pk, [])) for o in poll.options.all()]
    return Results(poll, rows, Ballot.objects.filter(poll=poll).count())
