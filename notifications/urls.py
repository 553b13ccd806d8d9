from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.page, name="page"),
    path("devices/<int:device_id>/remove", views.remove_device, name="remove_device"),
    path("mutes/<int:conversation_id>/mute", views.mute, name="mute"),
    path("mutes/<int:conversation_id>/unmute", views.unmute, name="unmute"),
    path("offline", views.offline, name="offline"),
    path("subscribe", views.subscribe, name="subscribe"),
    path("unsubscribe", views.unsubscribe, name="unsubscribe"),
]

# Served from the site root: a service worker controls only the paths below its own URL.
root_patterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
