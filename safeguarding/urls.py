from django.urls import path, register_converter

from safeguarding import views


class ItemKind:
    """What the queue lists: a report or a flag."""

    regex = "report|flag"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ItemKind, "item")

app_name = "safeguarding"
urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("items/", views.queue_items, name="queue_items"),
    path("report/message/<int:message_id>/", views.report_message, name="report_message"),
    path("report/person/<int:user_id>/", views.report_person, name="report_person"),
    path("my-reports/", views.my_reports, name="my_reports"),
    path("oversight/", views.oversight, name="oversight"),
    path("settings/", views.settings_page, name="settings"),
    path("patterns/", views.patterns_page, name="patterns"),
    path("patterns/try", views.patterns_try, name="patterns_try"),
    path("patterns/<int:pk>/switch", views.pattern_switch, name="pattern_switch"),
    path("patterns/<int:pk>/delete", views.pattern_delete, name="pattern_delete"),
    path("restrictions/<int:pk>/lift", views.lift, name="lift"),
    path("pupils/<int:pupil_id>/notes/", views.case_notes, name="case_notes"),
    path("<item:kind>/<int:pk>/", views.item_page, name="item"),
    path("<item:kind>/<int:pk>/look", views.look, name="look"),
    path("<item:kind>/<int:pk>/<str:verb>", views.decide, name="decide"),
]
