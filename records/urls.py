from django.urls import path

from records import views

app_name = "archive"
urlpatterns = [
    path("", views.home, name="home"),
    path("verify", views.verify, name="verify"),
    path("search/", views.search_page, name="search"),
    path("search/export", views.search_export, name="search_export"),
    path("exports/", views.exports, name="exports"),
    path("exports/<int:export_id>/download", views.download, name="download"),
    path("exports/release/<int:record_id>", views.release, name="release"),
    path("exports/pupil/<int:pupil_id>/review", views.review, name="review"),
    path("exports/search/<int:export_id>/download", views.search_download,
         name="search_download"),
    path("holds/", views.holds, name="holds"),
    path("holds/<int:hold_id>/lift", views.lift, name="lift"),
    path("retention/", views.retention_report, name="retention"),
    path("retention/policy", views.retention_policy, name="retention_policy"),
    path("audit/", views.audit_log, name="audit"),
]
urlpatterns += [
    path("erasure/", views.erasure_requests, name="erasure"),
    path("erasure/<int:request_id>/", views.erasure_request, name="erasure_request"),
    path("erasure/<int:request_id>/confirm", views.erasure_confirm, name="erasure_confirm"),
    path("erasure/<int:request_id>/withdraw", views.erasure_withdraw, name="erasure_withdraw"),
    path("paperwork/", views.paperwork_page, name="paperwork"),
    path("paperwork/record-of-processing.md", views.paperwork_download,
         name="paperwork_download"),
]
