"""The only writers of messages and memberships, one module per verb family.

Each action validates, changes state and appends to the archive in one transaction, and
publishes its event to the hub only after that transaction commits (:mod:`messaging.publish`):
a browser never sees something the database could still roll back.

- :mod:`.membership`: who is in a conversation, with the object permissions that follow.
- :mod:`.classes`: class conversations, whose members follow the roster and consent.
- :mod:`.groups`: the school's other groups, created and staffed by its admins and managers.
- :mod:`.send`: posting messages, one or a batch with one commit (group commit).
- :mod:`.edit`: editing, retracting and pinning a message.
- :mod:`.receipts`: read receipts and acknowledgements.
- :mod:`.direct`: one-to-one conversations and private replies to announcements.
- :mod:`.scheduled`: messages posted later.
- :mod:`.hours`: staff office hours.
- :mod:`.attachments`: uploading, sending and hiding files.

Callers import the module that owns the verb (``from messaging.actions import send``).
"""
