"""What a reader tells the sender: read receipts (hints, not archived) and acknowledgements
of announcements that ask for them (archived)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import User
from archive import chain
from messaging.models import Acknowledgement, Conversation, Membership, Message, Receipt
from messaging.publish import publish_on_commit, publish_user_on_commit


def mark_seen(user: User, conversation: Conversation, upto_seq: int) -> int:
    """Record that the user has seen everything up to ``upto_seq``; returns how many messages
    got a new receipt. Receipts are hints, not records: they are not archived."""
    membership = Membership.objects.filter(conversation=conversation, user=user,
                                           ended_at__isnull=True).first()
    if membership is None:
        return 0
    upto = min(upto_seq, conversation.last_seq)
    if upto <= membership.last_read_seq:
        return 0
    with transaction.atomic():
        fresh = list(
            Message.objects.filter(conversation=conversation, seq__gt=membership.last_read_seq,
                                   seq__lte=upto, retracted_at__isnull=True,
                                   held_at__isnull=True)
            .exclude(sender=user).order_by("-seq").values_list("pk", "sender_id")[:500]
        )
        Receipt.objects.bulk_create([Receipt(message_id=pk, user=user) for pk, _s in fresh],
                                    ignore_conflicts=True)
        Membership.objects.filter(pk=membership.pk).update(last_read_seq=upto)
        # Only the senders are told live (a hint per sender, not a broadcast to the room:
        # every member reading every message would otherwise cost members² frames).
        counts = receipt_counts([pk for pk, _s in fresh]) if fresh else {}
        by_sender: dict[int, dict[str, int]] = {}
        for pk, sender_id in fresh:
            by_sender.setdefault(sender_id, {})[str(pk)] = counts.get(pk, 0)
        for sender_id, seen in by_sender.items():
            publish_user_on_commit(sender_id, {"type": "receipt",
                                               "conversation": conversation.pk, "seen": seen})
    return len(fresh)


def receipt_counts(message_ids: list[int]) -> dict[int, int]:
    rows = (Receipt.objects.filter(message_id__in=message_ids).values("message_id")
            .annotate(n=Count("pk")).values_list("message_id", "n"))
    return dict(rows)


def acknowledge(user: User, message: Message) -> bool:
    """The user confirms having read an announcement that asked for it (idempotent)."""
    if not can(user, "message.acknowledge", message):
        raise PermissionDenied(_("This message does not ask you for an acknowledgement."))
    with transaction.atomic():
        _ack, created = Acknowledgement.objects.get_or_create(message=message, user=user)
        if created:
            chain.record(
                "message.acknowledged", scope=message.conversation.scope, actor=user,
                subjects=[user], payload={"message": message.pk},
            )
            count = Acknowledgement.objects.filter(message=message).count()
            publish_on_commit(message.conversation_id, {
                "type": "acknowledged", "conversation": message.conversation_id,
                "id": message.pk, "count": count,
            })
    return created
