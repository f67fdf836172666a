from django.contrib.auth import views as auth_views
from django.urls import path

from huiying.accounts import views_security, views_tokens, views_two_factor
from huiying.accounts.views import LoginView, login_verify

app_name = "accounts"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("login/verify/", login_verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("security/", views_security.security, name="security"),
    path("password/", views_security.password, name="password"),
    path("tokens/", views_tokens.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views_tokens.token_revoke_view, name="token_revoke"),
    path("two-factor/enrol/", views_two_factor.enrol, name="two_factor_enrol"),
    path("two-factor/recovery-codes/", views_two_factor.recovery_codes, name="recovery_codes"),
    path("two-factor/disable/", views_two_factor.disable, name="two_factor_disable"),
]
