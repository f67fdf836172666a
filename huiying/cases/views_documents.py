"""Downloads of a form as the printed 《网络政务舆情处置交办单》: .docx and PDF.

A read like the form page itself: whoever may see the form may download it (drafts marked
草稿), anyone else gets the same 404 as for a form that does not exist. Not audited.
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from huiying.cases.documents.data import form_document_data
from huiying.cases.documents.docx import DOCX_CONTENT_TYPE, render_docx
from huiying.cases.documents.fonts import FontMissing
from huiying.cases.documents.pdf import render_pdf
from huiying.cases.views_common import visible_form


def content_disposition(filename: str, ascii_fallback: str) -> str:
    """RFC 6266 with an RFC 5987 UTF-8 name; old clients take the ASCII name."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _download(body: bytes, content_type: str, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    # The form names people and posts: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def document_docx(request: HttpRequest, pk: int) -> HttpResponse:
    doc = form_document_data(visible_form(request, pk))
    return _download(
        render_docx(doc), DOCX_CONTENT_TYPE, f"{doc.filename_stem}.docx", f"form-{doc.pk}.docx"
    )


@require_GET
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    doc = form_document_data(visible_form(request, pk))
    try:
        body = render_pdf(doc)
    except FontMissing as exc:
        return render(
            request,
            "cases/document_unavailable.html",
            {"message": exc.message, "form_pk": doc.pk},
            status=503,
        )
    return _download(body, "application/pdf", f"{doc.filename_stem}.pdf", f"form-{doc.pk}.pdf")
