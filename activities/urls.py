from django.urls import path

from activities import views

app_name = "activities"

urlpatterns = [
    path("", views.index, name="index"),
    path("new", views.new, name="new"),
    path("<int:activity_id>/", views.detail, name="detail"),
    path("<int:activity_id>/list", views.listing, name="list"),
    path("<int:activity_id>/trip", views.trip, name="trip"),
    path("<int:activity_id>/reply", views.reply, name="reply"),
    path("<int:activity_id>/sign", views.sign, name="sign"),
    path("<int:activity_id>/remind", views.remind, name="remind"),
    path("<int:activity_id>.ics", views.ics, name="ics"),
]
