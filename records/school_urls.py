from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("", views.school_audit, name="school_audit"),
]
