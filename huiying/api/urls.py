"""``/api/``: version 1 of the forms API, and its OpenAPI schema at ``/api/schema/``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from huiying.api.actions import ACTION_VIEWS
from huiying.api.auth import TokenView
from huiying.api.tokens import TokenDetailView, TokenListView
from huiying.api.views import (
    FormDetailView,
    FormEventsView,
    FormListView,
    TransitionsView,
    UnknownActionView,
)

app_name = "api"

v1 = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", TokenListView.as_view(), name="tokens"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="token-detail"),
    path("transitions/", TransitionsView.as_view(), name="transitions"),
    path("forms/", FormListView.as_view(), name="forms"),
    path("forms/<int:pk>/", FormDetailView.as_view(), name="form-detail"),
    path("forms/<int:pk>/events/", FormEventsView.as_view(), name="form-events"),
    *[
        path(f"forms/<int:pk>/actions/{action}/", view.as_view(), name=f"form-{action}")
        for action, view in ACTION_VIEWS.items()
    ],
    path("forms/<int:pk>/actions/<str:action>/", UnknownActionView.as_view(), name="form-unknown"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/", include(v1)),
]
