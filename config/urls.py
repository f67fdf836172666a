from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", RedirectView.as_view(url=static("huiying/favicon.ico"), permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/", include("huiying.accounts.urls")),
    path("api/", include("huiying.api.urls")),
    path("monitoring/", include("huiying.monitoring.urls")),
    path("", include("huiying.cases.urls")),
]
