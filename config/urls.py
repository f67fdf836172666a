from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("huiying.accounts.urls")),
    path("api/", include("huiying.api.urls")),
    path("monitoring/", include("huiying.monitoring.urls")),
    path("", include("huiying.cases.urls")),
]
