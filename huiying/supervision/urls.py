from django.urls import path

from huiying.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("forms/<int:pk>/order/", views.order_new, name="order_new"),
    path("forms/<int:pk>/refer/", views.refer_new, name="refer_new"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/<slug:action>/", views.order_move, name="order_move"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("referrals/<int:pk>/evidence.pdf", views.evidence_pdf, name="evidence_pdf"),
    path("referrals/<int:pk>/evidence.zip", views.evidence_zip, name="evidence_zip"),
    path("discipline/", views.discipline, name="discipline"),
]
