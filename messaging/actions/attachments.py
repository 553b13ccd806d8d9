"""The writes of attachments: uploading a file, binding it to the message it is sent with, and
hiding the photos of a pupil whose photo consent was withdrawn.

The rules they apply (what may be uploaded, how an image is cleaned, who may be tagged, who
sees what) are in :mod:`messaging.attachments`.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can
from accounts.models import Pupil, User
from archive import chain
from consent.services import photo_may_show
from messaging.attachments import (
    check_photo_tags,
    check_taggable,
    check_voice,
    clean_image,
    max_bytes,
    megabytes,
    safe_name,
    sniff_audio,
)
from messaging.events import attachment_hidden_event
from messaging.models import Attachment, Conversation, Event, Message
from messaging.publish import publish_on_commit
from messaging.seq import next_seq


def upload(user: User, conversation: Conversation, uploaded: UploadedFile[bytes], *,
           pupils: list[Pupil] | None = None, no_identifiable_pupils: bool = False,
           duration_ms: int | None = None) -> Attachment:
    """Check, clean and store a file for a message the user is about to send here.

    Photos must either tag the pupils shown or state that no pupil is identifiable
    (``messaging.attachments.check_photo_tags``); the reasons are for the uploader only. A PDF tags nobody.
    A voice message (WebM, Ogg or MP4 by its content) tags nobody either, and must keep within the
    school's length and size limits (``duration_ms``, as the recording browser measured it).
    """
    if not can(user, "conversation.post", conversation):
        raise PermissionDenied(_("You cannot post in this conversation."))
    limit = max_bytes()
    size = uploaded.size or 0  # what the client declared; the read below is what counts
    if size > limit:
        raise ValidationError(
            _("This file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": megabytes(size), "limit": megabytes(limit)},
            code="too_large",
        )
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("This file is too large."), code="too_large")
    tagged = list(pupils or [])
    check_taggable(user, conversation, tagged)
    thumb = b""
    width = height = None
    audio = sniff_audio(data)
    if data.startswith(b"%PDF-"):
        kind, content_type, ext, clean = Attachment.Kind.PDF, "application/pdf", "pdf", data
    elif audio is not None:
        duration_ms = check_voice(conversation, len(data), duration_ms)
        (content_type, ext), kind, clean = audio, Attachment.Kind.AUDIO, data
    else:
        clean, thumb, content_type, ext, width, height = clean_image(data)
        kind = Attachment.Kind.IMAGE
        check_photo_tags(user, conversation, tagged, no_identifiable_pupils)
    token = secrets.token_urlsafe(32)
    attachment = Attachment(
        token=token, conversation=conversation, uploader=user, kind=kind,
        content_type=content_type, name=safe_name(str(uploaded.name or ""), ext),
        size=len(clean), sha256=hashlib.sha256(clean).hexdigest(), width=width, height=height,
        duration_ms=duration_ms if kind == Attachment.Kind.AUDIO else None,
        no_identifiable_pupils=no_identifiable_pupils and not tagged,
    )
    attachment.file.save(f"{token}.{ext}", ContentFile(clean), save=False)
    if thumb:
        attachment.thumbnail.save(f"{token}.thumb.jpg", ContentFile(thumb), save=False)
    attachment.save()
    if tagged:
        attachment.pupils.set(tagged)
    return attachment


def claim(sender: User, message: Message, attachments: list[Attachment]) -> None:
    """Inside ``send.post_messages``' transaction: bind the uploads to the message and archive
    them (the photo rules asked again: consent may have changed since the upload)."""
    for attachment in attachments:
        if attachment.conversation_id != message.conversation_id:
            raise ValidationError(_("An attachment was uploaded for another conversation."),
                                  code="invalid")
        pupils = list(attachment.pupils.all())
        if attachment.kind == Attachment.Kind.IMAGE and pupils:
            # Consent may have changed since the upload.
            check_photo_tags(sender, message.conversation, pupils,
                             attachment.no_identifiable_pupils)
        updated = Attachment.objects.filter(pk=attachment.pk, message__isnull=True).update(
            message=message)
        if not updated:
            raise ValidationError(_("An attachment was already sent."), code="invalid")
        chain.record(
            "attachment.added", scope=message.conversation.scope, actor=sender,
            subjects=[sender, *pupils],
            payload={"message": message.pk, "attachment": attachment.token,
                     "kind": attachment.kind, "name": attachment.name,
                     "duration_ms": attachment.duration_ms,
                     "sha256": attachment.sha256, "size": attachment.size,
                     "file": attachment.file.name, "pupils": [p.pk for p in pupils],
                     "no_identifiable_pupils": attachment.no_identifiable_pupils},
        )


def hide_photos_of(pupil: Pupil, purpose: str) -> int:
    """After a withdrawal: hide every photo tagging the pupil that now lacks consent, and tell
    open tabs (a sequenced ``attachment_hidden`` event per photo)."""
    hidden = 0
    photos = (Attachment.objects.filter(pupils=pupil, hidden_at__isnull=True,
                                        message__isnull=False)
              .select_related("message", "conversation").prefetch_related("pupils"))
    for photo in photos:
        if photo_may_show(pupil, tagged=len(photo.pupils.all())):
            continue
        with transaction.atomic():
            seq = next_seq(photo.conversation)
            Attachment.objects.filter(pk=photo.pk).update(hidden_at=timezone.now())
            Event.objects.create(conversation=photo.conversation, seq=seq,
                                 kind=Event.Kind.ATTACHMENT_HIDDEN, message=photo.message,
                                 data={"attachment": photo.token})
            chain.record(
                "attachment.hidden", scope=photo.conversation.scope, actor=None,
                subjects=[pupil],
                payload={"message": photo.message_id, "attachment": photo.token,
                         "reason": "consent withdrawn", "purpose": purpose},
            )
            assert photo.message is not None
            publish_on_commit(photo.conversation_id,
                              attachment_hidden_event(photo.message, seq, photo.token))
        hidden += 1
    return hidden
