from django.urls import path

from huiying.analysis import views, views_duty

app_name = "analysis"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("act/", views.desk_action, name="desk_action"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/act/<slug:name>/", views.event_action, name="event_action"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/draft/", views.item_draft, name="item_draft"),
    path("duty/", views_duty.roster, name="duty"),
    path("duty/<int:pk>/remove/", views_duty.remove, name="duty_remove"),
    path("corrections.jsonl", views.corrections_export, name="corrections"),
]
