"""Search, items, watches, alerts and keyword rules (included under the "monitoring" namespace)."""

from django.urls import path

from huiying.monitoring import views_rules, views_search, views_watch

urlpatterns = [
    path("search/", views_search.search_view, name="search"),
    path("items/<int:pk>/", views_search.item_detail, name="item_detail"),
    path(
        "items/<int:pk>/evidence/<int:evidence_pk>/", views_search.evidence_detail, name="evidence"
    ),
    path("watches/", views_watch.watch_list, name="watch_list"),
    path("watches/<int:pk>/", views_watch.watch_detail, name="watch_detail"),
    path("watches/<int:pk>/timeline/", views_watch.watch_timeline, name="watch_timeline"),
    path("watches/<int:pk>/close/", views_watch.watch_close, name="watch_close"),
    path("alerts/", views_watch.alerts, name="alerts"),
    path("rules/", views_rules.rule_list, name="rule_list"),
    path("rules/<int:pk>/", views_rules.rule_edit, name="rule_edit"),
]
