from django.urls import path

from messaging import school_groups, views, welcome
from messaging.verbs import VERBS

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("welcome/", welcome.welcome, name="welcome"),
    path("search/", views.search, name="search"),
    path("office-hours/", views.office_hours, name="office_hours"),
    path("people/", views.people, name="people"),
    path("people/<int:user_id>/message", views.start_direct, name="start_direct"),
    path("people/<int:user_id>/block", views.block, name="block"),
    path("c/<int:conversation_id>/", views.conversation, name="conversation"),
    path("c/<int:conversation_id>/members/", views.members, name="members"),
    path("c/<int:conversation_id>/members/add-class", views.add_class, name="add_class"),
    path("c/<int:conversation_id>/messages", views.messages_json, name="messages"),
    path("c/<int:conversation_id>/events", views.events_json, name="events"),
    # The verbs (edit, retract, pin, mark_sensitive, acknowledge, react, read): one route each, from
    # the one table the socket uses too (messaging/verbs.py).
    *(path(f"c/<int:conversation_id>/{verb.url}", views.verb, {"verb": verb}, name=verb.url_name)
      for verb in VERBS),
    path("c/<int:conversation_id>/m/<int:message_id>/card", views.card, name="card"),
    path("c/<int:conversation_id>/m/<int:message_id>/seen", views.receipts, name="receipts"),
    path("c/<int:conversation_id>/m/<int:message_id>/reactions", views.reactions_page,
         name="reactions"),
    path("c/<int:conversation_id>/m/<int:message_id>/acknowledgements", views.acknowledgements,
         name="acknowledgements"),
    path("c/<int:conversation_id>/m/<int:message_id>/remind", views.remind, name="remind"),
    path("c/<int:conversation_id>/m/<int:message_id>/reply", views.reply_privately,
         name="reply_privately"),
    path("c/<int:conversation_id>/scheduled/<int:scheduled_id>/cancel", views.cancel_scheduled,
         name="cancel_scheduled"),
    path("c/<int:conversation_id>/attachments", views.upload, name="upload"),
    path("c/<int:conversation_id>/pupils", views.class_pupils, name="class_pupils"),
    path("a/<str:token>", views.attachment, name="attachment"),
    path("a/<str:token>/thumbnail", views.attachment_thumbnail, name="attachment_thumbnail"),
    # The school admin's group pages (with the rest of the admin area under /school/).
    path("school/groups/", school_groups.groups, name="school_groups"),
    path("school/groups/<int:conversation_id>/", school_groups.group, name="school_group"),
]
