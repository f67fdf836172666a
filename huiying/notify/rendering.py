"""Templates are ``str.format`` text with plain ``{name}`` placeholders and nothing else.

Template text is edited by 网信办 and the values come from events, so neither is trusted:
attribute and index look-ups (``{x.__class__}``, ``{x[0]}``) and conversions are refused, a
missing name becomes an empty string, and values are inserted as plain text. Pages escape the
result as usual; e-mail and SMS are plain text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SUBJECT_MAX = 300


class TemplateSyntaxProblem(ValueError):
    pass


def placeholders(text: str) -> list[str]:
    """The names a template uses; raises TemplateSyntaxProblem for anything but ``{name}``."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateSyntaxProblem(_("模板格式错误：%(error)s") % {"error": exc}) from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _NAME.match(field) or spec or conversion:
            raise TemplateSyntaxProblem(
                _("占位符只能是 {名称} 形式（字母、数字、下划线）：{%(field)s}") % {"field": field}
            )
        names.append(field)
    return names


def render_text(text: str, context: Mapping[str, Any]) -> str:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return text
    out: list[str] = []
    for literal, field, spec, conversion in parsed:
        out.append(literal)
        if field is None:
            continue
        if not _NAME.match(field) or spec or conversion:
            # Not ours to evaluate: shown as written.
            out.append("{" + field + (f"!{conversion}" if conversion else "") + "}")
            continue
        value = context.get(field)
        if value is None:
            continue
        if isinstance(value, bool):
            out.append(_("是") if value else _("否"))
        else:
            out.append(str(value))
    return "".join(out)


def render(subject: str, body: str, context: Mapping[str, Any]) -> tuple[str, str]:
    rendered_subject = " ".join(render_text(subject, context).split())[:SUBJECT_MAX]
    return rendered_subject, render_text(body, context).strip()
