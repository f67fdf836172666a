from django.urls import path

from huiying.cases import export, views, views_create, views_detail, views_documents

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/", views.inbox, name="inbox"),
    path("review/", views.queue, name="queue"),
    path("drafts/", views.drafts, name="drafts"),
    path("forms/", views.all_forms, name="all"),
    path("forms/export.xlsx", export.all_export, name="all_export"),
    path("forms/new/", views_create.create, name="create"),
    path("forms/phone/", views_create.phone_assign, name="phone"),
    path("forms/<int:pk>/", views_detail.detail, name="detail"),
    path("forms/<int:pk>/act/<slug:name>/", views_detail.action, name="action"),
    path(
        "forms/<int:pk>/milestones/<int:milestone_id>/",
        views_detail.milestone,
        name="milestone",
    ),
    path("forms/<int:pk>/document.docx", views_documents.document_docx, name="document_docx"),
    path("forms/<int:pk>/document.pdf", views_documents.document_pdf, name="document_pdf"),
    path("forms/<int:pk>/notes/", views_detail.note, name="note"),
    path("forms/<int:pk>/attachments/", views_detail.attach, name="attach"),
    path(
        "forms/<int:pk>/attachments/<int:attachment_id>/",
        views_detail.attachment,
        name="attachment",
    ),
]
