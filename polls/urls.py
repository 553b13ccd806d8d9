from django.urls import path

from polls import views

app_name = "polls"

urlpatterns = [
    path("c/<int:conversation_id>/polls/new", views.new, name="new"),
    path("polls/<int:poll_id>/vote", views.vote, name="vote"),
    path("polls/<int:poll_id>/close", views.close, name="close"),
    path("polls/<int:poll_id>/", views.results_page, name="results"),
]
