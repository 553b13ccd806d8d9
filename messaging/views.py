"""HTTP views: parse, ask access, call one action, render."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import ratelimit
from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from messaging import acknowledgements as ack_lists
from messaging import attachments, cards, hours, mentions, queries, reactions
from messaging import people as people_list
from messaging.access import (
    readable_conversation_or_none,
    readable_message_or_none,
    taggable_pupils,
)
from messaging.actions import attachments as attachment_actions
from messaging.actions import blocks, direct, groups, oversight, scheduled, send
from messaging.actions import hours as hours_actions
from messaging.actions import reminders as reminder_actions
from messaging.events import logged_event, message_event
from messaging.forms import (
    AddClassForm,
    MessageForm,
    OfficeHoursForm,
    ReplyForm,
)
from messaging.models import Conversation, Event, Membership, Message
from messaging.routing import websocket_urlpatterns
from messaging.templatetags.messaging_tags import PROTOTYPE_ID
from messaging.verbs import Verb


def _readable_or_404(request: AuthenticatedHttpRequest, conversation_id: int) -> Conversation:
    conversation = readable_conversation_or_none(request.user, conversation_id)
    if conversation is None:
        raise Http404
    return conversation


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "messaging/inbox.html", {
        "conversations": queries.inbox(request.user),
        "sensitive_categories": queries.sensitive_categories(),
        "socket_path": f"/{websocket_urlpatterns[0].pattern}",
        "heartbeat_seconds": settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS,
        # "{n} unread" by the plural category of the page's language (Intl.PluralRules), for
        # the count the page raises when a message arrives.
        "unread_forms": json.dumps({
            category: ngettext("%(n)s unread", "%(n)s unread", sample) % {"n": "{n}"}
            for category, sample in (("one", 1), ("few", 2), ("many", 5), ("other", 0))}),
    })


def _refused(request: AuthenticatedHttpRequest, conv: Conversation, exc: Exception) -> HttpResponse:
    """A refusal the member understands: what went wrong, and the way back."""
    if isinstance(exc, PermissionDenied):
        text, status = str(exc), 403
    else:
        assert isinstance(exc, ValidationError)
        text, status = " ".join(exc.messages), 400
    return render(request, "messaging/refused.html", {"conversation": conv, "reason": text},
                  status=status)


def _in_school_zone(value: datetime, conv: Conversation) -> datetime:
    """A time typed into the form means the school's wall-clock time."""
    naive = value.replace(tzinfo=None)
    return naive.replace(tzinfo=ZoneInfo(conv.school.time_zone or settings.TIME_ZONE))


def _away_text(person: dict[str, Any]) -> str:
    if person["reads_from"] is None:
        return _("%(name)s is outside office hours.") % {"name": person["name"]}
    when = localtime(datetime.fromisoformat(person["reads_from"]))
    return str(hours.AWAY_ON_DAY[when.weekday()]).format(name=person["name"],
                                                         time=date_format(when, "H:i"))


def _reply_target(request: AuthenticatedHttpRequest, conv: Conversation) -> Message | None:
    raw = request.POST.get("reply_to") or request.GET.get("reply_to") or ""
    if not raw.isdigit():
        return None
    message = readable_message_or_none(request.user, int(raw))
    return message if message is not None and message.conversation_id == conv.pk else None


def _message_or_404(request: AuthenticatedHttpRequest, conversation_id: int, message_id: int) -> Message:
    message = readable_message_or_none(request.user, message_id)
    if message is None or message.conversation_id != conversation_id:
        raise Http404
    return message


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponse:
    conv = _readable_or_404(request, conversation_id)
    form = MessageForm(request.POST or None)
    confirm_count = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reply_to = None
        if data.get("reply_to"):
            reply_to = _message_or_404(request, conv.pk, data["reply_to"])
        try:
            if data.get("send_at"):
                scheduled.schedule_message(request.user, conv, data["body"],
                                         _in_school_zone(data["send_at"], conv))
                django_messages.success(request, _("Your message is scheduled."))
                return redirect("messaging:conversation", conversation_id=conv.pk)
            send.post_message(
                request.user, conv, data["body"], client_id=data["client_id"],
                reply_to=reply_to, urgent=data["urgent"], confirm=data["confirm"],
                ack_requested=data["ack_requested"], sensitive=data.get("sensitive") or "",
                attachments=attachments.claimable(request.user,
                                                  request.POST.getlist("attachments")),
                mentions=mentions.clean_ids(request.POST.getlist("mentions")),
            )
        except send.ConfirmationRequired as exc:
            confirm_count = exc.recipients
        except ratelimit.RateLimited as exc:
            response = _refused(request, conv, exc)
            response.status_code = 429
            response["Retry-After"] = str(exc.retry_after)
            return response
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error("body", exc)
        else:
            for person in hours.staff_away(request.user, conv):
                django_messages.info(request, _away_text(person))
            return redirect("messaging:conversation", conversation_id=conv.pk)
    if request.method == "GET":
        oversight.note_lead_read(request.user, conv)
    shown = queries.messages(conv, request.user)
    recent = list(shown.order_by("-seq")[: settings.SCHOOLCHAT_HISTORY_PAGE])[::-1]
    attachments.mark_shown(recent)
    queries.display_titles([conv], request.user)
    context = {
        "conversation": conv,
        "messages_page": recent,
        "form": form,
        "confirm_count": confirm_count,
        "last_seq": conv.last_seq,
        # Reading the page writes nothing: "seen" comes from the socket, or this form's POST.
        "unread": queries.last_read_seq(conv, request.user) < conv.last_seq,
        "first_seq": recent[0].seq if recent else 0,
        "has_older": bool(recent) and shown.filter(seq__lt=recent[0].seq)
        .exists(),
        "reply_to_message": _reply_target(request, conv),
        "scheduled": list(conv.scheduled.filter(
            sender=request.user.pk, message__isnull=True, cancelled_at__isnull=True
        ).order_by("send_at")),
        "pinned": list(shown.filter(pinned_at__isnull=False)
                       .order_by("-pinned_at")[:5]),
        "away": [_away_text(p) for p in hours.staff_away(request.user, conv)],
        "page_size": settings.SCHOOLCHAT_HISTORY_PAGE,
        "socket_path": f"/{websocket_urlpatterns[0].pattern}",
        "heartbeat_seconds": settings.SCHOOLCHAT_SOCKET_HEARTBEAT_SECONDS,
        "ack_timeout_seconds": settings.SCHOOLCHAT_SOCKET_ACK_TIMEOUT_SECONDS,
        "prototype_id": PROTOTYPE_ID,
        **queries.page_context(request.user, conv, recent),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "messaging/conversation.html", context, status=status)


@login_required
@require_POST
def verb(request: AuthenticatedHttpRequest, conversation_id: int, message_id: int | None = None,
         *, verb: Verb[Any, Any]) -> HttpResponse:
    """A verb of :data:`messaging.verbs.VERBS` from the page's form (``messaging/urls.py``
    routes each one here): the same target, argument and action as the socket's frame."""
    target = verb.find(request.user, conversation_id, message_id)
    if target is None:
        raise Http404
    conversation = target if isinstance(target, Conversation) else target.conversation
    try:
        argument = verb.from_form(request.POST)
    except ValueError:  # nothing to do (a "Mark as read" without a seq)
        return redirect("messaging:conversation", conversation_id=conversation_id)
    try:
        verb.act(request.user, target, argument)
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, conversation, exc)
    back = reverse("messaging:conversation", args=[conversation_id])
    # Back to the message it was done to, where the page shows what changed.
    return redirect(f"{back}#m{message_id}" if verb.on_message else back)


@login_required
@require_GET
def receipts(request: AuthenticatedHttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """Who has seen a message: for its sender and staff; other members get 403."""
    message = _message_or_404(request, conversation_id, message_id)
    if not can(request.user, "message.receipts", message):
        raise PermissionDenied
    seen = queries.seen_by(message)
    members = queries.audience(message)
    context = {"conversation": message.conversation, "message": message, "seen": seen,
               "not_seen": [u for u in members if u.pk not in {s.pk for s in seen}],
               "total": len(members)}
    return render(request, "messaging/receipts.html", context)


@login_required
@require_GET
def reactions_page(request: AuthenticatedHttpRequest, conversation_id: int,
                   message_id: int) -> HttpResponse:
    """Who reacted to a message, emoji by emoji: for those who read it (404 for others)."""
    message = _message_or_404(request, conversation_id, message_id)
    if not can(request.user, "message.reactions", message):
        raise Http404
    return render(request, "messaging/reactions.html", {
        "conversation": message.conversation, "message": message,
        "groups": reactions.who_reacted(message)})


@login_required
@require_GET
def card(request: AuthenticatedHttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """A message's live card as its reader may see it now (messaging.cards): what the chat page
    fetches when the card changed. 404 for a message the reader may not read, or with no card."""
    message = _message_or_404(request, conversation_id, message_id)
    if not message.card or message.is_gone:
        raise Http404
    return HttpResponse(cards.wrapped(message, request, request.path))


@login_required
@require_GET
def acknowledgements(request: AuthenticatedHttpRequest, conversation_id: int,
                     message_id: int) -> HttpResponse:
    """Who has and who has not acknowledged a message, by family: staff members only."""
    message = _message_or_404(request, conversation_id, message_id)
    if not can(request.user, "message.acknowledgements", message):
        raise PermissionDenied
    summary = ack_lists.overview(message)
    if request.GET.get("format") == "json":
        # What a staff member's bubble says, "3 of 25 families", after an acknowledgement.
        done, total = len(summary.done), len(summary.families)
        return JsonResponse({"acknowledged": done, "families": total,
                             "text": ack_lists.count_text(done, total)})
    context = {"conversation": message.conversation, "message": message, "summary": summary,
               "last_reminder": ack_lists.last_reminder(message),
               "can_remind": can(request.user, "message.remind", message),
               "reminded_today": ack_lists.reminded_today(message)}
    return render(request, "messaging/acknowledgements.html", context)


@login_required
@require_POST
def remind(request: AuthenticatedHttpRequest, conversation_id: int,
           message_id: int) -> HttpResponse:
    """"Remind those who have not": once a day, to the families that have not acknowledged."""
    message = _message_or_404(request, conversation_id, message_id)
    link = request.build_absolute_uri(
        reverse("messaging:conversation", args=[conversation_id]) + f"#m{message.pk}")
    try:
        reminder = reminder_actions.remind_unacknowledged(request.user, message, link=link)
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, message.conversation, exc)
    django_messages.success(request, ngettext(
        "A reminder went to %(count)d guardian.", "A reminder went to %(count)d guardians.",
        reminder.recipients) % {"count": reminder.recipients})
    return redirect("messaging:acknowledgements", conversation_id=conversation_id,
                    message_id=message.pk)


@login_required
@require_http_methods(["GET", "POST"])
def reply_privately(request: AuthenticatedHttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """Answer an announcement in a one-to-one conversation with its sender."""
    message = _message_or_404(request, conversation_id, message_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply, _created = direct.reply_privately(request.user, message,
                                                      form.cleaned_data["body"])
        except (PermissionDenied, ValidationError) as exc:
            return _refused(request, message.conversation, exc)
        return redirect("messaging:conversation", conversation_id=reply.conversation_id)
    return render(request, "messaging/reply.html",
                  {"conversation": message.conversation, "message": message, "form": form})


@login_required
@require_GET
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The people I may start a one-to-one conversation with; staff find parents by their
    children and classes (``messaging.people``). ``?q=`` searches, without a script."""
    user, query = request.user, request.GET.get("q", "").strip()[:100]
    found = people_list.candidates(user)
    if user.is_school_staff:
        groups = people_list.staff_groups(user, found, query)
    else:
        entries = people_list.plain_list(found, query)
        groups = [people_list.Group("", entries)] if entries else []
    return render(request, "messaging/people.html",
                  {"groups": groups, "query": query, "anyone": bool(found)})


def _same_school(user: User, other: User | None) -> bool:
    return (other is not None and other.is_active and other.pk != user.pk
            and other.school_id is not None and other.school_id == user.school_id)


@login_required
@require_POST
def start_direct(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Open (or find) the one-to-one with a person of the school. The policy's refusal is
    said as the websocket says it; a person of another school, or none, is a 404."""
    user, other = request.user, User.objects.filter(pk=user_id).first()
    if other is None or not _same_school(user, other):
        raise Http404
    raw = request.POST.get("second", "")
    second = User.objects.filter(pk=int(raw), school=other.school).first() if (
        raw.isdigit()) else None
    try:
        conv = direct.open_direct(user, other, second=second)
    except direct.SecondStaffNeeded as exc:
        return render(request, "messaging/second_staff.html",
                      {"other": other, "candidates": exc.candidates})
    except (PermissionDenied, ValidationError) as exc:
        text = str(exc) if isinstance(exc, PermissionDenied) else " ".join(exc.messages)
        return render(request, "messaging/refused.html", {"conversation": None, "reason": text},
                      status=403 if isinstance(exc, PermissionDenied) else 400)
    return redirect("messaging:conversation", conversation_id=conv.pk)


@login_required
@require_POST
def block(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """Block (``blocked=1``) or unblock (``blocked=0``) a person's one-to-one messages; back
    to the one-to-one with them when there is one."""
    user, other = request.user, User.objects.filter(pk=user_id).first()
    if other is None or not can(user, "person.block", other):
        raise Http404
    if request.POST.get("blocked", "1") == "0":
        blocks.unblock(user, other)
        django_messages.success(request, _("You unblocked %(name)s.") % {"name": other.public_name})
    else:
        blocks.block(user, other)
        django_messages.success(request, _("You blocked %(name)s: their one-to-one messages do "
                                           "not reach you.") % {"name": other.public_name})
    low, high = sorted([user.pk, other.pk])
    conv = Conversation.objects.filter(direct_key=f"{low}:{high}").first()
    if conv is not None and can(user, "conversation.read", conv):
        return redirect("messaging:conversation", conversation_id=conv.pk)
    return redirect("messaging:people")


@login_required
@require_GET
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Search the messages of the conversations I can read."""
    query = request.GET.get("q", "").strip()[:200]
    results = queries.search(request.user, query) if query else []
    return render(request, "messaging/search.html", {"query": query, "results": results})


@login_required
@require_GET
def events_json(request: AuthenticatedHttpRequest, conversation_id: int) -> JsonResponse:
    """Logged events after ``?after_seq=N``: the same replay the socket gives on resume."""
    conv = _readable_or_404(request, conversation_id)
    try:
        after = int(request.GET.get("after_seq", "0"))
    except ValueError:
        return JsonResponse({"error": "after_seq must be an integer"}, status=400)
    rows = (Event.objects.filter(conversation=conv, seq__gt=after)
            .select_related("message__sender", "message__reply_to__sender")
            .prefetch_related("message__attachments__pupils", "message__mentions__user")
            .order_by("seq")[: settings.SCHOOLCHAT_HISTORY_PAGE])
    events = [dict(logged_event(e, request.user.pk)) for e in rows]
    reactions.add_to_events(events, request.user)
    return JsonResponse({"conversation": conv.pk, "events": events})


@login_required
@require_GET
def messages_json(request: AuthenticatedHttpRequest, conversation_id: int) -> JsonResponse:
    """A page of history: ``?before_seq=N`` pages back, ``?after_seq=N`` catches up."""
    conv = _readable_or_404(request, conversation_id)
    rows = queries.messages(conv, request.user)
    try:
        before = int(request.GET["before_seq"]) if "before_seq" in request.GET else None
        after = int(request.GET["after_seq"]) if "after_seq" in request.GET else None
    except ValueError:
        return JsonResponse({"error": "before_seq and after_seq must be integers"}, status=400)
    page = settings.SCHOOLCHAT_HISTORY_PAGE
    if after is not None:
        chosen = list(rows.filter(seq__gt=after).order_by("seq")[:page])
    else:
        if before is not None:
            rows = rows.filter(seq__lt=before)
        chosen = list(rows.order_by("-seq")[:page])[::-1]
    events = [dict(message_event(m)) for m in chosen]
    reactions.add_to_events(events, request.user)
    return JsonResponse({"conversation": conv.pk, "messages": events})


@login_required
@require_POST
def upload(request: AuthenticatedHttpRequest, conversation_id: int) -> JsonResponse:
    """Multipart upload of one file for a message about to be sent; answers its token.

    Refusals (type, size, photo consent) are answered to the uploader only.
    """
    conv = _readable_or_404(request, conversation_id)
    try:
        ratelimit.check("upload", request.user)
    except ratelimit.RateLimited as exc:
        return JsonResponse({"error": exc.messages[0], "code": exc.code,
                             "retry_after": exc.retry_after}, status=429,
                            headers={"Retry-After": str(exc.retry_after)})
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return JsonResponse({"error": _("Choose a file to attach.")}, status=400)
    try:
        pupils = attachments.tagged_pupils(request.user, conv, request.POST.getlist("pupils"))
        attachment = attachment_actions.upload(
            request.user, conv, uploaded, pupils=pupils,
            no_identifiable_pupils=request.POST.get("no_pupils") in ("1", "on", "true"),
            duration_ms=_milliseconds(request.POST.get("duration_ms")),
        )
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages), "code": exc.code,
                             "reasons": exc.messages}, status=400)
    return JsonResponse(attachments.summary(attachment), status=201)


def _milliseconds(value: str | None) -> int | None:
    """A voice message's length as the recording browser posts it; None when not a number."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _serve(request: AuthenticatedHttpRequest, token: str, *, thumbnail: bool) -> FileResponse:
    attachment = attachments.readable_attachment_or_none(request.user, token)
    field = None if attachment is None else (
        attachment.thumbnail if thumbnail else attachment.file)
    if attachment is None or not field:
        raise Http404
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    response = FileResponse(field.open("rb"), content_type=content_type,
                            as_attachment=attachment.kind == "pdf", filename=attachment.name)
    # Personal data: never kept by a shared cache, nor by the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def attachment(request: AuthenticatedHttpRequest, token: str) -> FileResponse:
    return _serve(request, token, thumbnail=False)


@login_required
@require_GET
def attachment_thumbnail(request: AuthenticatedHttpRequest, token: str) -> FileResponse:
    return _serve(request, token, thumbnail=True)


@login_required
@require_GET
def class_pupils(request: AuthenticatedHttpRequest, conversation_id: int) -> JsonResponse:
    """The pupils the sender may tag in a photo here (``messaging.access.taggable_pupils``):
    first names and initials only."""
    conv = _readable_or_404(request, conversation_id)
    rows = taggable_pupils(request.user, conv)
    return JsonResponse({"pupils": [{"id": p.pk, "name": f"{p.first_name} {p.last_name[:1]}."}
                                    for p in rows]})


@login_required
@require_http_methods(["GET", "POST"])
def office_hours(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff set the hours in which they read messages."""
    user = request.user
    if not can(user, "office_hours.set"):
        raise Http404
    form = OfficeHoursForm(request.POST or None, schedule=hours.schedule_for(user))
    if request.method == "POST" and form.is_valid():
        hours_actions.set_office_hours(user, form.days())
        django_messages.success(request, _("Your office hours are saved."))
        return redirect("messaging:office_hours")
    return render(request, "messaging/office_hours.html", {"form": form})


@login_required
@require_POST
def cancel_scheduled(request: AuthenticatedHttpRequest, conversation_id: int,
                     scheduled_id: int) -> HttpResponse:
    conv = _readable_or_404(request, conversation_id)
    item = conv.scheduled.filter(pk=scheduled_id, sender=request.user.pk).first()
    if item is None:
        raise Http404
    scheduled.cancel_scheduled(request.user, item)
    return redirect("messaging:conversation", conversation_id=conv.pk)


@login_required
@require_GET
def members(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponse:
    """Who is in a conversation: display names and roles; contact details only to the person
    themself, the school's admins and the DPO."""
    conversation = Conversation.objects.filter(pk=conversation_id).select_related("school").first()
    if conversation is None or not can(request.user, "membership.list", conversation):
        raise Http404
    return _members_page(request, conversation)


def _members_page(request: AuthenticatedHttpRequest, conversation: Conversation, *,
                  form: AddClassForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    people = [
        {"user": m.user, "contact": can(user, "user.see_contact", m.user)}
        for m in Membership.objects.filter(conversation=conversation, ended_at__isnull=True)
        .select_related("user").order_by("user__display_name", "user__username")
    ]
    can_manage = can(user, "membership.add", conversation)
    return render(request, "messaging/members.html", {
        "conversation": conversation, "people": people, "can_manage": can_manage,
        "is_member": can(user, "conversation.read", conversation),
        "show_contact": any(p["contact"] for p in people),
        "class_form": (form or AddClassForm(school=conversation.school)) if can_manage else None,
    }, status=status)


@login_required
@require_POST
def add_class(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponse:
    """"Add a whole class" on a group's or channel's member page: for its managers."""
    conversation = Conversation.objects.filter(pk=conversation_id).select_related("school").first()
    if conversation is None or not can(request.user, "membership.add", conversation):
        raise Http404
    form = AddClassForm(request.POST, school=conversation.school)
    if not form.is_valid():
        return _members_page(request, conversation, form=form, status=400)
    school_class = form.cleaned_data["school_class"]
    added, already = groups.add_class_to_group(conversation, school_class, actor=request.user)
    django_messages.success(request, _(
        "%(class)s: %(added)d added, %(already)d already members.") % {
        "class": school_class.name, "added": len(added), "already": already})
    return redirect("messaging:members", conversation_id=conversation.pk)
