"""Sources, manual entry and the vendor push endpoint (included under "monitoring")."""

from django.urls import path

from huiying.monitoring import views_push, views_sources

urlpatterns = [
    path("sources/", views_sources.source_list, name="source_list"),
    path("sources/new/", views_sources.source_create, name="source_create"),
    path("sources/<int:pk>/", views_sources.source_detail, name="source_detail"),
    path("sources/<int:pk>/edit/", views_sources.source_edit, name="source_edit"),
    path("manual/", views_sources.manual_entry_view, name="manual_entry"),
    # Public (no session): the vendor authenticates with the HMAC signature of the batch.
    path("push/<slug:source_code>/", views_push.push, name="push"),
]
