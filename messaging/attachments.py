"""Attachments: what may be uploaded, how it is cleaned, and who sees it (reading and rules;
the writes, uploading, sending and hiding, are :mod:`messaging.actions.attachments`).

The type is decided by the content, never the file name: a PDF starts with ``%PDF-``; a voice
message is a WebM (EBML header naming the ``webm`` doc type), Ogg (``OggS``) or MP4 (an ``ftyp``
box) file, within the school's length and size limits (:func:`check_voice`); an image is
whatever Pillow can open as JPEG, PNG or WebP. Images are decoded and re-encoded from their
pixels alone, which drops EXIF (GPS position, camera serial, time), XMP, IPTC and comments; the
orientation tag is applied first so the photo still stands the right way up.

Files live under ``MEDIA_ROOT`` with random names and are served only by
:func:`messaging.views.attachment`, which checks membership (there is no ``MEDIA_URL``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.access import can
from accounts.models import Pupil, User
from consent.services import photo_problems, photos_may_show
from messaging.access import taggable_pupils
from messaging.models import Attachment, Conversation, Message

IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                 "WEBP": ("image/webp", "webp")}
THUMBNAIL_SIZE = (320, 320)
# The scales a JPEG decoder can shrink by as it decodes (Image.draft).
JPEG_SCALES = (2, 4, 8)


def max_bytes() -> int:
    return int(settings.SCHOOLCHAT_ATTACHMENT_MAX_BYTES)


# The brands of an MP4 audio file as browsers record it (Safari: "M4A ", "mp42", "isom").
MP4_BRANDS = (b"M4A ", b"mp42", b"mp41", b"isom", b"iso5", b"iso6", b"dash", b"avc1")


def sniff_audio(data: bytes) -> tuple[str, str] | None:
    """The content type and extension of a voice recording, judged from its first bytes; None
    for anything else."""
    if data.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return "audio/webm", "webm"
    if data.startswith(b"OggS"):
        return "audio/ogg", "ogg"
    if data[4:8] == b"ftyp" and data[8:12] in MP4_BRANDS:
        return "audio/mp4", "m4a"
    return None


def is_voice(message: Message) -> bool:
    """Does the message carry a voice message (which a push or a digest names, never plays)?"""
    return any(a.kind == Attachment.Kind.AUDIO for a in message.attachments.all())


def duration_text(milliseconds: int) -> str:
    """"1:05": minutes and seconds, as a player shows them."""
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def check_voice(conversation: Conversation, size: int, duration_ms: int | None) -> int:
    """The recording's length in milliseconds, within the school's limits; a ValidationError
    with a sentence for the sender otherwise."""
    school = conversation.school
    if duration_ms is None or duration_ms <= 0:
        raise ValidationError(_("This recording has no length. Record it again."),
                              code="invalid")
    if duration_ms > school.voice_max_seconds * 1000:
        raise ValidationError(
            _("This voice message is %(length)s long; the school allows %(limit)s.")
            % {"length": duration_text(duration_ms),
               "limit": duration_text(school.voice_max_seconds * 1000)},
            code="too_long")
    if size > school.voice_max_kilobytes * 1024:
        raise ValidationError(
            _("This voice message is %(size)s KB; the school allows %(limit)s KB.")
            % {"size": -(-size // 1024), "limit": school.voice_max_kilobytes},
            code="too_large")
    return duration_ms


def max_pixels() -> int:
    return int(settings.SCHOOLCHAT_IMAGE_MAX_PIXELS)


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}"


def _too_large_image() -> ValidationError:
    return ValidationError(_("This image is too large."), code="too_large")


def _decode_within_limit(probe: Image.Image) -> None:
    """Decode ``probe`` in place with at most ``max_pixels()`` pixels, judged from its header.

    A JPEG over the limit (a 48 or 50 MP phone photo) is decoded at the smallest of 1/2, 1/4
    and 1/8 scale that fits: the decoder shrinks as it goes, so the full size is never in
    memory. Other formats over the limit are refused undecoded.
    """
    limit = max_pixels()
    width, height = probe.size
    if width * height > limit:
        scale = next((s for s in JPEG_SCALES if -(-width // s) * -(-height // s) <= limit), None)
        if probe.format != "JPEG" or scale is None:
            raise _too_large_image()
        probe.draft(probe.mode, (width // scale, height // scale))
        if probe.width * probe.height > limit:
            raise _too_large_image()
    probe.load()


def _thumbnail_size(size: tuple[int, int]) -> tuple[int, int]:
    ratio = min(1.0, THUMBNAIL_SIZE[0] / size[0], THUMBNAIL_SIZE[1] / size[1])
    return max(1, round(size[0] * ratio)), max(1, round(size[1] * ratio))


def clean_image(data: bytes) -> tuple[bytes, bytes, str, str, int, int]:
    """(clean file, thumbnail, content type, extension, width, height) or ValidationError.

    At most two decoded copies of the pixels exist at a time (three when the mode changes):
    the decoded image, turned upright in place, and the fresh image made from it.
    """
    unsupported = ValidationError(
        _("Only JPEG, PNG and WebP images and PDF documents can be attached."), code="file_type")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if fmt not in IMAGE_FORMATS:
                raise unsupported
            _decode_within_limit(probe)
            ImageOps.exif_transpose(probe, in_place=True)
            mode = probe.mode if probe.mode in ("RGB", "RGBA", "L", "LA") else (
                "RGBA" if "A" in probe.getbands() or "transparency" in probe.info else "RGB")
            if fmt == "JPEG" and mode not in ("RGB", "L"):
                mode = "RGB"
            pixels = probe if probe.mode == mode else probe.convert(mode)
            # A new image from the pixels alone: no metadata of the original can survive.
            fresh = Image.new(mode, pixels.size)
            fresh.paste(pixels)
            del pixels
    except Image.DecompressionBombError as exc:
        raise _too_large_image() from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise unsupported from exc
    content_type, ext = IMAGE_FORMATS[fmt]
    out = io.BytesIO()
    options: dict[str, Any] = {"quality": 85} if fmt in ("JPEG", "WEBP") else {}
    fresh.save(out, format=fmt, **options)
    thumb = fresh.resize(_thumbnail_size(fresh.size), Image.Resampling.BICUBIC, reducing_gap=2.0)
    if thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=80)
    return out.getvalue(), thumb_out.getvalue(), content_type, ext, fresh.width, fresh.height


def safe_name(name: str, ext: str) -> str:
    stem = "".join(c for c in name.rsplit(".", 1)[0] if c.isalnum() or c in " -_")[:80].strip()
    return f"{stem or 'attachment'}.{ext}"


def untaggable() -> ValidationError:
    """The one answer for a tag the sender may not give: the same text and code whether the
    pupil does not exist, is in another school, another class, or another family."""
    return ValidationError(_("One of the tagged pupils cannot be tagged here."),
                           code="invalid_tag")


def tagged_pupils(user: User, conversation: Conversation, raw_ids: list[str]) -> list[Pupil]:
    """The pupils behind the ids a sender tagged, or :func:`untaggable` if any of them is not
    among ``messaging.access.taggable_pupils``."""
    if not can(user, "conversation.post", conversation):
        raise PermissionDenied(_("You cannot post in this conversation."))
    if not all(i.isdigit() for i in raw_ids):
        raise untaggable()
    ids = {int(i) for i in raw_ids}
    found = list(taggable_pupils(user, conversation).filter(pk__in=ids))
    if len(found) != len(ids):
        raise untaggable()
    return found


def check_taggable(user: User, conversation: Conversation, pupils: list[Pupil]) -> None:
    wanted = {p.pk for p in pupils}
    if wanted and taggable_pupils(user, conversation).filter(pk__in=wanted).count() != len(
            wanted):
        raise untaggable()


def check_photo_tags(user: User, conversation: Conversation, pupils: list[Pupil],
                     no_identifiable_pupils: bool) -> None:
    """A photo tags the pupils shown (each one the sender may tag here, see
    ``messaging.access.taggable_pupils``) or states that no pupil is identifiable, and every
    tagged pupil has photo consent (``consent.services.photo_problems``). Asked at upload and
    again when the photo is sent, since classes and consent may change in between."""
    if not pupils and not no_identifiable_pupils:
        raise ValidationError(
            _("Tag the pupils who can be recognised in this photo, or confirm that no pupil "
              "can be identified."), code="tags_required")
    if not pupils:
        return
    check_taggable(user, conversation, pupils)
    reasons = photo_problems(pupils)
    if reasons:
        refusal = ValidationError(list(reasons))
        refusal.code = "no_photo_consent"  # a list error carries no code of its own
        raise refusal


def claimable(user: User, tokens: list[str]) -> list[Attachment]:
    """The user's own uploads not yet attached to a message, in the order given."""
    found = {a.token: a for a in Attachment.objects.filter(
        token__in=tokens[:10], uploader=user, message__isnull=True)}
    if len(found) != len(set(tokens)):
        raise ValidationError(_("An attachment is missing; upload it again."),
                              code="attachment_missing")
    return [found[t] for t in dict.fromkeys(tokens)]


def shown_ids(attachments: Iterable[Attachment]) -> set[int]:
    """Which of these attachments may be shown at all: "who may see this photo" is everyone who
    may read its conversation (:func:`readable_attachment_or_none`) when it is shown here,
    nobody otherwise. A photo is shown unless it was hidden after a consent withdrawal or one
    of the pupils it tags no longer gives the consent it needs
    (``consent.services.photo_may_show``): a withdrawal counts at once, before the hiding task
    has run. The serving views, the message rendering and the subject access export ask this.
    """
    items = [a for a in attachments if not a.is_hidden]
    tags = {a.pk: [p.pk for p in a.pupils.all()] for a in items}
    tagged = {pk: ids for pk, ids in tags.items() if ids}
    allowed = photos_may_show(tagged) if tagged else set()
    return {a.pk for a in items if a.pk not in tagged or a.pk in allowed}


def is_shown(attachment: Attachment) -> bool:
    """:func:`shown_ids` for one attachment (the answer :func:`mark_shown` noted, if any)."""
    noted = getattr(attachment, "_shown", None)
    return bool(noted) if noted is not None else attachment.pk in shown_ids([attachment])


def mark_shown(messages: Iterable[Message]) -> None:
    """Note :func:`shown_ids` on every prefetched attachment of these messages, in one go, for
    a page that renders them."""
    every = [a for m in messages for a in m.attachments.all()]
    shown = shown_ids(every)
    for attachment in every:
        attachment._shown = attachment.pk in shown  # type: ignore[attr-defined]


def summary(attachment: Attachment, *, shown: bool | None = None) -> dict[str, Any]:
    if not (is_shown(attachment) if shown is None else shown):
        return {"token": attachment.token, "hidden": True}
    url = reverse("messaging:attachment", args=[attachment.token])
    return {
        "token": attachment.token, "hidden": False, "kind": attachment.kind,
        "name": attachment.name, "size": attachment.size, "url": url,
        "thumbnail_url": (reverse("messaging:attachment_thumbnail", args=[attachment.token])
                          if attachment.thumbnail else None),
        "width": attachment.width, "height": attachment.height,
        "duration": (duration_text(attachment.duration_ms)
                     if attachment.duration_ms is not None else None),
    }


def visible_attachments(message: Message) -> list[dict[str, Any]]:
    # Sorted here, not in SQL, so a prefetched list is used as it is.
    listed = sorted(message.attachments.all(), key=lambda a: a.pk)
    shown = shown_ids(listed)
    return [summary(a, shown=a.pk in shown) for a in listed]


def readable_attachment_or_none(user: User, token: str) -> Attachment | None:
    """The attachment when the user may see it now: a member of its message's conversation
    (or its uploader, before sending), and shown (:func:`shown_ids`). None otherwise, whatever the reason."""
    attachment = (Attachment.objects.select_related("conversation", "message")
                  .filter(token=token).first())
    if attachment is None or not is_shown(attachment):
        return None
    if attachment.message is None or attachment.message.is_gone:
        return attachment if attachment.message is None and attachment.uploader_id == getattr(
            user, "pk", None) else None
    if (attachment.message.held_at is not None
            and attachment.message.sender_id != getattr(user, "pk", None)):
        return None  # held for review: its sender's alone
    if not can(user, "conversation.read", attachment.conversation):
        return None
    return attachment
