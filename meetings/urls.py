from django.urls import path

from meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.rounds_page, name="rounds"),
    path("new/", views.publish_page, name="publish"),
    path("<int:round_id>/", views.round_page, name="round"),
    path("<int:round_id>/slots", views.round_slots, name="slots"),
    path("<int:round_id>/book", views.book, name="book"),
    path("<int:round_id>/book-together", views.book_together, name="book_together"),
    path("<int:round_id>/schedule/", views.schedule, name="schedule"),
    path("bookings/<int:booking_id>/cancel", views.cancel, name="cancel"),
    path("bookings/<int:booking_id>/move", views.move, name="move"),
    path("bookings/<int:booking_id>.ics", views.booking_ics, name="booking_ics"),
    path("slots/<int:slot_id>/block", views.block, name="block"),
    path("calendar/", views.feed_page, name="feed_page"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
