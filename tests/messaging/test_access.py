"""Every persona against every conversation action, including an action nobody declared."""

import pytest

from accounts.access import Action, can, known_actions
from accounts.models import User
from messaging.access import readable_conversations
from messaging.models import Conversation

pytestmark = pytest.mark.django_db

ACTIONS: list[Action] = ["conversation.read", "conversation.post", "conversation.manage_members"]

EXPECTED = {
    # persona: (read, post, manage) in the 4B class group
    "teacher": (True, True, True),
    "parent": (True, True, False),
    "parent_5a": (False, False, False),
    "admin": (False, False, False),  # manages schools, does not read their chats
    "dpo": (False, False, False),    # reads the archive, not live chats
}


# Declared in messaging/access.py and tested here or in test_messages.py / test_direct.py;
# the member-list rules in tests/accounts/test_permission_matrix.py; asking for acknowledgement
# in test_channels.py, reminders in test_acknowledgements.py, scheduling in test_scheduled.py,
# office hours in test_hours.py; blocking and sensitive messages in test_policy.py and
# test_sensitive.py; reactions (react, who reacted) in test_reactions.py and mentions in
# test_mentions.py, both with sections of their own in tests/accounts/test_permission_matrix.py.
MESSAGING_ACTIONS = {*ACTIONS, "conversation.start_direct", "message.edit", "message.retract",
                     "message.receipts", "message.acknowledgements", "message.acknowledge",
                     "message.post_urgent", "message.pin", "message.request_ack", "message.remind",
                     "message.schedule", "office_hours.set",
                     "membership.list", "membership.add", "membership.remove",
                     "person.block", "message.mark_sensitive",
                     "message.react", "message.reactions", "message.mention"}


def test_the_declared_actions_are_the_ones_tested() -> None:
    from accounts import access

    declared = {a for a in known_actions()
                if access._RULES[a].__module__ == "messaging.access"}
    assert declared == MESSAGING_ACTIONS


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_conversation_permission_matrix(request: pytest.FixtureRequest, conversation_4b: Conversation,
                                        parent_5a: User, dpo: User, persona: str) -> None:
    user = request.getfixturevalue(persona)
    got = tuple(can(user, action, conversation_4b) for action in ACTIONS)
    assert got == EXPECTED[persona]
    assert (conversation_4b in readable_conversations(user)) == EXPECTED[persona][0]


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_an_unknown_action_is_denied(request: pytest.FixtureRequest, conversation_4b: Conversation,
                                     parent_5a: User, dpo: User, persona: str) -> None:
    user = request.getfixturevalue(persona)
    assert not can(user, "conversation.delete_everything", conversation_4b)  # type: ignore[arg-type]  # unknown, on purpose


def test_a_superuser_flag_gives_no_chat_access(conversation_4b: Conversation, admin: User) -> None:
    admin.is_superuser = True
    admin.save()
    assert not can(admin, "conversation.read", conversation_4b)
    assert conversation_4b not in readable_conversations(admin)


def test_a_deactivated_member_is_denied_everything(conversation_4b: Conversation, parent: User) -> None:
    parent.is_active = False
    parent.save()
    assert not any(can(parent, action, conversation_4b) for action in ACTIONS)
    assert not readable_conversations(parent).exists()


def test_anonymous_is_denied(conversation_4b: Conversation) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not can(AnonymousUser(), "conversation.read", conversation_4b)
    assert not can(None, "conversation.read", conversation_4b)


def test_a_rule_given_the_wrong_kind_of_object_denies(parent: User) -> None:
    assert not can(parent, "conversation.read", object())
