"""The school admin's group pages: the school's groups, a new group, and a group's members.

Part of the school admin area (:mod:`accounts.school_admin`, whose navigation they share), but
about conversations, so they live here. Each view parses its form, calls one action
(:mod:`messaging.actions.groups`) and renders. The list is for the school's admins only
(anyone else gets 404); a group's member page is also open to the staff who manage that group.
Class groups are shown read-only: their members come from the roster.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.access import can
from accounts.http import AuthenticatedHttpRequest
from accounts.models import School, User
from accounts.school_admin import school_admin
from messaging.actions.groups import add_group_member, create_group, remove_group_member
from messaging.forms import GroupForm, MemberForm
from messaging.models import Conversation, Membership


@school_admin
@require_http_methods(["GET", "POST"])
def groups(request: AuthenticatedHttpRequest, school: School) -> HttpResponse:
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group = create_group(school, form.cleaned_data["title"],
                             announcements=form.cleaned_data["announcements"],
                             actor=request.user)
        return redirect("messaging:school_group", conversation_id=group.pk)
    return render(request, "messaging/school/groups.html", {
        "school": school, "form": form,
        "groups": Conversation.objects.filter(school=school).exclude(
            kind=Conversation.Kind.DIRECT).select_related("school_class")
        .order_by("kind", "school_class__name", "title"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def group(request: AuthenticatedHttpRequest, conversation_id: int) -> HttpResponse:
    """A group's members. Admins of the school and the group's staff managers add and remove;
    class groups are shown read-only (their members come from the roster)."""
    conversation = get_object_or_404(Conversation, pk=conversation_id)
    user = request.user
    admin = can(user, "school.manage", conversation.school)
    manager = can(user, "membership.add", conversation)
    if not (admin or manager):
        raise Http404
    school = conversation.school
    form = MemberForm(request.POST or None, school=school)
    if request.method == "POST":
        if not manager:
            raise Http404
        remove = request.POST.get("remove")
        if remove:
            member = get_object_or_404(User, pk=remove, school=school)
            remove_group_member(conversation, member, actor=user)
            return redirect("messaging:school_group", conversation_id=conversation.pk)
        if form.is_valid():
            try:
                add_group_member(conversation, form.cleaned_data["user"], actor=user,
                                 manager=form.cleaned_data["manager"])
            except PermissionDenied as refused:
                form.add_error("user", " ".join(refused.args))
            else:
                return redirect("messaging:school_group", conversation_id=conversation.pk)
    current = Membership.objects.filter(conversation=conversation, ended_at__isnull=True) \
        .select_related("user").order_by("user__display_name")
    return render(request, "messaging/school/group.html", {
        "school": school, "conversation": conversation, "form": form, "members": current,
        "can_manage": manager,
    })
