from django.urls import path

from consent import views

app_name = "consent"
urlpatterns = [
    path("", views.index, name="index"),
    path("pupil/<int:pupil_id>/<slug:code>/", views.decide, name="decide"),
    path("class/<int:class_id>/", views.coverage, name="coverage"),
    path("class/<int:class_id>/request/", views.request_consent, name="request"),
    path("class/<int:class_id>/paper/", views.paper, name="paper"),
    path("forms/", views.forms_page, name="forms"),
    path("forms/<slug:code>/publish", views.publish, name="publish"),
]
