"""HTTP views: parse, ask access, call one action, render."""

from __future__ import annotations

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from messaging import cards
from messaging.access import readable_conversation_or_none
from polls import results
from polls.access import readable_poll_or_none
from polls.actions import asking, voting
from polls.forms import PollForm
from polls.models import Poll


def _poll_or_404(request: AuthenticatedHttpRequest, poll_id: int) -> Poll:
    poll = readable_poll_or_none(request.user, poll_id)
    if poll is None:
        raise Http404
    return poll


def _back(poll: Poll) -> str:
    url = reverse("messaging:conversation", args=[poll.conversation_id])
    return f"{url}#m{poll.message_id}" if poll.message_id else url


@login_required
@require_http_methods(["GET", "POST"])
def new(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponse:
    """Ask a poll in a conversation: staff who may post in a class group or announcements."""
    conversation = readable_conversation_or_none(request.user, conversation_id)
    if conversation is None or not can(request.user, "poll.create", conversation):
        raise Http404
    form = PollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            poll = asking.create_poll(
                request.user, conversation, question=data["question"], options=form.options(),
                closes_at=data["closes_at"], multiple=data["multiple"],
                anonymous=data["anonymous"], per_family=data["per_family"],
                results_shown=data["results"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            django_messages.success(request, _("Your poll is in the conversation."))
            return redirect(_back(poll))
    return render(request, "polls/new.html", {"form": form, "conversation": conversation},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def vote(request: AuthenticatedHttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_or_404(request, poll_id)
    chosen = [int(v) for v in request.POST.getlist("option") if v.isdigit()]
    try:
        voting.vote(request.user, poll, chosen)
    except (PermissionDenied, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return cards.answer(request, back=_back(poll), error=text)
    return cards.answer(request, back=_back(poll), done=_("Your answer is saved."))


@login_required
@require_POST
def close(request: AuthenticatedHttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_or_404(request, poll_id)
    try:
        asking.close_poll(request.user, poll)
    except PermissionDenied as exc:
        return cards.answer(request, back=_back(poll), error=str(exc))
    return cards.answer(request, back=_back(poll), done=_("The poll is closed."))


@login_required
@require_GET
def results_page(request: AuthenticatedHttpRequest, poll_id: int) -> HttpResponse:
    """The results, with who chose what in a named poll for the asker and the managers."""
    poll = _poll_or_404(request, poll_id)
    if not can(request.user, "poll.results", poll):
        raise PermissionDenied
    names = can(request.user, "poll.close", poll) and not poll.anonymous
    return render(request, "polls/results.html", {
        "poll": poll, "results": results.results(poll, with_names=names), "names": names,
        "back": _back(poll), "closed": poll.is_closed()})
