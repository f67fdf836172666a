from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from huiying.accounts.views import admin_login

urlpatterns = [
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", RedirectView.as_view(url=static("huiying/favicon.ico"), permanent=True)),
    # Before the admin's own login view, which would check the password alone.
    path("admin/login/", admin_login, name="admin_login"),
    # The site's own page changes the password through the service (tokens revoked, audited).
    path("admin/password_change/", RedirectView.as_view(pattern_name="accounts:password")),
    path("admin/", admin.site.urls),
    path("accounts/", include("huiying.accounts.urls")),
    path("api/", include("huiying.api.urls")),
    path("monitoring/", include("huiying.monitoring.urls")),
    path("messages/", include("huiying.notify.urls")),
    path("triage/", include("huiying.analysis.urls")),
    path("supervision/", include("huiying.supervision.urls")),
    path("", include("huiying.cases.urls")),
]

handler400 = "config.error_handlers.bad_request"
handler403 = "config.error_handlers.permission_denied"
handler404 = "config.error_handlers.page_not_found"
handler500 = "config.error_handlers.server_error"
