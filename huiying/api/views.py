"""API v1 views: read through selectors, write through services, nothing else.

Every view answers in Simplified Chinese whatever the client's Accept-Language says, and every
failure has the shape ``{"error": code, "message": "…"}`` (see ``huiying.api.errors``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from huiying.api.errors import UnknownAction
from huiying.api.inputs import CreateFormSerializer, FormFilterSerializer
from huiying.api.permissions import CanDraftOnPost, principal, visible_form
from huiying.api.schema import errors
from huiying.api.serializers import (
    CreatedFormsSerializer,
    EventSerializer,
    FormDetailSerializer,
    FormListSerializer,
    TransitionSerializer,
    detail_queryset,
)
from huiying.cases import abilities, clocks, selectors, services
from huiying.cases.models import Assignment
from huiying.cases.transitions import TRANSITIONS
from huiying.common.models import AuditEvent


class ChineseMixin:
    """The API speaks Simplified Chinese: DRF's own messages included."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with translation.override(settings.LANGUAGE_CODE):
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def form_context(request: Request) -> dict[str, Any]:
    return {"request": request, "principal": principal(request)}


def form_detail(request: Request, pk: int) -> dict[str, Any]:
    form = detail_queryset().get(pk=pk)
    return dict(FormDetailSerializer(form, context=form_context(request)).data)


class FormListView(ChineseMixin, generics.ListCreateAPIView[Assignment]):
    """交办单列表（按调用者可见范围）与拟制新交办单。"""

    serializer_class = FormListSerializer
    permission_classes = (*generics.ListCreateAPIView.permission_classes, CanDraftOnPost)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **form_context(self.request)}

    def get_queryset(self) -> QuerySet[Assignment]:
        filters = FormFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        qs = selectors.visible_forms(principal(self.request))
        qs = qs.select_related("unit")
        if "status" in f:
            qs = qs.filter(status=f["status"])
        if "unit" in f:
            qs = qs.filter(unit__code=f["unit"])
        if "category" in f:
            qs = qs.filter(category=f["category"])
        if "updated_since" in f:
            qs = qs.filter(updated_at__gte=f["updated_since"])
        return qs.order_by("-updated_at", "-pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = list(page if page is not None else self.get_queryset())
        # What each row may do and its clocks, for the whole page at once.
        context = self.get_serializer_context() | {
            "facts": abilities.facts_for(rows),
            "clocks": clocks.for_forms([f.pk for f in rows]),
        }
        data = FormListSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        summary="列出交办单",
        parameters=[FormFilterSerializer],
        responses={200: FormListSerializer(many=True), **errors(400, 401)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="拟制交办单草稿（网信办）",
        description="牵头单位和每个协办单位各生成一份草稿，同属一个事项。",
        request=CreateFormSerializer,
        responses={201: CreatedFormsSerializer, **errors(400, 401, 403, 413)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        inputs = CreateFormSerializer(data=request.data)
        inputs.is_valid(raise_exception=True)
        forms = services.assignment_create(actor=request.user, **inputs.validated_data)
        body = {"forms": [form_detail(request, f.pk) for f in forms]}
        return Response(body, status=status.HTTP_201_CREATED)


class FormDetailView(ChineseMixin, APIView):
    @extend_schema(
        summary="交办单详情",
        responses={200: FormDetailSerializer, **errors(401, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        form = visible_form(request, pk)
        return Response(form_detail(request, form.pk))


class FormEventsView(ChineseMixin, generics.ListAPIView[AuditEvent]):
    """The form's audit timeline, oldest first; the same hash-chained events `audit verify` checks."""

    serializer_class = EventSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        form = visible_form(self.request, int(self.kwargs["pk"]))
        return selectors.timeline(form)

    @extend_schema(
        summary="交办单审计时间线",
        responses={200: EventSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TransitionsView(ChineseMixin, APIView):
    @extend_schema(
        summary="流转规则表",
        description="页面与接口共用的同一张流转表：每个操作可从哪些状态执行、到达哪个状态、由谁执行。",
        responses={200: TransitionSerializer(many=True), **errors(401)},
    )
    def get(self, request: Request) -> Response:
        rows = [
            {
                "action": t.action,
                "label": str(t.label),
                "sources": sorted(t.sources),
                "target": t.target,
                "by": [str(b) for b in t.by],
                "reason_required": t.reason_required,
                "danger": t.danger,
                "endpoint": f"/api/v1/forms/{{id}}/actions/{t.action}/",
            }
            for t in TRANSITIONS
        ]
        return Response(TransitionSerializer(rows, many=True).data)


class UnknownActionView(ChineseMixin, APIView):
    """Any action name that is not in the transitions table."""

    @extend_schema(exclude=True)
    def post(self, request: Request, pk: int, action: str) -> Response:
        raise UnknownAction(f"未知操作：“{action}”。可用操作见 /api/v1/transitions/。")

    get = post
