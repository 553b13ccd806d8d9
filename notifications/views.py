"""The notifications page, the subscription endpoints its script calls, and the files a
browser needs to install the site and receive pushes (service worker, manifest)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from csp.decorators import csp
from django.conf import settings
from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from messaging import queries
from messaging.access import readable_conversation_or_none, readable_conversations
from notifications import access, actions, useragent, vapid
from notifications.forms import DurationForm, MuteForm

SUBSCRIPTION_BYTES = 4096
# What the service worker keeps: the files every page and the conversation page load (the app
# shell), and this many of the last opened conversation pages (unless the school says no).
SHELL = (
    "css/app.css",
    "js/chat/main.js", "js/chat/composer.js", "js/chat/format.js", "js/chat/render.js",
    "js/chat/socket.js", "js/chat/inbox.js", "js/chat/cards.js", "js/chat/mentions.js",
    "notifications/frame.js", "notifications/logout.js",
    "notifications/favicon-32.png", "notifications/icon-192.png",
)
KEEP_CONVERSATIONS = 5


@login_required
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest) -> HttpResponse:
    """A person's devices and muted conversations; the POST mutes one more."""
    user: Any = request.user
    form = MuteForm(request.POST or None,
                    conversations=readable_conversations(user).select_related("school_class")
                    .order_by("title", "pk"))
    if request.method == "POST" and form.is_valid():
        conversation = readable_conversation_or_none(user, form.cleaned_data["conversation"])
        if conversation is None:
            raise Http404
        actions.mute(user, conversation, until=form.until())
        django_messages.success(request, _("You will not be notified about %(title)s.")
                                % {"title": _shown_title(conversation, user)})
        return redirect("notifications:page")
    return render(request, "notifications/page.html", {
        "devices": access.devices_of(user),
        "mutes": access.active_mutes_of(user),
        "form": form,
        "vapid_key": vapid.public_key() if vapid.configured() else "",
    })


@login_required
@require_POST
def remove_device(request: HttpRequest, device_id: int) -> HttpResponse:
    device = access.own_device_or_none(request.user, device_id)
    if device is None:
        raise Http404
    actions.unsubscribe(request.user, device)
    django_messages.success(request, _("That device will not be notified any more."))
    return redirect("notifications:page")


def _shown_title(conversation: Any, user: Any) -> str:
    queries.display_titles([conversation], user)
    return str(conversation.display_title)


@login_required
@require_POST
def mute(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The conversation page's mute control; back to the conversation."""
    conversation = readable_conversation_or_none(request.user, conversation_id)
    if conversation is None:
        raise Http404
    form = DurationForm(request.POST)
    if form.is_valid():
        actions.mute(request.user, conversation, until=form.until())
        django_messages.success(request, _("You will not be notified about %(title)s.")
                                % {"title": _shown_title(conversation, request.user)})
    return redirect(reverse("messaging:conversation", args=[conversation.pk]))


@login_required
@require_POST
def unmute(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Lifts a mute from the notifications page or (``back=conversation``) the conversation."""
    mute = access.active_mutes_of(request.user).filter(conversation_id=conversation_id).first()
    if mute is None:
        raise Http404
    actions.unmute(request.user, mute.conversation)
    if request.POST.get("back") == "conversation":
        django_messages.success(request, _("You will be notified about %(title)s again.")
                                % {"title": _shown_title(mute.conversation, request.user)})
        return redirect(reverse("messaging:conversation", args=[conversation_id]))
    return redirect("notifications:page")


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > SUBSCRIPTION_BYTES:
        raise ValidationError(_("This browser sent an incomplete subscription."))
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(_("This browser sent an incomplete subscription.")) from exc
    if not isinstance(data, dict):
        raise ValidationError(_("This browser sent an incomplete subscription."))
    return data


@login_required
@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    """The page's script posts ``PushSubscription.toJSON()`` here (with the CSRF header)."""
    try:
        data = _json_body(request)
        keys: dict[str, Any] = data["keys"] if isinstance(data.get("keys"), dict) else {}
        device = actions.subscribe(
            request.user, endpoint=data.get("endpoint"), p256dh=keys.get("p256dh"),
            auth=keys.get("auth"), label=useragent.label(request.headers.get("User-Agent", "")),
            session_key=request.session.session_key or "")
    except ValidationError as exc:
        # 409: the endpoint is registered with other keys (another browser's, or a stranger
        # trying to take it over); 400: the subscription itself is wrong.
        status = 409 if getattr(exc, "code", None) == "taken" else 400
        return JsonResponse({"error": " ".join(exc.messages)}, status=status)
    except PermissionDenied:
        return JsonResponse({"error": _("Not allowed.")}, status=403)
    return JsonResponse({"id": device.pk, "label": device.label}, status=201)


@login_required
@require_POST
def unsubscribe(request: HttpRequest) -> JsonResponse:
    """The script turning this browser's notifications off (or logging out) posts its endpoint."""
    try:
        data = _json_body(request)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"removed": actions.unsubscribe_endpoint(request.user, data.get("endpoint"))})


# The worker runs only its own script and talks only to this site.
@require_GET
@csp({"default-src": ["'none'"], "connect-src": ["'self'"], "img-src": ["'self'"],
      "script-src": ["'self'"], "base-uri": ["'none'"]})
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [static(name) for name in SHELL]
    response = render(request, "notifications/sw.js", {
        "icon": static("notifications/icon-192.png"),
        "badge": static("notifications/badge-96.png"),
        "shell_json": json.dumps(shell),
        "version": hashlib.sha256("\n".join(shell).encode()).hexdigest()[:12],
        "login_path": resolve_url(settings.LOGIN_URL),
        "inbox_path": reverse("messaging:inbox"),
        "offline_path": reverse("notifications:offline"),
        "keep_conversations": KEEP_CONVERSATIONS,
    }, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # A new worker reaches browsers promptly (browsers also recheck at least daily).
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows, without a network, for a page it did not keep. Nothing
    personal on it: the worker fetches it once and keeps it with the app shell."""
    return render(request, "notifications/offline.html")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    user: Any = request.user
    school = getattr(user, "school", None) if user.is_authenticated else None
    name = school.name if school else "Schoolchat"
    return JsonResponse({
        "name": name,
        "short_name": name[:12],
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("notifications/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("notifications/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("notifications/maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }, content_type="application/manifest+json")


THEME_COLOUR = "#0b5cad"  # --accent in app.css
