from django.urls import path

from agenda import views

app_name = "agenda"

urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/address", views.renew, name="renew"),
    path("calendar/feed/<str:token>.ics", views.feed, name="feed"),
    path("school/holidays/", views.school_holidays, name="holidays"),
    path("school/holidays/<int:holiday_id>/remove", views.remove_holiday, name="remove_holiday"),
]
