from django.urls import include, path

app_name = "monitoring"

urlpatterns = [
    path("", include("huiying.monitoring.urls_sources")),
    path("", include("huiying.monitoring.urls_search")),
]
