"""What the meetings actions announce after a commit, for the adapters that act on it.

``families_to_tell(booking_ids=[...], what="moved" | "cancelled" | "reminder")``: the families of
these bookings are to be told (a push, else an e-mail, in each guardian's language). The
actions sit below the tasks that send it, so they say it with this signal; ``MeetingsConfig``
connects it to ``meetings.tasks``.
"""

from django.dispatch import Signal

families_to_tell = Signal()
