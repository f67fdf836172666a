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

handler400 = "config.error_handlers.bad_request"
handler403 = "config.error_handlers.permission_denied"
handler404 = "config.error_handlers.page_not_found"
handler500 = "config.error_handlers.server_error"
