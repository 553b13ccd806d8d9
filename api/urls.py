"""The API (``/api/``, its operations and ``/api/openapi.json``), its documentation page and
the school admin's token page."""

from django.urls import path

from api import school_admin, views

urlpatterns = [
    path("api/docs/", views.docs, name="api_docs"),
    path("api/", views.api.urls),
    path("school/api-tokens/", school_admin.tokens, name="api_tokens"),
    path("school/api-tokens/<int:token_id>/revoke", school_admin.revoke, name="api_token_revoke"),
]
