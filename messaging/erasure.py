"""What messaging deletes or renames when a person is erased (``accounts.signals.person_erased``).

Their messages stay (the records duty keeps them, and retention purges them on schedule); they
show the person's pseudonym because pages read the sender's name from the account. What goes:
files uploaded but never sent (unless a legal hold covers the person), messages planned but not
yet sent, office hours and presence. A one-to-one conversation's stored title names both
people; it is rewritten from the members' current names.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from accounts.models import User
from messaging.models import (
    Attachment,
    Conversation,
    Membership,
    OfficeHours,
    Presence,
    ScheduledMessage,
)


def _delete_files(names: list[tuple[Any, str]]) -> None:
    for storage, name in names:
        storage.delete(name)


def on_person_erased(sender: Any, *, user: User, keep_uploads: bool = False,
                     **kwargs: Any) -> dict[str, int]:
    """In the erasure's transaction; returns what was deleted, counted."""
    renamed = 0
    direct = Conversation.objects.filter(kind=Conversation.Kind.DIRECT,
                                         memberships__user=user).distinct()
    for conversation in direct:
        people = list(User.objects.filter(pk__in=Membership.objects.filter(
            conversation=conversation).values("user_id")).order_by("pk"))
        conversation.title = " · ".join(p.public_name for p in people)
        conversation.save(update_fields=["title"])
        renamed += 1
    unsent = 0
    if not keep_uploads:
        doomed = list(Attachment.objects.filter(uploader=user, message__isnull=True))
        files: list[tuple[Any, str]] = [(f.storage, str(f.name)) for a in doomed
                                         for f in (a.file, a.thumbnail) if f]
        Attachment.objects.filter(pk__in=[a.pk for a in doomed]).delete()
        unsent = len(doomed)
        # The files go once the rows are gone for good.
        transaction.on_commit(partial(_delete_files, files))
    planned = ScheduledMessage.objects.filter(sender=user, message__isnull=True).delete()[0]
    OfficeHours.objects.filter(user=user).delete()
    Presence.objects.filter(user=user).delete()
    return {"unsent_uploads": unsent, "planned_messages": planned,
            "direct_titles": renamed}
