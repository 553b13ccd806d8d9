"""What messaging's e-mail digest asks notifications: which messages were pushed already.

A person with a device told about a message (the push service accepted it) does not get it
again by e-mail; a message that was not pushed (no device, muted, quiet time, a push service
that refused it) stays in the digest. Registered in ``NotificationsConfig.ready`` with
``messaging.digest.register_already_told``: messaging never imports this app.
"""

from __future__ import annotations

from notifications.models import Pushed


def already_pushed(user_id: int, conversation_id: int, seqs: list[int]) -> set[int]:
    """The ``seqs`` of the conversation that reached one of the person's devices."""
    if not seqs:
        return set()
    # Uses index: notifications_pushed_once (user, conversation, seq).
    return set(Pushed.objects.filter(user_id=user_id, conversation_id=conversation_id,
                                     seq__in=seqs).values_list("seq", flat=True))
