from django.urls import path

from huiying.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.mark_read, name="mark_read"),
    path("<int:pk>/open/", views.open_message, name="open"),
    path("settings/", views.preferences, name="preferences"),
    path("failing/", views.failing, name="failing"),
    path("failing/retry/", views.retry, name="retry"),
]
